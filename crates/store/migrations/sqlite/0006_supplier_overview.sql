-- The buyer's dashboard reads what it sent without the assessments' documents: the due date
-- gets its own column (it is in the document too), and a covering index holds every column
-- the dashboard shows, newest first per supplier.
ALTER TABLE assessments ADD COLUMN due_on TEXT;
UPDATE assessments SET due_on = json_extract(document, '$.due');
CREATE INDEX assessments_sent ON assessments (requester_org_id, org_id, created_at, id, period, state, due_on);

-- A counter per buyer, raised in the same transaction as every change to what its dashboard
-- shows (an assessment it sent, a supplier link, a supplier's name): an app instance keeps the
-- dashboard's rows in memory and reads them again only when the counter moved, so every
-- instance sees every change (derived, not journaled).
CREATE TABLE overview_generations (
    buyer_org_id TEXT PRIMARY KEY REFERENCES organisations (id),
    generation INTEGER NOT NULL
);

CREATE TRIGGER overview_sent_inserted AFTER INSERT ON assessments WHEN NEW.requester_org_id IS NOT NULL
BEGIN
    INSERT INTO overview_generations (buyer_org_id, generation) VALUES (NEW.requester_org_id, 1)
        ON CONFLICT (buyer_org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER overview_sent_updated AFTER UPDATE ON assessments WHEN NEW.requester_org_id IS NOT NULL
BEGIN
    INSERT INTO overview_generations (buyer_org_id, generation) VALUES (NEW.requester_org_id, 1)
        ON CONFLICT (buyer_org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER overview_sent_deleted AFTER DELETE ON assessments WHEN OLD.requester_org_id IS NOT NULL
BEGIN
    INSERT INTO overview_generations (buyer_org_id, generation) VALUES (OLD.requester_org_id, 1)
        ON CONFLICT (buyer_org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER overview_link_inserted AFTER INSERT ON supplier_links
BEGIN
    INSERT INTO overview_generations (buyer_org_id, generation) VALUES (NEW.buyer_org_id, 1)
        ON CONFLICT (buyer_org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER overview_link_deleted AFTER DELETE ON supplier_links
BEGIN
    INSERT INTO overview_generations (buyer_org_id, generation) VALUES (OLD.buyer_org_id, 1)
        ON CONFLICT (buyer_org_id) DO UPDATE SET generation = generation + 1;
END;

CREATE TRIGGER overview_supplier_renamed AFTER UPDATE OF name, slug ON organisations
BEGIN
    INSERT INTO overview_generations (buyer_org_id, generation)
        SELECT buyer_org_id, 1 FROM supplier_links WHERE supplier_org_id = NEW.id AND true
        ON CONFLICT (buyer_org_id) DO UPDATE SET generation = generation + 1;
END;

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
