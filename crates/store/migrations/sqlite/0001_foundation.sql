-- Foundation schema (SQLite). The PostgreSQL twin is migrations/postgres/0001_foundation.sql;
-- a test checks that both declare the same tables and columns. Ids and timestamps are text
-- (UUIDs; fixed-width UTC timestamps that sort as text), flags are 0/1 integers.

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
    must_change_password INTEGER NOT NULL,
    failed_attempts INTEGER NOT NULL,
    locked_until TEXT,
    active INTEGER NOT NULL,
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

-- Current state of register records; the journal holds every version.
CREATE TABLE records (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    register TEXT NOT NULL,
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    classification INTEGER NOT NULL,
    unit_id TEXT,
    owner_id TEXT,
    document TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    updated_at TEXT NOT NULL,
    updated_by TEXT
);

-- One small integer per (organisation, register): the first key of every list index, so index
-- entries stay short and can never mix two organisations' rows.
CREATE TABLE register_scopes (
    scope INTEGER PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    register TEXT NOT NULL,
    UNIQUE (org_id, register)
);

-- One row per record with the indexed fields copied into typed slots (t1..t8 text, n1..n6
-- numbers) and the facts visibility filters on; lists filter, sort and page on this table by
-- (scope, slot, rid). SQLite appends the rowid (rid) to every index entry.
CREATE TABLE record_index (
    rid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    scope INTEGER NOT NULL REFERENCES register_scopes (scope),
    classification INTEGER NOT NULL,
    unit_id TEXT,
    owner_id TEXT,
    t1 TEXT, t2 TEXT, t3 TEXT, t4 TEXT, t5 TEXT, t6 TEXT, t7 TEXT, t8 TEXT,
    n1 REAL, n2 REAL, n3 REAL, n4 REAL, n5 REAL, n6 REAL
);
CREATE INDEX record_index_by_scope ON record_index (scope);
CREATE INDEX record_index_t1 ON record_index (scope, t1);
CREATE INDEX record_index_t2 ON record_index (scope, t2);
CREATE INDEX record_index_t3 ON record_index (scope, t3);
CREATE INDEX record_index_t4 ON record_index (scope, t4);
CREATE INDEX record_index_t5 ON record_index (scope, t5);
CREATE INDEX record_index_t6 ON record_index (scope, t6);
CREATE INDEX record_index_t7 ON record_index (scope, t7);
CREATE INDEX record_index_t8 ON record_index (scope, t8);
CREATE INDEX record_index_n1 ON record_index (scope, n1);
CREATE INDEX record_index_n2 ON record_index (scope, n2);
CREATE INDEX record_index_n3 ON record_index (scope, n3);
CREATE INDEX record_index_n4 ON record_index (scope, n4);
CREATE INDEX record_index_n5 ON record_index (scope, n5);
CREATE INDEX record_index_n6 ON record_index (scope, n6);

-- Search terms (see core::search) keyed by record_index.rid.
CREATE VIRTUAL TABLE record_search USING fts5 (terms, tokenize = 'unicode61 remove_diacritics 0');

CREATE TABLE register_layouts (
    register TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL
);

-- The append-only journal: one hash chain per organisation.
CREATE TABLE journal (
    org_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
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

-- The head of each chain, locked by every append so that appends keep one order.
CREATE TABLE journal_heads (
    org_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);

-- Every appended event becomes its chain's head, in the same transaction.
CREATE TRIGGER journal_advances_head AFTER INSERT ON journal
BEGIN
    UPDATE journal_heads SET seq = NEW.seq, hash = NEW.hash WHERE org_id = NEW.org_id;
END;

-- The journal is insert-only: refuse updates and deletes except the recorded erasure of a payload.
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
WHEN NEW.org_id IS NOT OLD.org_id OR NEW.seq IS NOT OLD.seq OR NEW.hash IS NOT OLD.hash
  OR NEW.header IS NOT OLD.header OR NEW.kind IS NOT OLD.kind OR NEW.entity_type IS NOT OLD.entity_type
  OR NEW.entity_id IS NOT OLD.entity_id OR NEW.at IS NOT OLD.at OR NEW.actor_id IS NOT OLD.actor_id
  OR NEW.payload IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
