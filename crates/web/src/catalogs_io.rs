//! Catalogs as commands, shared by the pages and the CLI: which catalogs a person may read (the
//! built-in library and the organisation's own imports, an import overriding a built-in edition
//! of the same key), and importing and exporting one in the interchange formats. A table
//! imported through the pages goes through the mapping step (`routes::catalog_mapping`): it is
//! read with the mapping a person confirmed, which is saved for its layout (`import_mapped`).

use std::sync::Arc;

use mamori_core::Text;
use mamori_core::authz::{Action, Decision, Resource, authorize};
use mamori_core::catalog::{Catalog, CatalogDef};
use mamori_core::ids::OrgId;
use mamori_core::library::Library;
use mamori_core::person::Actor;
use mamori_interop::catalog_sheet::{CatalogHeader, ColumnMapping, Workbook};
use mamori_interop::{CatalogImportError, CatalogImportLimits};
use mamori_store::{Ctx, NewSheetMapping, Store, StoredCatalog};
use time::OffsetDateTime;

use crate::error::{ErrorKind, WebError};

/// A catalog a person may read, and whose it is (`None`: built into Mamori).
#[derive(Debug, Clone)]
pub struct VisibleCatalog {
    pub catalog: Arc<Catalog>,
    pub owner: Option<OrgId>,
}

fn may_read(library: &Library, actor: &Actor, catalog: &Catalog, owner: Option<OrgId>) -> bool {
    let resource = Resource::Catalog { owner, classification: catalog.def().classification };
    authorize(library, actor, Action::CatalogView, &resource) == Decision::Allow
}

/// Every catalog `actor` may read: the built-in ones, with the organisation's own imports
/// replacing a built-in of the same key and edition (its copy of a structure-only catalog with
/// the owner's text), then the organisation's other imports.
pub async fn visible_catalogs(store: &Store, library: &Library, actor: &Actor) -> Result<Vec<VisibleCatalog>, WebError> {
    if authorize(library, actor, Action::CatalogView, &Resource::Organisation(actor.org)) != Decision::Allow {
        return Err(WebError::forbidden());
    }
    let own: Vec<Arc<Catalog>> = store.catalogs(actor.org).await?.into_iter().map(|s: StoredCatalog| s.catalog).collect();
    let mut out: Vec<VisibleCatalog> = mamori_core::catalog::overlay(library.catalogs(), own)
        .into_iter()
        .map(|(catalog, own)| VisibleCatalog { catalog, owner: own.then_some(actor.org) })
        .collect();
    out.retain(|v| may_read(library, actor, &v.catalog, v.owner));
    Ok(out)
}

impl AsRef<Catalog> for VisibleCatalog {
    fn as_ref(&self) -> &Catalog {
        &self.catalog
    }
}

/// The catalog of `list` with this key and edition (the last one listed when no edition is
/// given: the latest).
pub fn pick<'a, C: AsRef<Catalog>>(list: &'a [C], key: &str, edition: Option<&str>) -> Option<&'a C> {
    list.iter().rev().find(|c| c.as_ref().key() == key && edition.is_none_or(|e| c.as_ref().edition() == e))
}

/// A catalog by key and edition (the latest edition when none is given), or "not found" when
/// it does not exist or `actor` may not read it.
pub async fn find_catalog(
    store: &Store,
    library: &Library,
    actor: &Actor,
    key: &str,
    edition: Option<&str>,
) -> Result<VisibleCatalog, WebError> {
    let all = visible_catalogs(store, library, actor).await?;
    pick(&all, key, edition).cloned().ok_or_else(WebError::not_found)
}

/// The interchange formats of catalogs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogFormat {
    /// OSCAL catalog JSON.
    Oscal,
    /// An OSCAL profile, resolved against a catalog the organisation already has.
    OscalProfile,
    /// A CISO Assistant framework library (YAML).
    Ciso,
    /// A spreadsheet (xlsx or CSV): a workbook Mamori exported, CISO Assistant's framework
    /// workbook, or a table as customers send it (header row found, columns recognised by their
    /// headers: ラベル / 目的 / 要求事項 / No. / 回答対象 / 達成条件 / 達成基準 ...).
    Sheet,
}

