//! Imports waiting for confirmation: the rows a person uploaded for a register, and the
//! spreadsheets uploaded for a catalog import on its mapping step, kept for that person until
//! they confirm or a day passes. Nothing is journaled here: the import itself is, when it is
//! committed.

use mamori_core::ids::{OrgId, PersonId};
use mamori_core::journal::sha256_hex;
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

/// How many spreadsheets a person may have waiting on the mapping step: a new upload drops the
/// oldest beyond this.
pub const MAX_CATALOG_UPLOADS: usize = 3;

/// A spreadsheet uploaded for a catalog import, waiting on the mapping step.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogUpload {
    pub file_name: String,
    /// SHA-256 of `content`, checked when it is read back.
    pub sha256: String,
    pub content: Vec<u8>,
    /// The other fields of the upload form (catalog key, name, edition), as JSON.
    pub fields: serde_json::Value,
    pub created_at: OffsetDateTime,
}

/// A spreadsheet to keep for the mapping step.
#[derive(Debug, Clone, Copy)]
pub struct NewCatalogUpload<'a> {
    /// A random id, carried by the mapping step's form.
    pub id: &'a str,
    pub file_name: &'a str,
    pub content: &'a [u8],
    pub fields: &'a serde_json::Value,
    pub at: OffsetDateTime,
}

impl Store {
    /// Keeps an uploaded spreadsheet (with its SHA-256) for the person's mapping step, dropping their uploads older
    /// than a day and all but the newest [`MAX_CATALOG_UPLOADS`] (this one included).
    pub async fn save_catalog_upload(&self, org: OrgId, person: PersonId, upload: &NewCatalogUpload<'_>) -> Result<(), StoreError> {
        let now = upload.at;
        let mut tx = self.pool().begin().await?;
        sqlx::query("DELETE FROM catalog_uploads WHERE org_id = $1 AND person_id = $2 AND created_at < $3")
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(time_text::to_text(now - Duration::days(1)))
            .execute(&mut *tx)
            .await?;
        let kept = sqlx::query("SELECT id FROM catalog_uploads WHERE org_id = $1 AND person_id = $2 ORDER BY created_at DESC, id DESC")
            .bind(org.to_string())
            .bind(person.to_string())
            .fetch_all(&mut *tx)
            .await?;
        for row in kept.iter().skip(MAX_CATALOG_UPLOADS.saturating_sub(1)) {
            sqlx::query("DELETE FROM catalog_uploads WHERE id = $1").bind(row.try_get::<String, _>("id")?).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO catalog_uploads (id, org_id, person_id, file_name, sha256, size, content, fields, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(upload.id.to_string())
        .bind(org.to_string())
        .bind(person.to_string())
        .bind(upload.file_name.to_string())
        .bind(sha256_hex(upload.content))
        .bind(upload.content.len() as i64)
        .bind(upload.content.to_vec())
        .bind(upload.fields.to_string())
        .bind(time_text::to_text(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A spreadsheet this person uploaded (never another's) within the last day, as it was
    /// sent: content that no longer matches its hash is an error, never other bytes imported.
    pub async fn catalog_upload(
        &self,
        org: OrgId,
        person: PersonId,
        id: &str,
        now: OffsetDateTime,
    ) -> Result<Option<CatalogUpload>, StoreError> {
        let row = sqlx::query(
            "SELECT file_name, sha256, content, fields, created_at FROM catalog_uploads \
             WHERE org_id = $1 AND person_id = $2 AND id = $3 AND created_at >= $4",
        )
        .bind(org.to_string())
        .bind(person.to_string())
        .bind(id.to_string())
        .bind(time_text::to_text(now - Duration::days(1)))
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let (sha256, content): (String, Vec<u8>) = (row.try_get("sha256")?, row.try_get("content")?);
        if sha256_hex(&content) != sha256 {
            return Err(StoreError::Corrupt(format!("catalog upload {id}: content does not match its SHA-256")));
        }
        let fields: String = row.try_get("fields")?;
        let created_at: String = row.try_get("created_at")?;
        Ok(Some(CatalogUpload {
            file_name: row.try_get("file_name")?,
            sha256,
            content,
            fields: serde_json::from_str(&fields).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            created_at: time_text::from_text(&created_at).ok_or_else(|| StoreError::Corrupt("catalog upload time".into()))?,
        }))
    }

    pub async fn delete_catalog_upload(&self, org: OrgId, person: PersonId, id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM catalog_uploads WHERE org_id = $1 AND person_id = $2 AND id = $3")
            .bind(org.to_string())
            .bind(person.to_string())
            .bind(id.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
