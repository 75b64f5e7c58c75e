-- The buyer's dashboard reads what it sent without the assessments' documents: the due date
-- gets its own column (it is in the document too), and a covering index holds every column
-- the dashboard shows, newest first per supplier.
ALTER TABLE assessments ADD COLUMN due_on TEXT;
UPDATE assessments SET due_on = document::jsonb ->> 'due';
CREATE INDEX assessments_sent ON assessments (requester_org_id, org_id, created_at, id, period, state, due_on);

-- A counter per buyer, raised in the same transaction as every change to what its dashboard
-- shows (an assessment it sent, a supplier link, a supplier's name): an app instance keeps the
-- dashboard's rows in memory and reads them again only when the counter moved, so every
-- instance sees every change (derived, not journaled).
CREATE TABLE overview_generations (
    buyer_org_id TEXT PRIMARY KEY REFERENCES organisations (id),
    generation BIGINT NOT NULL
);

CREATE FUNCTION overview_bump(buyer TEXT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO overview_generations (buyer_org_id, generation) VALUES (buyer, 1)
        ON CONFLICT (buyer_org_id) DO UPDATE SET generation = overview_generations.generation + 1;
$$;

CREATE FUNCTION overview_sent_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.requester_org_id IS NOT NULL THEN
        PERFORM overview_bump(NEW.requester_org_id);
    END IF;
    IF TG_OP = 'DELETE' AND OLD.requester_org_id IS NOT NULL THEN
        PERFORM overview_bump(OLD.requester_org_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER overview_sent_changed AFTER INSERT OR UPDATE OR DELETE ON assessments
    FOR EACH ROW EXECUTE FUNCTION overview_sent_changed();

CREATE FUNCTION overview_link_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM overview_bump(OLD.buyer_org_id);
    ELSE
        PERFORM overview_bump(NEW.buyer_org_id);
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER overview_link_changed AFTER INSERT OR DELETE ON supplier_links
    FOR EACH ROW EXECUTE FUNCTION overview_link_changed();

CREATE FUNCTION overview_supplier_renamed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM overview_bump(l.buyer_org_id) FROM supplier_links l WHERE l.supplier_org_id = NEW.id;
    RETURN NULL;
END;
$$;
CREATE TRIGGER overview_supplier_renamed AFTER UPDATE OF name, slug ON organisations
    FOR EACH ROW EXECUTE FUNCTION overview_supplier_renamed();

-- Submission packages (interop::submission). Each organisation signs the packages it sends with
-- its own Ed25519 key, made on first use (journaled as signing_key.created with the public half;
-- the private half, PKCS#8 in hex, never leaves this table and is never logged). A buyer pins
-- the key of each supplier on its first import (journaled as submission.imported) and refuses
-- packages signed with another key afterwards.
CREATE TABLE signing_keys (
    org_id TEXT PRIMARY KEY REFERENCES organisations (id),
    public_key TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE supplier_links ADD COLUMN signing_key TEXT;