/// What a spreadsheet import needs besides the file: the catalog's identity, for a table whose
/// sheet does not say it.
#[derive(Debug, Clone, Default)]
pub struct SheetHeader {
    pub key: String,
    pub edition: String,
    pub name: String,
}

impl CatalogFormat {
    pub fn parse(text: &str) -> Option<CatalogFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "oscal" | "json" => Some(CatalogFormat::Oscal),
            "oscal-profile" | "profile" => Some(CatalogFormat::OscalProfile),
            "ciso" | "ciso-assistant" | "yaml" | "yml" => Some(CatalogFormat::Ciso),
            "xlsx" | "csv" | "sheet" => Some(CatalogFormat::Sheet),
            _ => None,
        }
    }

    /// The format of a file from its name and first bytes: JSON with a top-level `profile` is a
    /// profile, other JSON a catalog, YAML a CISO Assistant library.
    pub fn guess(file_name: &str, bytes: &[u8]) -> Option<CatalogFormat> {
        let lower = file_name.to_ascii_lowercase();
        if bytes.starts_with(b"PK\x03\x04") || lower.ends_with(".xlsx") || lower.ends_with(".csv") {
            return Some(CatalogFormat::Sheet);
        }
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]);
        let trimmed = head.trim_start_matches('\u{feff}').trim_start();
        if trimmed.starts_with('{') {
            return Some(if trimmed.contains("\"profile\"") { CatalogFormat::OscalProfile } else { CatalogFormat::Oscal });
        }
        if lower.ends_with(".yaml") || lower.ends_with(".yml") || trimmed.contains("requirement_nodes") || trimmed.starts_with("urn:") {
            return Some(CatalogFormat::Ciso);
        }
        if lower.ends_with(".json") {
            return Some(CatalogFormat::Oscal);
        }
        None
    }
}

/// A catalog import's error as a person reads it: the importer's text with its location.
pub fn import_error(e: &CatalogImportError) -> WebError {
    let text = e.text();
    WebError::new(ErrorKind::Invalid, text)
}

/// Reads a catalog file. A profile is resolved against `base` (a catalog the organisation may
/// read), which it needs.
pub fn read_catalog(
    format: CatalogFormat,
    bytes: &[u8],
    base: Option<&CatalogDef>,
    sheet: &SheetHeader,
    limits: &CatalogImportLimits,
) -> Result<CatalogDef, WebError> {
    match format {
        CatalogFormat::Sheet => read_sheet(bytes, sheet, limits),
        CatalogFormat::Oscal => mamori_interop::oscal::import_catalog(bytes, limits).map_err(|e| import_error(&e)),
        CatalogFormat::OscalProfile => {
            let base = base.ok_or_else(|| {
                WebError::new(
                    ErrorKind::Invalid,
                    Text::new(
                        "プロファイルを解決するカタログを指定してください（取り込み済みの OSCAL カタログ）",
                        "Name the catalog to resolve the profile against (an OSCAL catalog already imported)",
                    ),
                )
            })?;
            mamori_interop::oscal::resolve_profile(bytes, base, limits).map_err(|e| import_error(&e))
        }
        CatalogFormat::Ciso => {
            mamori_interop::ciso_assistant::import_library(bytes, limits).map(|i| i.catalog).map_err(|e| import_error(&e))
        }
    }
}

