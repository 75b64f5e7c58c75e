-- Foundation schema (PostgreSQL). Twin of migrations/sqlite/0001_foundation.sql; a test checks
-- that both declare the same tables and columns. Ids and timestamps are text, flags 0/1 bigints.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    settings TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    parent_id TEXT REFERENCES units (id),
    code TEXT NOT NULL,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    lang TEXT,
    password_hash TEXT NOT NULL,
    must_change_password BIGINT NOT NULL,
    failed_attempts BIGINT NOT NULL,
    locked_until TEXT,
    active BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX people_by_org ON people (org_id, display_name);

CREATE TABLE password_history (
    person_id TEXT NOT NULL REFERENCES people (id),
    org_id TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    set_at TEXT NOT NULL
);
CREATE INDEX password_history_by_person ON password_history (person_id, set_at);

CREATE TABLE role_assignments (
    org_id TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    role TEXT NOT NULL,
    unit_id TEXT NOT NULL,
    granted_at TEXT NOT NULL,
    PRIMARY KEY (person_id, role, unit_id)
);
CREATE INDEX role_assignments_by_org ON role_assignments (org_id, role);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_by_person ON sessions (person_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    last_used_at TEXT
);
CREATE INDEX api_tokens_by_person ON api_tokens (person_id);

CREATE TABLE records (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    register TEXT NOT NULL,
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    classification BIGINT NOT NULL,
    unit_id TEXT,
    owner_id TEXT,
    document TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT
);

CREATE TABLE register_scopes (
    scope BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    register TEXT NOT NULL,
    UNIQUE (org_id, register)
);

-- NULLS FIRST matches SQLite's order, so keyset pages agree on both engines.
CREATE TABLE record_index (
    rid BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    scope BIGINT NOT NULL REFERENCES register_scopes (scope),
    classification BIGINT NOT NULL,
    unit_id TEXT,
    owner_id TEXT,
    t1 TEXT, t2 TEXT, t3 TEXT, t4 TEXT, t5 TEXT, t6 TEXT, t7 TEXT, t8 TEXT,
    n1 DOUBLE PRECISION, n2 DOUBLE PRECISION, n3 DOUBLE PRECISION,
    n4 DOUBLE PRECISION, n5 DOUBLE PRECISION, n6 DOUBLE PRECISION,
    terms TSVECTOR
);
CREATE INDEX record_index_by_scope ON record_index (scope, rid);
CREATE INDEX record_index_t1 ON record_index (scope, t1 NULLS FIRST, rid);
CREATE INDEX record_index_t2 ON record_index (scope, t2 NULLS FIRST, rid);
CREATE INDEX record_index_t3 ON record_index (scope, t3 NULLS FIRST, rid);
CREATE INDEX record_index_t4 ON record_index (scope, t4 NULLS FIRST, rid);
CREATE INDEX record_index_t5 ON record_index (scope, t5 NULLS FIRST, rid);
CREATE INDEX record_index_t6 ON record_index (scope, t6 NULLS FIRST, rid);
CREATE INDEX record_index_t7 ON record_index (scope, t7 NULLS FIRST, rid);
CREATE INDEX record_index_t8 ON record_index (scope, t8 NULLS FIRST, rid);
CREATE INDEX record_index_n1 ON record_index (scope, n1 NULLS FIRST, rid);
CREATE INDEX record_index_n2 ON record_index (scope, n2 NULLS FIRST, rid);
CREATE INDEX record_index_n3 ON record_index (scope, n3 NULLS FIRST, rid);
CREATE INDEX record_index_n4 ON record_index (scope, n4 NULLS FIRST, rid);
CREATE INDEX record_index_n5 ON record_index (scope, n5 NULLS FIRST, rid);
CREATE INDEX record_index_n6 ON record_index (scope, n6 NULLS FIRST, rid);
CREATE INDEX record_index_terms ON record_index USING GIN (terms);

CREATE TABLE register_layouts (
    register TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
);

CREATE TABLE journal (
    org_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    header TEXT NOT NULL,
    payload TEXT,
    kind TEXT NOT NULL,
    entity_type TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    at TEXT NOT NULL,
    actor_id TEXT,
    PRIMARY KEY (org_id, seq)
);
CREATE INDEX journal_by_entity ON journal (org_id, entity_type, entity_id, seq);

CREATE TABLE journal_heads (
    org_id TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);

-- Every appended event becomes its chain's head, in the same transaction.
CREATE FUNCTION journal_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE journal_heads SET seq = NEW.seq, hash = NEW.hash WHERE org_id = NEW.org_id;
    RETURN NEW;
END;
$$;
CREATE TRIGGER journal_advances_head AFTER INSERT ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_advance_head();

-- The journal is insert-only: refuse updates and deletes except the recorded erasure of a payload.
CREATE FUNCTION journal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'the journal is append-only';
    END IF;
    IF NEW.org_id IS DISTINCT FROM OLD.org_id OR NEW.seq IS DISTINCT FROM OLD.seq
       OR NEW.hash IS DISTINCT FROM OLD.hash OR NEW.header IS DISTINCT FROM OLD.header
       OR NEW.kind IS DISTINCT FROM OLD.kind OR NEW.entity_type IS DISTINCT FROM OLD.entity_type
       OR NEW.entity_id IS DISTINCT FROM OLD.entity_id OR NEW.at IS DISTINCT FROM OLD.at
       OR NEW.actor_id IS DISTINCT FROM OLD.actor_id OR NEW.payload IS NOT NULL THEN
        RAISE EXCEPTION 'the journal is append-only';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_guard();
