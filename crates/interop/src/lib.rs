//! Mamori's import and export: bytes ↔ `mamori-core` types. Register tables to xlsx and CSV
//! (UTF-8 with BOM, so Excel in Japan opens it), and xlsx or CSV (UTF-8 or Shift_JIS) back into
//! rows ready for `RegisterType::validate`; catalogs to and from OSCAL JSON and CISO Assistant
//! library YAML. Pure transformations: no database, no HTTP. Every reader is bounded in size,
//! rows and columns (or nodes and depth), and reports problems with where they are.

pub mod catalog_error;
pub mod catalog_sheet;
pub mod checklist;
pub mod ciso_assistant;
pub mod error;
pub mod oscal;
pub mod register_export;
pub mod register_import;
pub mod sheet_mapping;
pub mod submission;

pub use catalog_error::{CatalogImportError, CatalogImportLimits, Location};
pub use checklist::{Checklist, ChecklistColumns, ChecklistItem, ChecklistOptions, FilledCell, fill_checklist, read_checklist};
pub use error::InteropError;
