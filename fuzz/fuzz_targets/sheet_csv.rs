//! CSV files (UTF-8 with or without BOM, Shift_JIS, tab-separated): read, then every importer
//! the layout leads to (never panicking).
#![no_main]

#[path = "sheet_common.rs"]
mod sheet_common;

use libfuzzer_sys::fuzz_target;
use mamori_interop::catalog_sheet::read_csv;

fuzz_target!(|data: &[u8]| {
    if let Ok(workbook) = read_csv(data, &sheet_common::sheet_limits()) {
        sheet_common::exercise(&workbook);
    }
});
