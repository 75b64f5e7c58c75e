-- Catalogs an organisation imported (its own regulations, a customer's standard, its copy of a
-- structure-only catalog). An edition is immutable: a row is inserted once, with its journal
-- event (catalog.imported, carrying the document's digest), and never updated.
CREATE TABLE catalogs (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    key TEXT NOT NULL,
    edition TEXT NOT NULL,
    urn TEXT NOT NULL,
    classification INTEGER NOT NULL,
    digest TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT,
    UNIQUE (org_id, key, edition)
);

-- The catalog document (CatalogDef as JSON), apart from the row above: a document can be tens
-- of megabytes, and lists must not read through it.
CREATE TABLE catalog_documents (
    id TEXT PRIMARY KEY REFERENCES catalogs (id),
    document TEXT NOT NULL
);
