//! Mamori's import and export: bytes ↔ `mamori-core` types. Register tables to xlsx and CSV
//! (UTF-8 with BOM, so Excel in Japan opens it), and xlsx or CSV (UTF-8 or Shift_JIS) back into
//! rows ready for `RegisterType::validate`. Pure transformations: no database, no HTTP. Every
//! reader is bounded in size, rows and columns, and reports problems with their row and column.

pub mod error;
pub mod register_export;
pub mod register_import;

pub use error::InteropError;
