//! Assessments, their items and evidence. Every change is one command (see writer.rs): it
//! appends its journal events, writes the documents they carry, and refreshes the assessment's
//! summary from all of its items with the scoring function the caller passes (core's rules; the
//! store only runs them inside the transaction, so two answers given at once both count).
//! Evidence content is stored once per organisation by SHA-256 and checked against it on every
//! read.

use std::collections::BTreeMap;

use mamori_core::assessment::{AssessmentDoc, ItemState, Summary};
use mamori_core::authz::AssessmentScope;
use mamori_core::error::CoreError;
use mamori_core::evidence::{EvidenceError, FileName, MediaType};
use mamori_core::ids::{OrgId, PersonId};
use mamori_core::journal::{EventKind, sha256_hex};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use time::OffsetDateTime;

use crate::journal::{self, person_id};
use crate::{Ctx, Store, StoreError, time_text};

/// An assessment as stored: its document, version and summary.
#[derive(Debug, Clone)]
pub struct AssessmentRow {
    pub id: String,
    pub org: OrgId,
    pub version: i64,
    pub doc: AssessmentDoc,
    pub summary: Summary,
    pub created_at: OffsetDateTime,
    pub created_by: Option<PersonId>,
    pub updated_at: OffsetDateTime,
    /// When the buyer last reminded the supplier.
    pub reminded_at: Option<OffsetDateTime>,
}

/// One item's stored state and version.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    pub version: i64,
    pub state: ItemState,
}

/// A change to one item: the version it was read at (None: not stored yet) and its new state.
#[derive(Debug, Clone)]
pub struct ItemChange {
    pub ref_id: String,
    pub expected_version: Option<i64>,
    pub state: ItemState,
}

/// Why items changed, journaled with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemChangeKind {
    Answer,
    Assign,
    Approve,
    Evidence,
    Action,
}

impl ItemChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            ItemChangeKind::Answer => "answer",
            ItemChangeKind::Assign => "assign",
            ItemChangeKind::Approve => "approve",
            ItemChangeKind::Evidence => "evidence",
            ItemChangeKind::Action => "action",
        }
    }
}

/// A piece of evidence: a stored file or a link.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceRow {
    pub id: String,
    pub org: OrgId,
    pub name: String,
    pub file: Option<EvidenceFile>,
    pub url: Option<String>,
    pub created_at: OffsetDateTime,
    pub created_by: Option<PersonId>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceFile {
    pub sha256: String,
    pub media_type: MediaType,
    pub size: i64,
}

/// The scoring of all of an assessment's items, as core computes it.
pub type Summarise = Box<dyn Fn(&BTreeMap<String, ItemState>) -> Summary + Send + Sync>;

