//! Submission packages: each organisation's signing key, the key a buyer pinned for each
//! supplier, and a buyer's import of a verified package (one transaction: the supplier's
//! evidence and assessment in the supplier's chain, the import and the pin in the buyer's).
//! Signing and verifying are interop's (`interop::submission`); the store keeps keys and writes.

use std::collections::BTreeMap;

use mamori_core::assessment::{AssessmentDoc, ItemState, Summary};
use mamori_core::evidence::{FileName, MediaType};
use mamori_core::ids::OrgId;
use mamori_core::journal::EventKind;
use serde_json::json;
use sqlx::Row;

use crate::assessments::{insert_assessment, insert_evidence_file, insert_evidence_link};
use crate::journal;
use crate::{AssessmentRow, Ctx, Store, StoreError, time_text};

/// An organisation's signing key. The private half is never printed.
#[derive(Clone)]
pub struct SigningKey {
    /// Ed25519 public key, hex.
    pub public_key: String,
    /// PKCS#8 document.
    pub pkcs8: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("public_key", &self.public_key).field("pkcs8", &"<secret>").finish()
    }
}

/// A verified package as the buyer imports it.
#[derive(Debug, Clone)]
pub struct ImportedSubmission {
    pub assessment_id: uuid::Uuid,
    pub doc: AssessmentDoc,
    pub items: BTreeMap<String, ItemState>,
    pub summary: Summary,
    /// Evidence files: id (named in the items), name, type, content.
    pub files: Vec<(String, FileName, MediaType, Vec<u8>)>,
    /// Evidence links: id, title, URL.
    pub links: Vec<(String, String, String)>,
    pub public_key: String,
    pub fingerprint: String,
    pub manifest_sha256: String,
}

impl Store {
    /// The organisation's signing key, if it has one.
    pub async fn signing_key(&self, org: OrgId) -> Result<Option<SigningKey>, StoreError> {
        let row = sqlx::query("SELECT public_key, private_key FROM signing_keys WHERE org_id = $1")
            .bind(org.to_string())
            .fetch_optional(self.pool())
            .await?;
        row.map(|row| {
            let private: String = row.try_get("private_key")?;
            Ok(SigningKey {
                public_key: row.try_get("public_key")?,
                pkcs8: hex::decode(&private).map_err(|_| StoreError::Corrupt("signing key".into()))?,
            })
        })
        .transpose()
    }

    /// Keeps `key` as the organisation's signing key (journaled with its public half), unless it
    /// has one already: the one it has is returned.
    pub async fn create_signing_key(&self, ctx: &Ctx, key: SigningKey) -> Result<SigningKey, StoreError> {
        if let Some(existing) = self.signing_key(ctx.org).await? {
            return Ok(existing);
        }
        let (this, c, k) = (self.clone(), ctx.clone(), key.clone());
        let written = self
            .write(move |conn| {
                Box::pin(async move {
                    let event = c.event(EventKind::SigningKeyCreated, "signing_key", c.org, json!({"public_key": k.public_key}));
                    journal::append(conn, vec![event], this.group()).await?;
                    sqlx::query("INSERT INTO signing_keys (org_id, public_key, private_key, created_at) VALUES ($1, $2, $3, $4)")
                        .bind(c.org.to_string())
                        .bind(k.public_key.clone())
                        .bind(hex::encode(&k.pkcs8))
                        .bind(time_text::to_text(c.at))
                        .execute(&mut *conn)
                        .await?;
                    Ok(())
                })
            })
            .await;
        match written {
            Ok(()) => Ok(key),
            // Two first uses at once: the other one's key stands.
            Err(e) if e.is_unique_violation() => self.signing_key(ctx.org).await?.ok_or(StoreError::NotFound("signing key")),
            Err(e) => Err(e),
        }
    }

    /// The public key the buyer pinned for a supplier (None before its first import).
    pub async fn pinned_key(&self, buyer: OrgId, supplier: OrgId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT signing_key FROM supplier_links WHERE buyer_org_id = $1 AND supplier_org_id = $2")
            .bind(buyer.to_string())
            .bind(supplier.to_string())
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound("supplier"))?;
        Ok(row.try_get("signing_key")?)
    }

    /// Imports a verified package: pins its key for the supplier (refused if another key is
    /// pinned), stores its evidence and the submitted assessment in the supplier's chain, and
    /// journals the import in the buyer's — all or nothing.
    pub async fn import_submission(&self, buyer: &Ctx, supplier: &Ctx, sub: ImportedSubmission) -> Result<AssessmentRow, StoreError> {
        let id = sub.assessment_id.to_string();
        let (this, b, s, id_text) = (self.clone(), buyer.clone(), supplier.clone(), id.clone());
        self.write(move |conn| {
            Box::pin(async move {
                let pinned = sqlx::query(
                    "UPDATE supplier_links SET signing_key = $3 WHERE buyer_org_id = $1 AND supplier_org_id = $2 \
                     AND (signing_key IS NULL OR signing_key = $3)",
                )
                .bind(b.org.to_string())
                .bind(s.org.to_string())
                .bind(sub.public_key.clone())
                .execute(&mut *conn)
                .await?;
                if pinned.rows_affected() != 1 {
                    return Err(StoreError::SigningKeyMismatch);
                }
                for (evidence_id, name, media_type, bytes) in sub.files {
                    insert_evidence_file(conn, this.group(), &s, &evidence_id, &name, media_type, bytes).await?;
                }
                for (evidence_id, title, url) in &sub.links {
                    insert_evidence_link(conn, this.group(), &s, evidence_id, title, url).await?;
                }
                insert_assessment(conn, this.group(), &s, &id_text, &sub.doc, &sub.items, &sub.summary).await?;
                let event = b.event(
                    EventKind::SubmissionImported,
                    "supplier",
                    s.org,
                    json!({
                        "supplier": s.org.to_string(),
                        "assessment": id_text,
                        "manifest_sha256": sub.manifest_sha256,
                        "fingerprint": sub.fingerprint,
                    }),
                );
                journal::append(conn, vec![event], this.group()).await?;
                Ok(())
            })
        })
        .await?;
        self.assessment(supplier.org, &id).await?.ok_or(StoreError::NotFound("assessment"))
    }
}
