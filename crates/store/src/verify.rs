//! `mamori verify`: walks every organisation's journal chain event by event, then checks that
//! the current-state records are exactly what the journal says they are, naming the first
//! broken event.

use std::collections::BTreeMap;

use mamori_core::ids::OrgId;
use mamori_core::journal::{ChainBreak, ChainHead, ChainVerifier, EventKind, StoredEvent, sha256_hex};
use sqlx::Row;

use crate::{Store, StoreError};

/// Events read per query while walking a chain.
const BATCH: i64 = 5_000;

/// The outcome for one organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct OrgVerification {
    pub org: OrgId,
    pub slug: String,
    pub events: i64,
    pub records: i64,
    pub problem: Option<ChainBreak>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerifyReport {
    pub organisations: Vec<OrgVerification>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.organisations.iter().all(|o| o.problem.is_none())
    }
}

/// What the journal says a record's current state is: its version, the digest of its document,
/// and the event that set it.
struct Expected {
    version: i64,
    digest: String,
    seq: i64,
}

impl Store {
    pub async fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut organisations = Vec::new();
        for org in self.organisations().await? {
            organisations.push(self.verify_org(org.id, &org.slug).await?);
        }
        Ok(VerifyReport { organisations })
    }

    async fn verify_org(&self, org: OrgId, slug: &str) -> Result<OrgVerification, StoreError> {
        let mut verifier = ChainVerifier::new(org);
        let mut expected: BTreeMap<String, Expected> = BTreeMap::new();
        let mut catalogs: BTreeMap<String, Expected> = BTreeMap::new();
        let mut assessments: BTreeMap<String, Expected> = BTreeMap::new();
        let mut after_seq = 0i64;
        let mut outcome = OrgVerification { org, slug: slug.to_string(), events: 0, records: 0, problem: None };
        loop {
            let rows = sqlx::query("SELECT seq, hash, header, payload FROM journal WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3")
                .bind(org.to_string())
                .bind(after_seq)
                .bind(BATCH)
                .fetch_all(self.pool())
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let event = StoredEvent {
                    seq: row.try_get("seq")?,
                    hash: row.try_get("hash")?,
                    header_bytes: row.try_get("header")?,
                    payload_bytes: row.try_get("payload")?,
                };
                after_seq = event.seq;
                match verifier.check(&event) {
                    Ok((header, Some(payload))) if matches!(header.kind, EventKind::RecordCreated | EventKind::RecordUpdated) => {
                        let version = payload.get("version").and_then(|v| v.as_i64()).unwrap_or(0);
                        let after = payload.get("after").cloned().unwrap_or_default();
                        let digest = canonical_digest(&after);
                        expected.insert(header.entity_id.clone(), Expected { version, digest, seq: event.seq });
                    }
                    Ok((header, Some(payload)))
                        if matches!(
                            header.kind,
                            EventKind::AssessmentCreated | EventKind::AssessmentTransitioned | EventKind::AssessmentItemChanged
                        ) =>
                    {
                        let version = payload.get("version").and_then(|v| v.as_i64()).unwrap_or(0);
                        let digest = canonical_digest(&payload.get("after").cloned().unwrap_or_default());
                        let key = format!("{}:{}", header.entity_type, header.entity_id);
                        assessments.insert(key, Expected { version, digest, seq: event.seq });
                    }
                    Ok((header, Some(payload))) if header.kind == EventKind::CatalogImported => {
                        let digest = payload.get("digest").and_then(|d| d.as_str()).unwrap_or_default().to_string();
                        catalogs.insert(header.entity_id.clone(), Expected { version: 1, digest, seq: event.seq });
                    }
                    Ok(_) => {}
                    Err(problem) => {
                        outcome.events = event.seq;
                        outcome.problem = Some(problem);
                        return Ok(outcome);
                    }
                }
                outcome.events = event.seq;
            }
        }
        let head =
            sqlx::query("SELECT seq, hash FROM journal_heads WHERE org_id = $1").bind(org.to_string()).fetch_optional(self.pool()).await?;
        let stored_head = head.map(|r| Ok::<_, StoreError>(ChainHead { seq: r.try_get("seq")?, hash: r.try_get("hash")? })).transpose()?;
        if let Err(problem) = verifier.finish(stored_head.as_ref()) {
            outcome.problem = Some(problem);
            return Ok(outcome);
        }

        // The current state must be what the journal says, record by record.
        let mut last_id = String::new();
        loop {
            let rows = sqlx::query("SELECT id, version, document FROM records WHERE org_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(org.to_string())
                .bind(last_id.clone())
                .bind(BATCH)
                .fetch_all(self.pool())
                .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let id: String = row.try_get("id")?;
                let version: i64 = row.try_get("version")?;
                let document: String = row.try_get("document")?;
                outcome.records += 1;
                let digest = serde_json::from_str::<serde_json::Value>(&document).map(|d| canonical_digest(&d)).unwrap_or_default();
                let problem = match expected.remove(&id) {
                    None => Some(ChainBreak {
                        org,
                        seq: outcome.events,
                        reason: format!("record {id} exists but the journal never created it"),
                    }),
                    Some(e) if e.version != version || e.digest != digest => Some(ChainBreak {
                        org,
                        seq: e.seq,
                        reason: format!(
                            "record {id} does not match its last journal event (version {version} stored, {} journaled)",
                            e.version
                        ),
                    }),
                    Some(_) => None,
                };
                if problem.is_some() {
                    outcome.problem = problem;
                    return Ok(outcome);
                }
                last_id = id;
            }
        }
        if let Some((id, e)) = expected.into_iter().next() {
            outcome.problem =
                Some(ChainBreak { org, seq: e.seq, reason: format!("record {id} is in the journal but missing from the current state") });
            return Ok(outcome);
        }
        outcome.problem = self.verify_catalogs(org, outcome.events, catalogs).await?;
        if outcome.problem.is_none() {
            outcome.problem = self.verify_assessments(org, outcome.events, assessments).await?;
        }
        Ok(outcome)
    }

    /// Every imported catalog is the document its journal event names, and every journaled
    /// import has its catalog. Documents are read one at a time: they can be large.
    async fn verify_catalogs(
        &self,
        org: OrgId,
        last: i64,
        mut expected: BTreeMap<String, Expected>,
    ) -> Result<Option<ChainBreak>, StoreError> {
        let ids = sqlx::query("SELECT id FROM catalogs WHERE org_id = $1 ORDER BY id").bind(org.to_string()).fetch_all(self.pool()).await?;
        for row in ids {
            let id: String = row.try_get("id")?;
            let stored = sqlx::query(
                "SELECT d.document, c.digest FROM catalogs c LEFT JOIN catalog_documents d ON d.id = c.id WHERE c.org_id = $1 AND c.id = $2",
            )
                .bind(org.to_string())
                .bind(id.clone())
                .fetch_one(self.pool())
                .await?;
            let document: Option<String> = stored.try_get("document")?;
            let document = document.unwrap_or_default();
            let digest: String = stored.try_get("digest")?;
            let problem = match expected.remove(&id) {
                None => Some(ChainBreak { org, seq: last, reason: format!("catalog {id} exists but the journal never imported it") }),
                Some(e) if e.digest != digest || crate::catalogs::document_digest(&document) != digest => {
                    Some(ChainBreak { org, seq: e.seq, reason: format!("catalog {id} does not match the document its import journaled") })
                }
                Some(_) => None,
            };
            if problem.is_some() {
                return Ok(problem);
            }
        }
        Ok(expected.into_iter().next().map(|(id, e)| ChainBreak {
            org,
            seq: e.seq,
            reason: format!("catalog {id} is in the journal but missing from the current state"),
        }))
    }
}

