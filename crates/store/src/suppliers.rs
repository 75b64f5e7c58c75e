//! A buyer's suppliers: the organisations it distributes checklists to (each link journaled in
//! the buyer's chain) and the inspections and findings it records about them (their カルテ).

use mamori_core::ids::{OrgId, PersonId};
use mamori_core::journal::EventKind;
use serde_json::json;
use sqlx::Row;
use time::{Date, OffsetDateTime};

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

const DATE: &[time::format_description::BorrowedFormatItem<'static>] = time::macros::format_description!("[year]-[month]-[day]");

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
