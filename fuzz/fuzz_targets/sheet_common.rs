//! What the two spreadsheet targets share: small limits, and every importer a workbook can reach
//! (Mamori's own workbook, CISO Assistant's, or a table with a guessed or saved mapping).

use mamori_core::catalog::LocalText;
use mamori_interop::CatalogImportLimits;
use mamori_interop::catalog_sheet::{
    CatalogHeader, SheetLayout, SheetLimits, Workbook, detect_layout, find_mapping, guess_mapping, import_ciso_xlsx,
    import_export_workbook, import_table,
};

/// Smaller than the defaults so that a hostile input is refused quickly; the code paths are the same.
pub fn sheet_limits() -> SheetLimits {
    SheetLimits {
        max_bytes: 1024 * 1024,
        max_unpacked_bytes: 8 * 1024 * 1024,
        max_rows: 10_000,
        max_columns: 200,
        max_cell_chars: 10_000,
        max_cells: 200_000,
        max_chars: 1024 * 1024,
    }
}

pub fn catalog_limits() -> CatalogImportLimits {
    CatalogImportLimits { max_bytes: 1024 * 1024, ..CatalogImportLimits::default() }
}

/// Runs a workbook through the importers; only panics matter, errors are expected.
pub fn exercise(workbook: &Workbook) {
    let limits = catalog_limits();
    match detect_layout(workbook) {
        Some(SheetLayout::MamoriExport) => {
            let _ = import_export_workbook(workbook, &limits);
        }
        Some(SheetLayout::CisoAssistant) => {
            let _ = import_ciso_xlsx(workbook, &limits);
        }
        Some(SheetLayout::Table(_)) | None => {}
    }
    if let Some(mapping) = guess_mapping(workbook) {
        let header = CatalogHeader::new("fuzz", "1", LocalText::ja("ファズ"));
        let _ = import_table(workbook, &mapping, header, &limits);
        let _ = find_mapping(workbook, std::slice::from_ref(&mapping));
    }
}
