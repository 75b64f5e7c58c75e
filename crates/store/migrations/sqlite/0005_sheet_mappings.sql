-- Column mappings of spreadsheet catalog imports, one per organisation and layout (the
-- fingerprint of a sheet's header row): the mapping a person confirmed last for that layout,
-- as JSON. Replaced when a later import of the same layout confirms another; each save is
-- journaled (sheet_mapping.saved, with the mapping).
CREATE TABLE sheet_mappings (
    org_id TEXT NOT NULL REFERENCES organisations (id),
    layout TEXT NOT NULL,
    mapping TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    updated_by TEXT,
    PRIMARY KEY (org_id, layout)
);

-- Spreadsheets uploaded for a catalog import and waiting on the mapping step: the file as it
-- was sent, for the person who sent it, until they confirm or a day passes (at most a few per
-- person). Nothing is journaled here: the import is, when it is confirmed.
CREATE TABLE catalog_uploads (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    person_id TEXT NOT NULL,
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    fields TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX catalog_uploads_by_person ON catalog_uploads (org_id, person_id, created_at);
