//! Catalogs an organisation imported. An edition is written once, with a `catalog.imported`
//! journal event carrying its document's digest, and never changed: a new edition is a new row.
//! Parsed catalogs are kept in memory by id (they are immutable), so pages do not parse large
//! documents on every request.

use std::sync::Arc;

use mamori_core::catalog::{Catalog, CatalogDef, CatalogLimits};
use mamori_core::ids::{OrgId, PersonId};
use mamori_core::journal::{EventKind, sha256_hex};
use serde_json::json;
use sqlx::Row;
use time::OffsetDateTime;

use crate::journal::{self, person_id};
use crate::sheet_mappings::{self, NewSheetMapping};
use crate::{Ctx, Store, StoreError, time_text};

/// An imported catalog edition and who imported it when.
#[derive(Debug, Clone)]
pub struct StoredCatalog {
    pub id: String,
    pub org: OrgId,
    pub catalog: Arc<Catalog>,
    pub created_at: OffsetDateTime,
    pub created_by: Option<PersonId>,
}

/// The digest the journal keeps of a catalog document: SHA-256 of its JSON as stored.
pub(crate) fn document_digest(document: &str) -> String {
    sha256_hex(document.as_bytes())
}

impl Store {
    /// Stores a checked catalog as the organisation's and journals it. The same key and edition
    /// twice is `Duplicate`: editions are immutable.
    pub async fn import_catalog(
        &self,
        ctx: &Ctx,
        id: uuid::Uuid,
        catalog: Arc<Catalog>,
        source: &str,
    ) -> Result<StoredCatalog, StoreError> {
        self.import_catalog_with_mapping(ctx, id, catalog, source, None).await
    }

    /// [`Store::import_catalog`], saving in the same transaction the column mapping the
    /// catalog was read with as the organisation's mapping for its layout (journaled as
    /// `sheet_mapping.saved` after `catalog.imported`).
    pub async fn import_catalog_with_mapping(
        &self,
        ctx: &Ctx,
        id: uuid::Uuid,
        catalog: Arc<Catalog>,
        source: &str,
        mapping: Option<&NewSheetMapping>,
    ) -> Result<StoredCatalog, StoreError> {
        let def = catalog.def();
        let document = serde_json::to_string(def).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let digest = document_digest(&document);
        let stats = catalog.stats();
        let mut tx = self.pool().begin().await?;
        let taken = sqlx::query("SELECT id FROM catalogs WHERE org_id = $1 AND key = $2 AND edition = $3")
            .bind(ctx.org.to_string())
            .bind(def.key.clone())
            .bind(def.edition.clone())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Duplicate("catalog edition"));
        }
        let mut events = vec![ctx.event(
            EventKind::CatalogImported,
            "catalog",
            id,
            json!({
                "key": def.key, "edition": def.edition, "urn": def.urn, "classification": def.classification.level(),
                "groups": stats.groups, "requirements": stats.requirements, "digest": digest, "source": source,
            }),
        )];
        events.extend(mapping.map(|m| sheet_mappings::saved_event(ctx, &id.to_string(), m)));
        journal::append(&mut tx, events, None).await?;
        if let Some(m) = mapping {
            sheet_mappings::upsert(&mut tx, ctx, m).await?;
        }
        sqlx::query(
            "INSERT INTO catalogs (id, org_id, key, edition, urn, classification, digest, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(ctx.org.to_string())
        .bind(def.key.clone())
        .bind(def.edition.clone())
        .bind(def.urn.clone())
        .bind(def.classification.level())
        .bind(digest)
        .bind(time_text::to_text(ctx.at))
        .bind(ctx.actor.map(|a| a.to_string()))
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            let e = StoreError::from(e);
            if e.is_unique_violation() { StoreError::Duplicate("catalog edition") } else { e }
        })?;
        sqlx::query("INSERT INTO catalog_documents (id, document) VALUES ($1, $2)")
            .bind(id.to_string())
            .bind(document)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let stored = StoredCatalog {
            id: id.to_string(),
            org: ctx.org,
            catalog,
            created_at: time_text::from_text(&time_text::to_text(ctx.at)).unwrap_or(ctx.at),
            created_by: ctx.actor,
        };
        if let Ok(mut cache) = self.catalog_cache.lock() {
            cache.insert(stored.id.clone(), stored.catalog.clone());
        }
        Ok(stored)
    }

    /// The organisation's imported catalogs, oldest first.
    pub async fn catalogs(&self, org: OrgId) -> Result<Vec<StoredCatalog>, StoreError> {
        let rows = sqlx::query("SELECT id, created_at, created_by FROM catalogs WHERE org_id = $1 ORDER BY created_at, id")
            .bind(org.to_string())
            .fetch_all(self.pool())
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get("id")?;
            let catalog = self.parsed_catalog(org, &id).await?;
            let created_at: String = row.try_get("created_at")?;
            out.push(StoredCatalog {
                id,
                org,
                catalog,
                created_at: time_text::from_text(&created_at).ok_or_else(|| StoreError::Corrupt("catalog time".into()))?,
                created_by: person_id(row.try_get("created_by")?),
            });
        }
        Ok(out)
    }

    /// One of the organisation's catalogs by key and edition.
    pub async fn catalog_edition(&self, org: OrgId, key: &str, edition: &str) -> Result<Option<Arc<Catalog>>, StoreError> {
        let row = sqlx::query("SELECT id FROM catalogs WHERE org_id = $1 AND key = $2 AND edition = $3")
            .bind(org.to_string())
            .bind(key.to_string())
            .bind(edition.to_string())
            .fetch_optional(self.pool())
            .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some(self.parsed_catalog(org, &row.try_get::<String, _>("id")?).await?)),
        }
    }

    /// A stored catalog, parsed and checked once and then kept (editions never change).
    async fn parsed_catalog(&self, org: OrgId, id: &str) -> Result<Arc<Catalog>, StoreError> {
        if let Some(c) = self.catalog_cache.lock().ok().and_then(|m| m.get(id).cloned()) {
            return Ok(c);
        }
        let row =
            sqlx::query("SELECT d.document FROM catalog_documents d JOIN catalogs c ON c.id = d.id WHERE c.org_id = $1 AND c.id = $2")
                .bind(org.to_string())
                .bind(id.to_string())
                .fetch_optional(self.pool())
                .await?
                .ok_or(StoreError::NotFound("catalog"))?;
        let document: String = row.try_get("document")?;
        let def: CatalogDef = serde_json::from_str(&document).map_err(|e| StoreError::Corrupt(format!("catalog {id}: {e}")))?;
        let limits = CatalogLimits { max_nodes: usize::MAX, ..CatalogLimits::default() };
        let catalog = Arc::new(Catalog::check(def, &limits).map_err(|e| StoreError::Corrupt(format!("catalog {id}: {e}")))?);
        if let Ok(mut cache) = self.catalog_cache.lock() {
            cache.insert(id.to_string(), catalog.clone());
        }
        Ok(catalog)
    }
}
