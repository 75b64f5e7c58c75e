-- Imports waiting for the person's confirmation: the rows read from the file, as JSON.
CREATE TABLE import_batches (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    person_id TEXT NOT NULL,
    register TEXT NOT NULL,
    source TEXT NOT NULL,
    rows TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX import_batches_by_person ON import_batches (org_id, person_id);