/// A catalog from a spreadsheet: Mamori's own export layout and CISO Assistant's framework
/// workbook are read as they are; another table by the columns its header row names, with the
/// catalog's key, edition and name from `header`.
fn read_sheet(bytes: &[u8], header: &SheetHeader, limits: &CatalogImportLimits) -> Result<CatalogDef, WebError> {
    use mamori_interop::catalog_sheet::{self as sheet, SheetLayout};
    let workbook = sheet::read_workbook(bytes, &limits.into()).map_err(|e| import_error(&e))?;
    let layout = sheet::detect_layout(&workbook).ok_or_else(|| {
        WebError::new(
            ErrorKind::Invalid,
            Text::new(
                "表の見出し行が見つかりません。No.・要求事項・達成条件などの見出しがある行を含めてください。",
                "No header row was found: the sheet needs a row with headers such as No., requirement and condition.",
            ),
        )
    })?;
    match layout {
        SheetLayout::MamoriExport => sheet::import_export_workbook(&workbook, limits).map_err(|e| import_error(&e)),
        SheetLayout::CisoAssistant => sheet::import_ciso_xlsx(&workbook, limits).map(|i| i.catalog).map_err(|e| import_error(&e)),
        SheetLayout::Table(mapping) => {
            sheet::import_table(&workbook, &mapping, table_header(header)?, limits).map_err(|e| import_error(&e))
        }
    }
}

/// The header of a catalog read from a table: the key is required; the edition is `1` and the
/// name the key when not given.
fn table_header(header: &SheetHeader) -> Result<CatalogHeader, WebError> {
    let key = header.key.trim();
    if key.is_empty() {
        return Err(WebError::new(
            ErrorKind::Invalid,
            Text::new(
                "表から取り込むときはカタログのキーを指定してください（英小文字・数字・ハイフン）",
                "Give the catalog a key when importing a table (lower-case letters, digits, hyphens)",
            ),
        ));
    }
    let edition = if header.edition.trim().is_empty() { "1" } else { header.edition.trim() };
    let name = if header.name.trim().is_empty() { key } else { header.name.trim() };
    Ok(CatalogHeader::new(key, edition, mamori_core::catalog::LocalText::ja(name)))
}

/// A spreadsheet that goes through the mapping step, read: a table as customers send it (or
/// one whose header nobody recognises), not Mamori's own workbook nor CISO Assistant's, which
/// are read as they are (`None`).
pub fn table_workbook(bytes: &[u8], limits: &CatalogImportLimits) -> Result<Option<Workbook>, WebError> {
    use mamori_interop::catalog_sheet::{self as sheet, SheetLayout};
    let workbook = sheet::read_workbook(bytes, &limits.into()).map_err(|e| import_error(&e))?;
    Ok(match sheet::detect_layout(&workbook) {
        Some(SheetLayout::MamoriExport | SheetLayout::CisoAssistant) => None,
        Some(SheetLayout::Table(_)) | None => Some(workbook),
    })
}

/// The organisation's saved column mappings, the most recently saved first. A saved mapping
/// this version cannot read is left out (and logged): the person maps that layout again.
pub async fn saved_mappings(store: &Store, org: OrgId) -> Result<Vec<ColumnMapping>, WebError> {
    let mut out = Vec::new();
    for saved in store.sheet_mappings(org).await? {
        match serde_json::from_value::<ColumnMapping>(saved.mapping) {
            Ok(m) if m.layout.as_deref() == Some(saved.layout.as_str()) => out.push(m),
            Ok(_) => tracing::warn!(layout = %saved.layout, "a saved sheet mapping names another layout; skipped"),
            Err(e) => tracing::warn!(layout = %saved.layout, error = %e, "a saved sheet mapping cannot be read; skipped"),
        }
    }
    Ok(out)
}

/// A table to import with the mapping a person confirmed on the mapping step.
#[derive(Debug, Clone, Copy)]
pub struct MappedTable<'a> {
    pub workbook: &'a Workbook,
    pub mapping: &'a ColumnMapping,
    pub header: &'a SheetHeader,
    /// The file's name, for the journal.
    pub source: &'a str,
}