fn doc_json(doc: &AssessmentDoc) -> Result<Value, StoreError> {
    serde_json::to_value(doc).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn item_json(state: &ItemState) -> Result<Value, StoreError> {
    serde_json::to_value(state).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// The entity id of an item in the journal.
pub(crate) fn item_entity(assessment: &str, ref_id: &str) -> String {
    format!("{assessment}/{ref_id}")
}

const UPDATE_SUMMARY: &str = "UPDATE assessments SET items = $1, answered = $2, gaps = $3, mandatory_gaps = $4, approved = $5, \
     score_tenths = $6, updated_at = $7 WHERE id = $8";

/// Inserts a new assessment with its first item states and their journal events, inside the
/// caller's transaction.
pub(crate) async fn insert_assessment(
    conn: &mut AnyConnection,
    group: Option<&crate::writer::GroupState>,
    c: &Ctx,
    id_text: &str,
    d: &AssessmentDoc,
    items: &BTreeMap<String, ItemState>,
    summary: &Summary,
) -> Result<(), StoreError> {
    let doc_value = doc_json(d)?;
    let item_values: BTreeMap<String, Value> =
        items.iter().map(|(r, s)| Ok((r.clone(), item_json(s)?))).collect::<Result<_, StoreError>>()?;
    let mut events = vec![c.event(
        EventKind::AssessmentCreated,
        "assessment",
        id_text,
        json!({"version": 1, "before": Value::Null, "after": doc_value}),
    )];
    for (r, value) in &item_values {
        events.push(c.event(
            EventKind::AssessmentItemChanged,
            "assessment_item",
            item_entity(id_text, r),
            json!({"assessment": id_text, "ref": r, "change": "carry", "version": 1, "before": Value::Null, "after": value}),
        ));
    }
    journal::append(conn, events, group).await?;
    let at = time_text::to_text(c.at);
    sqlx::query(
        "INSERT INTO assessments (id, org_id, unit_id, requester_org_id, name, period, catalog_key, catalog_edition, state, \
         version, document, items, answered, gaps, mandatory_gaps, approved, score_tenths, created_at, created_by, updated_at, due_on) \
         VALUES ($1, $2, $3, $12, $4, $5, $6, $7, $8, 1, $9, 0, 0, 0, 0, 0, NULL, $10, $11, $10, $13)",
    )
    .bind(id_text.to_string())
    .bind(c.org.to_string())
    .bind(d.unit.map(|u| u.to_string()))
    .bind(d.name.clone())
    .bind(d.period.clone())
    .bind(d.catalog_key.clone())
    .bind(d.catalog_edition.clone())
    .bind(d.state.as_str().to_string())
    .bind(doc_value.to_string())
    .bind(at.clone())
    .bind(c.actor.map(|a| a.to_string()))
    .bind(d.requester.map(|r| r.to_string()))
    .bind(d.due.map(date_text).transpose()?)
    .execute(&mut *conn)
    .await?;
    for (r, value) in &item_values {
        sqlx::query("INSERT INTO assessment_items (assessment_id, ref_id, version, document, updated_at) VALUES ($1, $2, 1, $3, $4)")
            .bind(id_text.to_string())
            .bind(r.clone())
            .bind(value.to_string())
            .bind(at.clone())
            .execute(&mut *conn)
            .await?;
    }
    write_summary(conn, id_text, summary, &at).await
}

fn score_tenths(summary: &Summary) -> Option<i64> {
    summary.score.map(|s| (s * 10.0).round() as i64)
}

async fn write_summary(conn: &mut AnyConnection, id: &str, summary: &Summary, at: &str) -> Result<(), StoreError> {
    sqlx::query(UPDATE_SUMMARY)
        .bind(summary.items as i64)
        .bind(summary.answered as i64)
        .bind(summary.gaps as i64)
        .bind(summary.mandatory_gaps as i64)
        .bind(summary.approved as i64)
        .bind(score_tenths(summary))
        .bind(at.to_string())
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn read_items(conn: &mut AnyConnection, id: &str) -> Result<BTreeMap<String, StoredItem>, StoreError> {
    let rows = sqlx::query("SELECT ref_id, version, document FROM assessment_items WHERE assessment_id = $1")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let document: String = row.try_get("document")?;
        let state: ItemState = serde_json::from_str(&document).map_err(|e| StoreError::Corrupt(format!("assessment item: {e}")))?;
        out.insert(row.try_get("ref_id")?, StoredItem { version: row.try_get("version")?, state });
    }
    Ok(out)
}

/// The summary columns of an assessment row (written by `write_summary`).
pub(crate) fn summary_from_row(row: &sqlx::any::AnyRow) -> Result<Summary, StoreError> {
    let count = |name: &str| row.try_get::<i64, _>(name).map(|v| v.max(0) as usize);
    let tenths: Option<i64> = row.try_get("score_tenths")?;
    Ok(Summary {
        items: count("items")?,
        answered: count("answered")?,
        gaps: count("gaps")?,
        mandatory_gaps: count("mandatory_gaps")?,
        approved: count("approved")?,
        score: tenths.map(|t| t as f64 / 10.0),
    })
}

fn row_to_assessment(row: &sqlx::any::AnyRow) -> Result<AssessmentRow, StoreError> {
    let document: String = row.try_get("document")?;
    let doc: AssessmentDoc = serde_json::from_str(&document).map_err(|e| StoreError::Corrupt(format!("assessment: {e}")))?;
    let time = |name: &str| -> Result<OffsetDateTime, StoreError> {
        let text: String = row.try_get(name)?;
        time_text::from_text(&text).ok_or_else(|| StoreError::Corrupt(format!("assessment {name}")))
    };
    Ok(AssessmentRow {
        id: row.try_get("id")?,
        org: OrgId::parse(&row.try_get::<String, _>("org_id")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        version: row.try_get("version")?,
        doc,
        summary: summary_from_row(row)?,
        created_at: time("created_at")?,
        created_by: person_id(row.try_get("created_by")?),
        updated_at: time("updated_at")?,
        reminded_at: row.try_get::<Option<String>, _>("reminded_at")?.and_then(|t| time_text::from_text(&t)),
    })
}

/// A date as the `due_on` column holds it (as the document does: `YYYY-MM-DD`).
pub(crate) fn date_text(date: time::Date) -> Result<String, StoreError> {
    date.format(DATE).map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) const DATE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

const ASSESSMENT_COLUMNS: &str = "id, org_id, version, document, items, answered, gaps, mandatory_gaps, approved, score_tenths, \
     created_at, created_by, updated_at, reminded_at";

impl Store {
    /// Creates an assessment with its first item states (carried from last year, or the answers
    /// a customer's workbook already holds) and journals it.
    pub async fn create_assessment(
        &self,
        ctx: &Ctx,
        id: uuid::Uuid,
        doc: &AssessmentDoc,
        items: &BTreeMap<String, ItemState>,
        summary: Summary,
    ) -> Result<AssessmentRow, StoreError> {
        let (this, c, d, items_owned) = (self.clone(), ctx.clone(), doc.clone(), items.clone());
        self.write(move |conn| {
            Box::pin(async move { insert_assessment(conn, this.group(), &c, &id.to_string(), &d, &items_owned, &summary).await })
        })
        .await?;
        self.assessment(ctx.org, &id.to_string()).await?.ok_or(StoreError::NotFound("assessment"))
    }

    /// The organisation's assessments that `scope` reaches, newest first.
    pub async fn assessments(&self, org: OrgId, scope: &AssessmentScope) -> Result<Vec<AssessmentRow>, StoreError> {
        let sql = format!("SELECT {ASSESSMENT_COLUMNS}, unit_id FROM assessments WHERE org_id = $1 ORDER BY created_at DESC, id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.to_string()).fetch_all(self.pool()).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let a = row_to_assessment(row)?;
            if scope.admits(a.doc.unit) {
                out.push(a);
            }
        }
        Ok(out)
    }

    /// An assessment by id, whatever its organisation: for the buyer that sent it, whose right
    /// core decides (`Resource::Assessment`'s requester). Never shown without that decision.
    pub async fn assessment_by_id(&self, id: &str) -> Result<Option<AssessmentRow>, StoreError> {
        let sql = format!("SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.to_string()).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_assessment).transpose()
    }

    /// Every assessment a buyer distributed, newest first (the buyer's dashboard reads only the
    /// summary columns, not the items).
    pub async fn requested_assessments(&self, buyer: OrgId) -> Result<Vec<AssessmentRow>, StoreError> {
        let sql = format!("SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE requester_org_id = $1 ORDER BY created_at DESC, id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(buyer.to_string()).fetch_all(self.pool()).await?;
        rows.iter().map(row_to_assessment).collect()
    }

    /// Records that the buyer reminded the supplier (an event in the supplier's chain, the time
    /// on the assessment for the supplier's pages).
    pub async fn remind(&self, ctx: &Ctx, id: &str, buyer: OrgId) -> Result<(), StoreError> {
        let (this, c, assessment) = (self.clone(), ctx.clone(), id.to_string());
        self.write(move |conn| {
            Box::pin(async move {
                let event = c.event(EventKind::AssessmentReminded, "assessment", &assessment, json!({"buyer": buyer.to_string()}));
                journal::append(conn, vec![event], this.group()).await?;
                let done = sqlx::query("UPDATE assessments SET reminded_at = $1 WHERE org_id = $2 AND id = $3 AND requester_org_id = $4")
                    .bind(time_text::to_text(c.at))
                    .bind(c.org.to_string())
                    .bind(assessment.clone())
                    .bind(buyer.to_string())
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::NotFound("assessment"));
                }
                Ok(())
            })
        })
        .await
    }

    /// One assessment of the organisation (None for another organisation's id).
    pub async fn assessment(&self, org: OrgId, id: &str) -> Result<Option<AssessmentRow>, StoreError> {
        let sql = format!("SELECT {ASSESSMENT_COLUMNS} FROM assessments WHERE org_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(org.to_string()).bind(id.to_string()).fetch_optional(self.pool()).await?;
        row.as_ref().map(row_to_assessment).transpose()
    }

    /// The stored items of an assessment of the organisation, by requirement ref.
    pub async fn assessment_items(&self, org: OrgId, id: &str) -> Result<BTreeMap<String, StoredItem>, StoreError> {
        let mut conn = self.pool().acquire().await?;
        let owned = sqlx::query("SELECT id FROM assessments WHERE org_id = $1 AND id = $2")
            .bind(org.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
        if owned.is_none() {
            return Err(StoreError::NotFound("assessment"));
        }
        read_items(&mut conn, id).await
    }

    /// Changes items of an assessment at the assessment version they were decided on; any item
    /// changed meanwhile (its version moved) or an assessment that moved on fails the whole
    /// command with `StaleVersion`. Journals one event per item and refreshes the summary.
    pub async fn change_items(
        &self,
        ctx: &Ctx,
        assessment: &str,
        assessment_version: i64,
        kind: ItemChangeKind,
        changes: Vec<ItemChange>,
        summarise: Summarise,
    ) -> Result<Summary, StoreError> {
        if changes.is_empty() {
            return Err(StoreError::NotFound("assessment item"));
        }
        let (this, c, id) = (self.clone(), ctx.clone(), assessment.to_string());
        self.write(move |conn| {
            Box::pin(async move {
                let current = sqlx::query("SELECT version FROM assessments WHERE org_id = $1 AND id = $2")
                    .bind(c.org.to_string())
                    .bind(id.clone())
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound("assessment"))?;
                let found: i64 = current.try_get("version")?;
                if found != assessment_version {
                    return Err(StoreError::Core(CoreError::StaleVersion { expected: assessment_version, found }));
                }
                let mut items = read_items(conn, &id).await?;
                let mut events = Vec::with_capacity(changes.len());
                let at = time_text::to_text(c.at);
                let mut writes = Vec::with_capacity(changes.len());
                for change in changes {
                    let stored = items.get(&change.ref_id);
                    let found = stored.map(|s| s.version);
                    if found != change.expected_version {
                        return Err(StoreError::Core(CoreError::StaleVersion {
                            expected: change.expected_version.unwrap_or(0),
                            found: found.unwrap_or(0),
                        }));
                    }
                    let version = found.unwrap_or(0) + 1;
                    let before = stored.map(|s| item_json(&s.state)).transpose()?.unwrap_or(Value::Null);
                    let after = item_json(&change.state)?;
                    events.push(c.event(
                        EventKind::AssessmentItemChanged,
                        "assessment_item",
                        item_entity(&id, &change.ref_id),
                        json!({"assessment": id, "ref": change.ref_id, "change": kind.as_str(), "version": version, "before": before, "after": after}),
                    ));
                    writes.push((change.ref_id.clone(), version, after.to_string(), found.is_some()));
                    items.insert(change.ref_id, StoredItem { version, state: change.state });
                }
                journal::append(conn, events, this.group()).await?;
                for (r, version, document, exists) in writes {
                    let sql = if exists {
                        "UPDATE assessment_items SET version = $3, document = $4, updated_at = $5 WHERE assessment_id = $1 AND ref_id = $2"
                    } else {
                        "INSERT INTO assessment_items (assessment_id, ref_id, version, document, updated_at) VALUES ($1, $2, $3, $4, $5)"
                    };
                    sqlx::query(sql).bind(id.clone()).bind(r).bind(version).bind(document).bind(at.clone()).execute(&mut *conn).await?;
                }
                let states: BTreeMap<String, ItemState> = items.into_iter().map(|(r, s)| (r, s.state)).collect();
                let summary = summarise(&states);
                write_summary(conn, &id, &summary, &at).await?;
                Ok(summary)
            })
        })
        .await
    }

    /// Replaces the assessment's document (a transition, a new due date) at the version it was
    /// decided on, journals before and after, and refreshes the summary.
    pub async fn update_assessment(
        &self,
        ctx: &Ctx,
        id: &str,
        expected_version: i64,
        doc: &AssessmentDoc,
        summarise: Summarise,
    ) -> Result<AssessmentRow, StoreError> {
        let after = doc_json(doc)?;
        let (this, c, assessment, d) = (self.clone(), ctx.clone(), id.to_string(), doc.clone());
        self.write(move |conn| {
            Box::pin(async move {
                let row = sqlx::query("SELECT version, document FROM assessments WHERE org_id = $1 AND id = $2")
                    .bind(c.org.to_string())
                    .bind(assessment.clone())
                    .fetch_optional(&mut *conn)
                    .await?
                    .ok_or(StoreError::NotFound("assessment"))?;
                let found: i64 = row.try_get("version")?;
                if found != expected_version {
                    return Err(StoreError::Core(CoreError::StaleVersion { expected: expected_version, found }));
                }
                let before: Value = serde_json::from_str(&row.try_get::<String, _>("document")?)
                    .map_err(|e| StoreError::Corrupt(format!("assessment: {e}")))?;
                let version = found + 1;
                let event = c.event(
                    EventKind::AssessmentTransitioned,
                    "assessment",
                    &assessment,
                    json!({"version": version, "before": before, "after": after}),
                );
                journal::append(conn, vec![event], this.group()).await?;
                let at = time_text::to_text(c.at);
                sqlx::query(
                    "UPDATE assessments SET version = $1, document = $2, state = $3, name = $4, period = $5, updated_at = $6, due_on = $8 \
                     WHERE id = $7",
                )
                .bind(version)
                .bind(after.to_string())
                .bind(d.state.as_str().to_string())
                .bind(d.name.clone())
                .bind(d.period.clone())
                .bind(at.clone())
                .bind(assessment.clone())
                .bind(d.due.map(date_text).transpose()?)
                .execute(&mut *conn)
                .await?;
                let items = read_items(conn, &assessment).await?;
                let states: BTreeMap<String, ItemState> = items.into_iter().map(|(r, s)| (r, s.state)).collect();
                write_summary(conn, &assessment, &summarise(&states), &at).await?;
                Ok(())
            })
        })
        .await?;
        self.assessment(ctx.org, id).await?.ok_or(StoreError::NotFound("assessment"))
    }

    // -----------------------------------------------------------------------------------------
    // Evidence.

    /// Stores a file checked by core (`evidence::check_upload`) as evidence. The content is kept
    /// once per organisation by its SHA-256; the same name and content again is the same
    /// evidence.
    pub async fn add_evidence_file(
        &self,
        ctx: &Ctx,
        name: &FileName,
        media_type: MediaType,
        bytes: Vec<u8>,
    ) -> Result<EvidenceRow, StoreError> {
        let sha = sha256_hex(&bytes);
        let existing = sqlx::query("SELECT id FROM evidence WHERE org_id = $1 AND sha256 = $2 AND name = $3")
            .bind(ctx.org.to_string())
            .bind(sha.clone())
            .bind(name.as_str().to_string())
            .fetch_optional(self.pool())
            .await?;
        if let Some(row) = existing {
            let id: String = row.try_get("id")?;
            return self.evidence(ctx.org, &id).await?.ok_or(StoreError::NotFound("evidence"));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let (this, c, evidence_id, file_name) = (self.clone(), ctx.clone(), id.clone(), name.clone());
        self.write(move |conn| {
            Box::pin(async move { insert_evidence_file(conn, this.group(), &c, &evidence_id, &file_name, media_type, bytes).await })
        })
        .await?;
        self.evidence(ctx.org, &id).await?.ok_or(StoreError::NotFound("evidence"))
    }

    /// Stores a link (checked by core) as evidence.
    pub async fn add_evidence_link(&self, ctx: &Ctx, title: &str, url: &str) -> Result<EvidenceRow, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let (this, c, evidence_id, title, url) = (self.clone(), ctx.clone(), id.clone(), title.to_string(), url.to_string());
        self.write(move |conn| Box::pin(async move { insert_evidence_link(conn, this.group(), &c, &evidence_id, &title, &url).await }))
            .await?;
        self.evidence(ctx.org, &id).await?.ok_or(StoreError::NotFound("evidence"))
    }

    /// One piece of the organisation's evidence.
    pub async fn evidence(&self, org: OrgId, id: &str) -> Result<Option<EvidenceRow>, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, sha256, media_type, size, url, created_at, created_by FROM evidence WHERE org_id = $1 AND id = $2",
        )
        .bind(org.to_string())
        .bind(id.to_string())
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| evidence_row(org, &r)).transpose()
    }

    /// Several pieces of evidence by id, in the order given (unknown ids are skipped).
    pub async fn evidence_many(&self, org: OrgId, ids: &[String]) -> Result<Vec<EvidenceRow>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(e) = self.evidence(org, id).await? {
                out.push(e);
            }
        }
        Ok(out)
    }

    /// The content of a stored file, checked against its hash: a mismatch is an error, never
    /// wrong bytes served.
    pub async fn evidence_content(&self, org: OrgId, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let row = sqlx::query("SELECT content FROM evidence_blobs WHERE org_id = $1 AND sha256 = $2")
            .bind(org.to_string())
            .bind(sha256.to_string())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("evidence file"))?;
        let content: Vec<u8> = row.try_get("content")?;
        if sha256_hex(&content) != sha256 {
            return Err(StoreError::Evidence(EvidenceError::Corrupt));
        }
        Ok(content)
    }

    /// Stores a file that is not evidence of an answer (a customer's workbook) by its hash, and
    /// returns the hash. Same content, same row.
    pub async fn put_file(&self, ctx: &Ctx, bytes: Vec<u8>) -> Result<String, StoreError> {
        let sha = sha256_hex(&bytes);
        let (c, sha_owned) = (ctx.clone(), sha.clone());
        self.write(move |conn| {
            Box::pin(async move {
                put_blob(conn, c.org, &sha_owned, bytes).await?;
                Ok(())
            })
        })
        .await?;
        Ok(sha)
    }
}

