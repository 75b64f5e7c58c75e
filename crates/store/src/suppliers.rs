//! A buyer's suppliers: the organisations it distributes checklists to (each link journaled in
//! the buyer's chain) and the inspections and findings it records about them (their カルテ).

use std::sync::Arc;

use mamori_core::assessment::{AssessmentState, Summary};
use mamori_core::ids::{OrgId, PersonId};
use mamori_core::journal::EventKind;
use serde_json::json;
use sqlx::Row;
use time::{Date, OffsetDateTime};

use crate::assessments::DATE;
use crate::journal::{self, person_id};
use crate::{Ctx, Organisation, Store, StoreError, time_text};

/// An inspection or a finding a buyer recorded about a supplier.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplierFinding {
    pub id: String,
    pub supplier: OrgId,
    /// `inspection` (点検) or `finding` (指摘).
    pub kind: String,
    pub on: Date,
    pub text: String,
    pub created_at: OffsetDateTime,
    pub created_by: Option<PersonId>,
}

/// What a buyer's dashboard shows of an assessment it sent (its summary columns, not its
/// document).
#[derive(Debug, Clone, PartialEq)]
pub struct SentAssessment {
    pub id: String,
    /// The supplier organisation that answers it.
    pub org: OrgId,
    pub name: String,
    pub period: String,
    pub state: AssessmentState,
    pub due: Option<Date>,
    pub summary: Summary,
    pub reminded_at: Option<OffsetDateTime>,
}

/// Everything a buyer's dashboard is made of: its suppliers by name and what it sent them,
/// newest first. Read once per change (see [`Store::supplier_overview`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SupplierOverview {
    pub suppliers: Vec<Organisation>,
    pub sent: Vec<SentAssessment>,
    /// The periods of `sent`, each once, in the order they first appear (newest first).
    pub periods: Vec<String>,
    /// For each of `suppliers` (same positions), the index in `sent` of the latest assessment
    /// sent to it, of any period.
    pub latest: Vec<Option<usize>>,
}

impl SupplierOverview {
    /// An overview of these suppliers and assessments (newest first), with its two look-ups.
    pub fn new(suppliers: Vec<Organisation>, sent: Vec<SentAssessment>) -> SupplierOverview {
        let mut periods: Vec<String> = Vec::new();
        let mut first_sent = std::collections::HashMap::new();
        for (i, a) in sent.iter().enumerate() {
            if !periods.contains(&a.period) {
                periods.push(a.period.clone());
            }
            first_sent.entry(a.org).or_insert(i);
        }
        let latest = suppliers.iter().map(|s| first_sent.get(&s.id).copied()).collect();
        SupplierOverview { suppliers, sent, periods, latest }
    }
}

/// Buyers whose overview is kept in memory at most; past it the cache starts again.
const OVERVIEWS_KEPT: usize = 256;

pub(crate) type OverviewCache = std::collections::HashMap<OrgId, (i64, Arc<SupplierOverview>)>;

fn sent_from_row(row: &sqlx::any::AnyRow) -> Result<SentAssessment, StoreError> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("sent assessment {what}"));
    let state: String = row.try_get("state")?;
    let due = match row.try_get::<Option<String>, _>("due_on")? {
        None => None,
        Some(text) => Some(Date::parse(&text, DATE).map_err(|_| corrupt("due date"))?),
    };
    Ok(SentAssessment {
        id: row.try_get("id")?,
        org: OrgId::parse(&row.try_get::<String, _>("org_id")?)?,
        name: row.try_get("name")?,
        period: row.try_get("period")?,
        state: AssessmentState::parse(&state).ok_or_else(|| corrupt("state"))?,
        due,
        summary: crate::assessments::summary_from_row(row)?,
        reminded_at: row.try_get::<Option<String>, _>("reminded_at")?.and_then(|t| time_text::from_text(&t)),
    })
}

impl Store {
    /// Links a supplier organisation to the buyer of `ctx` (once).
    pub async fn link_supplier(&self, ctx: &Ctx, supplier: OrgId) -> Result<(), StoreError> {
        let (this, c) = (self.clone(), ctx.clone());
        self.write(move |conn| {
            Box::pin(async move {
                let event = c.event(EventKind::SupplierLinked, "supplier", supplier, json!({"supplier": supplier.to_string()}));
                journal::append(conn, vec![event], this.group()).await?;
                sqlx::query("INSERT INTO supplier_links (buyer_org_id, supplier_org_id, created_at, created_by) VALUES ($1, $2, $3, $4)")
                    .bind(c.org.to_string())
                    .bind(supplier.to_string())
                    .bind(time_text::to_text(c.at))
                    .bind(c.actor.map(|a| a.to_string()))
                    .execute(&mut *conn)
                    .await
                    .map_err(|e| {
                        let e = StoreError::from(e);
                        if e.is_unique_violation() { StoreError::Duplicate("supplier") } else { e }
                    })?;
                Ok(())
            })
        })
        .await
    }

