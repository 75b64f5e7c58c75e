//! Column mappings of spreadsheet catalog imports, saved per organisation and layout (the
//! fingerprint of a sheet's header row), so that the next file of the same layout starts from
//! the mapping a person confirmed. A mapping is saved only with the catalog it imported, in the
//! same transaction, and journaled (`sheet_mapping.saved`, with the mapping as it was saved).
//! The mapping is opaque JSON here: `interop` knows its shape, and `store` never sees `interop`.

use mamori_core::ids::{OrgId, PersonId};
use mamori_core::journal::{EventDraft, EventKind};
use serde_json::json;
use sqlx::{AnyConnection, Row};

use crate::journal::person_id;
use crate::{Ctx, Store, StoreError, time_text};

/// A mapping to save: the layout it is for and the mapping as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSheetMapping {
    pub layout: String,
    pub mapping: serde_json::Value,
}

/// A saved mapping, and who saved it when.
#[derive(Debug, Clone, PartialEq)]
pub struct SheetMapping {
    pub layout: String,
    pub mapping: serde_json::Value,
    pub updated_at: time::OffsetDateTime,
    pub updated_by: Option<PersonId>,
}

/// The journal event of saving a mapping with the import `catalog` (that import's id).
pub(crate) fn saved_event(ctx: &Ctx, catalog: &str, new: &NewSheetMapping) -> EventDraft {
    ctx.event(
        EventKind::SheetMappingSaved,
        "sheet_mapping",
        &new.layout,
        json!({"layout": new.layout, "mapping": new.mapping, "catalog": catalog}),
    )
}

/// Saves (or replaces) the organisation's mapping for a layout, inside the transaction that
/// journals [`saved_event`].
pub(crate) async fn upsert(conn: &mut AnyConnection, ctx: &Ctx, new: &NewSheetMapping) -> Result<(), StoreError> {
    let text = serde_json::to_string(&new.mapping).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    sqlx::query(
        "INSERT INTO sheet_mappings (org_id, layout, mapping, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (org_id, layout) DO UPDATE SET mapping = excluded.mapping, updated_at = excluded.updated_at, \
         updated_by = excluded.updated_by",
    )
    .bind(ctx.org.to_string())
    .bind(new.layout.clone())
    .bind(text)
    .bind(time_text::to_text(ctx.at))
    .bind(ctx.actor.map(|a| a.to_string()))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// The organisation's saved mappings, the most recently saved first.
    pub async fn sheet_mappings(&self, org: OrgId) -> Result<Vec<SheetMapping>, StoreError> {
        let rows = sqlx::query(
            "SELECT layout, mapping, updated_at, updated_by FROM sheet_mappings WHERE org_id = $1 ORDER BY updated_at DESC, layout",
        )
        .bind(org.to_string())
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let mapping: String = row.try_get("mapping")?;
                let updated_at: String = row.try_get("updated_at")?;
                Ok(SheetMapping {
                    layout: row.try_get("layout")?,
                    mapping: serde_json::from_str(&mapping).map_err(|e| StoreError::Corrupt(format!("sheet mapping: {e}")))?,
                    updated_at: time_text::from_text(&updated_at).ok_or_else(|| StoreError::Corrupt("sheet mapping time".into()))?,
                    updated_by: person_id(row.try_get("updated_by")?),
                })
            })
            .collect()
    }
}
