//! Organisations (tenants) and their units.

use mamori_core::Text;
use mamori_core::ids::{OrgId, UnitId};
use mamori_core::journal::EventKind;
use serde_json::json;
use sqlx::Row;

use crate::{Ctx, Store, StoreError, journal, time_text};

#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    pub id: OrgId,
    pub slug: String,
    pub name: String,
    pub settings: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: UnitId,
    pub org: OrgId,
    pub parent: Option<UnitId>,
    pub code: String,
    pub name: Text,
}

#[derive(Debug, Clone)]
pub struct NewUnit {
    pub id: UnitId,
    pub parent: Option<UnitId>,
    pub code: String,
    pub name: Text,
}

pub(crate) fn org_from_row(row: &sqlx::any::AnyRow) -> Result<Organisation, StoreError> {
    let id: String = row.try_get("id")?;
    let settings: String = row.try_get("settings")?;
    Ok(Organisation {
        id: OrgId::parse(&id)?,
        slug: row.try_get("slug")?,
        name: row.try_get("name")?,
        settings: serde_json::from_str(&settings).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

impl Store {
    /// Creates an organisation and starts its journal chain with `organisation.created`.
    pub async fn create_organisation(&self, ctx: &Ctx, slug: &str, name: &str) -> Result<Organisation, StoreError> {
        let mut tx = self.pool().begin().await?;
        let at = time_text::to_text(ctx.at);
        let inserted = sqlx::query("INSERT INTO organisations (id, slug, name, settings, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(ctx.org.to_string())
            .bind(slug.to_string())
            .bind(name.to_string())
            .bind("{}".to_string())
            .bind(at)
            .execute(&mut *tx)
            .await;
        if let Err(e) = inserted {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() { StoreError::Duplicate("organisation") } else { e });
        }
        journal::append(
            &mut tx,
            vec![ctx.event(EventKind::OrganisationCreated, "organisation", ctx.org, json!({"after": {"slug": slug, "name": name}}))],
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(Organisation { id: ctx.org, slug: slug.to_string(), name: name.to_string(), settings: json!({}) })
    }

    pub async fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        let rows = sqlx::query("SELECT id, slug, name, settings FROM organisations ORDER BY slug").fetch_all(self.pool()).await?;
        rows.iter().map(org_from_row).collect()
    }

    pub async fn organisation(&self, id: OrgId) -> Result<Organisation, StoreError> {
        let row = sqlx::query("SELECT id, slug, name, settings FROM organisations WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("organisation"))?;
        org_from_row(&row)
    }

    pub async fn organisation_by_slug(&self, slug: &str) -> Result<Option<Organisation>, StoreError> {
        let row = sqlx::query("SELECT id, slug, name, settings FROM organisations WHERE slug = $1")
            .bind(slug.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(org_from_row).transpose()
    }

    pub async fn create_unit(&self, ctx: &Ctx, unit: &NewUnit) -> Result<Unit, StoreError> {
        let mut tx = self.pool().begin().await?;
        journal::append(
            &mut tx,
            vec![ctx.event(
                EventKind::UnitCreated,
                "unit",
                unit.id,
                json!({"after": {"code": unit.code, "name": unit.name, "parent": unit.parent}}),
            )],
            None,
        )
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO units (id, org_id, parent_id, code, name_ja, name_en, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(unit.id.to_string())
        .bind(ctx.org.to_string())
        .bind(unit.parent.map(|p| p.to_string()))
        .bind(unit.code.clone())
        .bind(unit.name.ja.clone())
        .bind(unit.name.en.clone())
        .bind(time_text::to_text(ctx.at))
        .execute(&mut *tx)
        .await;
        if let Err(e) = inserted {
            let e = StoreError::from(e);
            return Err(if e.is_unique_violation() { StoreError::Duplicate("unit") } else { e });
        }
        tx.commit().await?;
        if let Ok(mut cache) = self.unit_cache.lock() {
            cache.remove(&ctx.org);
        }
        Ok(Unit { id: unit.id, org: ctx.org, parent: unit.parent, code: unit.code.clone(), name: unit.name.clone() })
    }

    /// The organisation's units for display (names in lists and exports), cached for a few
    /// seconds: a renamed unit may show its old name that long. Validation and forms use
    /// [`Store::units`], which always reads the database.
    pub async fn unit_names(&self, org: OrgId) -> Result<std::sync::Arc<Vec<Unit>>, StoreError> {
        const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(5);
        if let Ok(cache) = self.unit_cache.lock()
            && let Some((at, units)) = cache.get(&org)
            && at.elapsed() < FRESH_FOR
        {
            return Ok(units.clone());
        }
        let units = std::sync::Arc::new(self.units(org).await?);
        if let Ok(mut cache) = self.unit_cache.lock() {
            cache.insert(org, (std::time::Instant::now(), units.clone()));
        }
        Ok(units)
    }

    pub async fn units(&self, org: OrgId) -> Result<Vec<Unit>, StoreError> {
        let rows = sqlx::query("SELECT id, parent_id, code, name_ja, name_en FROM units WHERE org_id = $1 ORDER BY code")
            .bind(org.to_string())
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let parent: Option<String> = row.try_get("parent_id")?;
                Ok(Unit {
                    id: UnitId::parse(&id)?,
                    org,
                    parent: parent.map(|p| UnitId::parse(&p)).transpose()?,
                    code: row.try_get("code")?,
                    name: Text::new(row.try_get::<String, _>("name_ja")?, row.try_get::<String, _>("name_en")?),
                })
            })
            .collect()
    }
}