/// Reads a table with its confirmed mapping and stores it as the organisation's catalog,
/// saving the mapping for its layout in the same transaction, if `actor` may import catalogs.
pub async fn import_mapped(
    store: &Store,
    library: &Library,
    actor: &Actor,
    table: MappedTable<'_>,
    limits: &CatalogImportLimits,
) -> Result<StoredCatalog, WebError> {
    may_import(library, actor)?;
    let header = table_header(table.header)?;
    let def = mamori_interop::catalog_sheet::import_table(table.workbook, table.mapping, header, limits).map_err(|e| import_error(&e))?;
    let layout = table.mapping.layout.clone().ok_or_else(|| WebError::internal("a confirmed mapping without its layout"))?;
    let json = serde_json::to_value(table.mapping).map_err(|e| WebError::internal(e.to_string()))?;
    store_catalog(store, actor, def, table.source, limits, Some(NewSheetMapping { layout, mapping: json })).await
}

fn may_import(library: &Library, actor: &Actor) -> Result<(), WebError> {
    if authorize(library, actor, Action::CatalogImport, &Resource::Organisation(actor.org)) != Decision::Allow {
        return Err(WebError::forbidden());
    }
    Ok(())
}

/// Checks a catalog and stores it as the organisation's, if `actor` may import catalogs.
pub async fn import_catalog(
    store: &Store,
    library: &Library,
    actor: &Actor,
    def: CatalogDef,
    source: &str,
    limits: &CatalogImportLimits,
) -> Result<StoredCatalog, WebError> {
    may_import(library, actor)?;
    store_catalog(store, actor, def, source, limits, None).await
}

async fn store_catalog(
    store: &Store,
    actor: &Actor,
    def: CatalogDef,
    source: &str,
    limits: &CatalogImportLimits,
    mapping: Option<NewSheetMapping>,
) -> Result<StoredCatalog, WebError> {
    let catalog = Catalog::check(def, &limits.catalog_limits()).map_err(|e| WebError::new(ErrorKind::Invalid, e.text()))?;
    let ctx = Ctx { org: actor.org, actor: Some(actor.person), role: None, at: OffsetDateTime::now_utc() };
    let (key, edition) = (catalog.key().to_string(), catalog.edition().to_string());
    match store.import_catalog_with_mapping(&ctx, uuid::Uuid::now_v7(), Arc::new(catalog), source, mapping.as_ref()).await {
        Err(e) if e.is_unique_violation() => Err(WebError::new(
            ErrorKind::Stale,
            Text::new(
                format!("「{key} {edition}」はすでに取り込まれています。版を変えて取り込んでください。"),
                format!("\"{key} {edition}\" is already imported. Import it as another edition."),
            ),
        )),
        other => Ok(other?),
    }
}

/// The export formats of a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Oscal,
    Ciso,
    Xlsx,
}

impl ExportFormat {
    pub fn parse(text: &str) -> Option<ExportFormat> {
        match text.trim().to_ascii_lowercase().as_str() {
            "oscal" | "json" => Some(ExportFormat::Oscal),
            "ciso" | "ciso-assistant" | "yaml" | "yml" => Some(ExportFormat::Ciso),
            "xlsx" => Some(ExportFormat::Xlsx),
            _ => None,
        }
    }
}

/// A catalog in an export format.
pub fn export_catalog(catalog: &Catalog, format: ExportFormat) -> Result<Vec<u8>, WebError> {
    let bytes = match format {
        ExportFormat::Oscal => mamori_interop::oscal::export_catalog(catalog.def(), OffsetDateTime::now_utc()).map(String::into_bytes),
        ExportFormat::Ciso => mamori_interop::ciso_assistant::export_library(catalog.def()).map(String::into_bytes),
        ExportFormat::Xlsx => mamori_interop::catalog_sheet::export_xlsx(catalog.def(), mamori_core::Lang::Ja),
    };
    bytes.map_err(|e| WebError::new(ErrorKind::Invalid, e.text()))
}
