//! Imports waiting for confirmation: the rows a person uploaded, kept until they confirm or a
//! day passes. Nothing is journaled here: the import itself is, when it is committed.

use mamori_core::ids::{OrgId, PersonId};
use sqlx::Row;
use time::{Duration, OffsetDateTime};

use crate::{Store, StoreError, time_text};

/// A pending import as stored.
#[derive(Debug, Clone)]
pub struct ImportBatch {
    pub register: String,
    pub source: String,
    pub rows: serde_json::Value,
}

impl Store {
    /// Keeps rows for a later confirmation, dropping the person's batches older than a day.
    pub async fn save_import_batch(
        &self,
        org: OrgId,
        person: PersonId,
        id: &str,
        batch: &ImportBatch,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM import_batches WHERE org_id = $1 AND person_id = $2 AND created_at < $3")
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(time_text::to_text(now - Duration::days(1)))
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO import_batches (id, org_id, person_id, register, source, rows, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(org.to_string())
        .bind(person.to_string())
        .bind(batch.register.clone())
        .bind(batch.source.clone())
        .bind(batch.rows.to_string())
        .bind(time_text::to_text(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A pending import of this person (never another's).
    pub async fn import_batch(&self, org: OrgId, person: PersonId, id: &str) -> Result<Option<ImportBatch>, StoreError> {
        let row = sqlx::query("SELECT register, source, rows FROM import_batches WHERE org_id = $1 AND person_id = $2 AND id = $3")
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let rows: String = row.try_get("rows")?;
        Ok(Some(ImportBatch {
            register: row.try_get("register")?,
            source: row.try_get("source")?,
            rows: serde_json::from_str(&rows).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        }))
    }

    pub async fn delete_import_batch(&self, org: OrgId, person: PersonId, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM import_batches WHERE org_id = $1 AND person_id = $2 AND id = $3")
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