impl Store {
    /// Every assessment and item document is the `after` of its last journal event, at its
    /// version, and every journaled one exists.
    async fn verify_assessments(
        &self,
        org: OrgId,
        last: i64,
        mut expected: BTreeMap<String, Expected>,
    ) -> Result<Option<ChainBreak>, StoreError> {
        let assessments = sqlx::query("SELECT id, version, document FROM assessments WHERE org_id = $1 ORDER BY id")
            .bind(org.to_string())
            .fetch_all(self.pool())
            .await?;
        let mut stored = Vec::new();
        for row in &assessments {
            let id: String = row.try_get("id")?;
            stored.push((format!("assessment:{id}"), row.try_get::<i64, _>("version")?, row.try_get::<String, _>("document")?));
            let items = sqlx::query("SELECT ref_id, version, document FROM assessment_items WHERE assessment_id = $1 ORDER BY ref_id")
                .bind(id.clone())
                .fetch_all(self.pool())
                .await?;
            for item in &items {
                let r: String = item.try_get("ref_id")?;
                stored.push((
                    format!("assessment_item:{}", crate::assessments::item_entity(&id, &r)),
                    item.try_get("version")?,
                    item.try_get("document")?,
                ));
            }
        }
        for (key, version, document) in stored {
            let digest = serde_json::from_str::<serde_json::Value>(&document).map(|d| canonical_digest(&d)).unwrap_or_default();
            let problem = match expected.remove(&key) {
                None => Some(ChainBreak { org, seq: last, reason: format!("{key} exists but the journal never wrote it") }),
                Some(e) if e.version != version || e.digest != digest => Some(ChainBreak {
                    org,
                    seq: e.seq,
                    reason: format!("{key} does not match its last journal event (version {version} stored, {} journaled)", e.version),
                }),
                Some(_) => None,
            };
            if problem.is_some() {
                return Ok(problem);
            }
        }
        Ok(expected.into_iter().next().map(|(key, e)| ChainBreak {
            org,
            seq: e.seq,
            reason: format!("{key} is in the journal but missing from the current state"),
        }))
    }
}

fn canonical_digest(value: &serde_json::Value) -> String {
    serde_json_canonical(value).map(|s| sha256_hex(s.as_bytes())).unwrap_or_default()
}

fn serde_json_canonical(value: &serde_json::Value) -> Option<String> {
    // Key order of serde_json's map is sorted (no preserve_order feature), so the compact form
    // is canonical for the documents Mamori writes.
    serde_json::to_string(value).ok()
}