    /// The buyer's suppliers, by name.
    pub async fn suppliers(&self, buyer: OrgId) -> Result<Vec<Organisation>, StoreError> {
        let rows = sqlx::query(
            "SELECT o.id, o.slug, o.name, o.settings FROM supplier_links l JOIN organisations o ON o.id = l.supplier_org_id \
             WHERE l.buyer_org_id = $1 ORDER BY o.name, o.id",
        )
        .bind(buyer.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(crate::orgs::org_from_row).collect()
    }

    /// The buyer's suppliers and what it sent them, for its dashboard. Kept in memory per buyer
    /// and read again only when the buyer's overview generation moved: a trigger raises it in
    /// the transaction of every change to an assessment it sent, a link or a supplier's name
    /// (migration 0006), so each app instance sees every instance's changes on its next read.
    pub async fn supplier_overview(&self, buyer: OrgId) -> Result<Arc<SupplierOverview>, StoreError> {
        let generation: i64 = sqlx::query("SELECT generation FROM overview_generations WHERE buyer_org_id = $1")
            .bind(buyer.to_string())
            .fetch_optional(self.pool())
            .await?
            .map(|row| row.try_get("generation"))
            .transpose()?
            .unwrap_or(0);
        let kept = self.overview_cache.lock().ok().and_then(|cache| cache.get(&buyer).cloned());
        if let Some((seen, overview)) = kept
            && seen == generation
        {
            return Ok(overview);
        }
        // Read after the generation: what is read is at least as new as the number it is kept under.
        let suppliers = self.suppliers(buyer).await?;
        let rows = sqlx::query(
            "SELECT id, org_id, name, period, state, due_on, items, answered, gaps, mandatory_gaps, approved, score_tenths, reminded_at \
             FROM assessments WHERE requester_org_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(buyer.to_string())
        .fetch_all(self.pool())
        .await?;
        let sent = rows.iter().map(sent_from_row).collect::<Result<Vec<_>, _>>()?;
        let overview = Arc::new(SupplierOverview::new(suppliers, sent));
        if let Ok(mut cache) = self.overview_cache.lock() {
            if cache.len() >= OVERVIEWS_KEPT {
                cache.clear();
            }
            cache.insert(buyer, (generation, overview.clone()));
        }
        Ok(overview)
    }

    /// Whether `supplier` is one of the buyer's suppliers.
    pub async fn is_supplier(&self, buyer: OrgId, supplier: OrgId) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT 1 AS one FROM supplier_links WHERE buyer_org_id = $1 AND supplier_org_id = $2")
            .bind(buyer.to_string())
            .bind(supplier.to_string())
            .fetch_optional(self.pool())
            .await?;
        Ok(row.is_some())
    }

    /// Records an inspection or finding about one of the buyer's suppliers.
    pub async fn record_finding(&self, ctx: &Ctx, supplier: OrgId, kind: &str, on: Date, text: &str) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let (this, c, finding, kind, text) = (self.clone(), ctx.clone(), id.clone(), kind.to_string(), text.to_string());
        let on_text = on.format(DATE).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(move |conn| {
            Box::pin(async move {
                let event = c.event(
                    EventKind::SupplierFindingRecorded,
                    "supplier_finding",
                    &finding,
                    json!({"supplier": supplier.to_string(), "kind": kind, "on": on_text, "text": text}),
                );
                journal::append(conn, vec![event], this.group()).await?;
                sqlx::query(
                    "INSERT INTO supplier_findings (id, buyer_org_id, supplier_org_id, kind, on_date, text, created_at, created_by) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(finding)
                .bind(c.org.to_string())
                .bind(supplier.to_string())
                .bind(kind)
                .bind(on_text)
                .bind(text)
                .bind(time_text::to_text(c.at))
                .bind(c.actor.map(|a| a.to_string()))
                .execute(&mut *conn)
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(id)
    }

    /// The buyer's inspections and findings about a supplier, newest first.
    pub async fn findings(&self, buyer: OrgId, supplier: OrgId) -> Result<Vec<SupplierFinding>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, kind, on_date, text, created_at, created_by FROM supplier_findings \
             WHERE buyer_org_id = $1 AND supplier_org_id = $2 ORDER BY on_date DESC, id DESC",
        )
        .bind(buyer.to_string())
        .bind(supplier.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let on: String = r.try_get("on_date")?;
                let created: String = r.try_get("created_at")?;
                Ok(SupplierFinding {
                    id: r.try_get("id")?,
                    supplier,
                    kind: r.try_get("kind")?,
                    on: Date::parse(&on, DATE).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    text: r.try_get("text")?,
                    created_at: time_text::from_text(&created).ok_or_else(|| StoreError::Corrupt("finding time".into()))?,
                    created_by: person_id(r.try_get("created_by")?),
                })
            })
            .collect()
    }
}
