-- Assessments: answering a catalog (or part of it) for a period. The assessment's document
-- (name, period, unit, catalog, scope, scale, state, workbook) and each item's document
-- (answers, assignee, due date, approval, evidence) are written with their journal events
-- (assessment.created / transitioned / item_changed, carrying the documents as they became) and
-- versioned like records; `mamori verify` compares both with the journal. The summary columns
-- (items, answered, gaps, score) are derived from the items on every change, for lists and
-- dashboards, and are not journaled. `requester_org_id` is the buyer that distributed it (its
-- document says so too); `reminded_at` the last reminder (journaled as assessment.reminded).
CREATE TABLE assessments (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    unit_id TEXT,
    requester_org_id TEXT REFERENCES organisations (id),
    reminded_at TEXT,
    name TEXT NOT NULL,
    period TEXT NOT NULL,
    catalog_key TEXT NOT NULL,
    catalog_edition TEXT NOT NULL,
    state TEXT NOT NULL,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    items INTEGER NOT NULL,
    answered INTEGER NOT NULL,
    gaps INTEGER NOT NULL,
    mandatory_gaps INTEGER NOT NULL,
    approved INTEGER NOT NULL,
    score_tenths INTEGER,
    created_at TEXT NOT NULL,
    created_by TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX assessments_by_org ON assessments (org_id, created_at, id);
CREATE INDEX assessments_by_requester ON assessments (requester_org_id, created_at, id);

-- A buyer and the supplier organisations it works with (journaled as supplier.linked in the
-- buyer's chain). The only relation that lets one organisation read another's data: the buyer
-- reads the assessments it sent once they are submitted.
CREATE TABLE supplier_links (
    buyer_org_id TEXT NOT NULL REFERENCES organisations (id),
    supplier_org_id TEXT NOT NULL REFERENCES organisations (id),
    created_at TEXT NOT NULL,
    created_by TEXT,
    PRIMARY KEY (buyer_org_id, supplier_org_id)
);

-- The buyer's inspections and findings about a supplier (its カルテ), written once.
CREATE TABLE supplier_findings (
    id TEXT PRIMARY KEY,
    buyer_org_id TEXT NOT NULL REFERENCES organisations (id),
    supplier_org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    on_date TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT
);
CREATE INDEX supplier_findings_by_supplier ON supplier_findings (buyer_org_id, supplier_org_id, on_date);

CREATE TABLE assessment_items (
    assessment_id TEXT NOT NULL REFERENCES assessments (id),
    ref_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    document TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (assessment_id, ref_id)
);

-- Evidence: a file (its content in evidence_blobs, by SHA-256) or a link. Never updated: a new
-- file is a new row, and the same content is stored once per organisation.
CREATE TABLE evidence (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES organisations (id),
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    sha256 TEXT,
    media_type TEXT,
    size INTEGER,
    url TEXT,
    created_at TEXT NOT NULL,
    created_by TEXT
);
CREATE INDEX evidence_by_content ON evidence (org_id, sha256);

CREATE TABLE evidence_blobs (
    org_id TEXT NOT NULL REFERENCES organisations (id),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (org_id, sha256)
);