/// Stores content under its hash unless the organisation has it already (never overwritten).
/// Inserts a file as new evidence (its content once per organisation) with its journal event,
/// inside the caller's transaction.
pub(crate) async fn insert_evidence_file(
    conn: &mut AnyConnection,
    group: Option<&crate::writer::GroupState>,
    c: &Ctx,
    evidence_id: &str,
    name: &FileName,
    media_type: MediaType,
    bytes: Vec<u8>,
) -> Result<(), StoreError> {
    let sha = sha256_hex(&bytes);
    let size = bytes.len() as i64;
    let event = c.event(
        EventKind::EvidenceAdded,
        "evidence",
        evidence_id,
        json!({"kind": "file", "name": name.as_str(), "sha256": sha, "media_type": media_type.as_str(), "size": size}),
    );
    journal::append(conn, vec![event], group).await?;
    put_blob(conn, c.org, &sha, bytes).await?;
    sqlx::query(
        "INSERT INTO evidence (id, org_id, kind, name, sha256, media_type, size, url, created_at, created_by) \
         VALUES ($1, $2, 'file', $3, $4, $5, $6, NULL, $7, $8)",
    )
    .bind(evidence_id.to_string())
    .bind(c.org.to_string())
    .bind(name.as_str().to_string())
    .bind(sha)
    .bind(media_type.as_str().to_string())
    .bind(size)
    .bind(time_text::to_text(c.at))
    .bind(c.actor.map(|a| a.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Inserts a link as new evidence with its journal event, inside the caller's transaction.
pub(crate) async fn insert_evidence_link(
    conn: &mut AnyConnection,
    group: Option<&crate::writer::GroupState>,
    c: &Ctx,
    evidence_id: &str,
    title: &str,
    url: &str,
) -> Result<(), StoreError> {
    let event = c.event(EventKind::EvidenceAdded, "evidence", evidence_id, json!({"kind": "link", "name": title, "url": url}));
    journal::append(conn, vec![event], group).await?;
    sqlx::query(
        "INSERT INTO evidence (id, org_id, kind, name, sha256, media_type, size, url, created_at, created_by) \
         VALUES ($1, $2, 'link', $3, NULL, NULL, NULL, $4, $5, $6)",
    )
    .bind(evidence_id.to_string())
    .bind(c.org.to_string())
    .bind(title.to_string())
    .bind(url.to_string())
    .bind(time_text::to_text(c.at))
    .bind(c.actor.map(|a| a.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn put_blob(conn: &mut AnyConnection, org: OrgId, sha256: &str, bytes: Vec<u8>) -> Result<(), StoreError> {
    let stored = sqlx::query("SELECT sha256 FROM evidence_blobs WHERE org_id = $1 AND sha256 = $2")
        .bind(org.to_string())
        .bind(sha256.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if stored.is_none() {
        sqlx::query("INSERT INTO evidence_blobs (org_id, sha256, size, content) VALUES ($1, $2, $3, $4)")
            .bind(org.to_string())
            .bind(sha256.to_string())
            .bind(bytes.len() as i64)
            .bind(bytes)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

fn evidence_row(org: OrgId, r: &sqlx::any::AnyRow) -> Result<EvidenceRow, StoreError> {
    let sha: Option<String> = r.try_get("sha256")?;
    let media: Option<String> = r.try_get("media_type")?;
    let size: Option<i64> = r.try_get("size")?;
    let file = match (sha, media) {
        (Some(sha256), Some(media)) => Some(EvidenceFile {
            sha256,
            media_type: MediaType::parse(&media).ok_or_else(|| StoreError::Corrupt(format!("evidence type {media}")))?,
            size: size.unwrap_or(0),
        }),
        _ => None,
    };
    let created_at: String = r.try_get("created_at")?;
    Ok(EvidenceRow {
        id: r.try_get("id")?,
        org,
        name: r.try_get("name")?,
        file,
        url: r.try_get("url")?,
        created_at: time_text::from_text(&created_at).ok_or_else(|| StoreError::Corrupt("evidence time".into()))?,
        created_by: person_id(r.try_get("created_by")?),
    })
}
