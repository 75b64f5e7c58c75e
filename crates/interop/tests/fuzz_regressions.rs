//! Inputs found by the fuzz targets in `fuzz/` (see fuzz/README.md), kept as regression tests:
//! each must be refused with an error, never a panic that escapes or an abort.
//!
//! sheet_xlsx, 2026-12-01: calamine 0.38's cell-reference parser (`get_row_and_optional_column`,
//! src/xlsx/mod.rs:3096, 3097 and 3112) multiplies the column by 26 and the row by 10 without a
//! check, so a reference of seven or more letters (`ZZZZZZZ1`) or a row number above u32
//! (`A99999999999`) panics with "attempt to multiply with overflow" when overflow checks are on
//! (the dev and test profiles, and the fuzz builds); without them the value wraps. The fuzzer's
//! input was a mutated deflated sheet (`<c r="EFeeeeeeeeeeeee…`); the inputs below are the
//! smallest packages that reach the same line, stored (not compressed) so the XML can be read.
//! `catalog_sheet::read_xlsx` catches the panic and returns an error, which these tests hold it to.
//!
//! The same inputs reach `register_import::read_table`, which reads workbooks through
//! `catalog_sheet::read_xlsx`. It once asked calamine for the sheet's whole range, so a 1 KB sheet
//! with cells at A1 and XFD1048576 allocated 16,384 x 1,048,576 cells and aborted the process;
//! the last test holds it to the streaming reader's bounds.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mamori_interop::CatalogImportLimits;
use mamori_interop::catalog_sheet::{SheetLimits, import_export_xlsx, read_workbook, read_xlsx};
use mamori_interop::register_import::{ImportLimits, read_table};

const COLUMN_OVERFLOW: &[u8] = b"\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xa1\x0fl\xa5\xa8\x00\x00\x00\xa8\x00\x00\x00\x0b\x00\x00\x00_rels/.rels<Relationships><Relationship Id=\"r\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x8d\xf9m\x9d\x8e\x00\x00\x00\x8e\x00\x00\x00\x0f\x00\x00\x00xl/workbook.xml<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"S\" r:id=\"s\"/></sheets></workbook>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00R\x80O\xfb\x99\x00\x00\x00\x99\x00\x00\x00\x1a\x00\x00\x00xl/_rels/workbook.xml.rels<Relationships><Relationship Id=\"s\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"s.xml\"/></Relationships>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xc3\xb8\xedtJ\x00\x00\x00J\x00\x00\x00\x08\x00\x00\x00xl/s.xml<sheetData><c r=\"ZZZZZZZ1\" t=\"inlineStr\"><is><t>x</t></is></c></sheetData>\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xa1\x0fl\xa5\xa8\x00\x00\x00\xa8\x00\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00_rels/.rels\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x8d\xf9m\x9d\x8e\x00\x00\x00\x8e\x00\x00\x00\x0f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\xd1\x00\x00\x00xl/workbook.xml\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00R\x80O\xfb\x99\x00\x00\x00\x99\x00\x00\x00\x1a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x8c\x01\x00\x00xl/_rels/workbook.xml.rels\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xc3\xb8\xedtJ\x00\x00\x00J\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01]\x02\x00\x00xl/s.xml\
    PK\x05\x06\x00\x00\x00\x00\x04\x00\x04\x00\xf4\x00\x00\x00\xcd\x02\x00\x00\x00\x00";

const LOWERCASE_COLUMN_OVERFLOW: &[u8] = b"\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xa1\x0fl\xa5\xa8\x00\x00\x00\xa8\x00\x00\x00\x0b\x00\x00\x00_rels/.rels<Relationships><Relationship Id=\"r\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x8d\xf9m\x9d\x8e\x00\x00\x00\x8e\x00\x00\x00\x0f\x00\x00\x00xl/workbook.xml<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"S\" r:id=\"s\"/></sheets></workbook>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00R\x80O\xfb\x99\x00\x00\x00\x99\x00\x00\x00\x1a\x00\x00\x00xl/_rels/workbook.xml.rels<Relationships><Relationship Id=\"s\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"s.xml\"/></Relationships>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00nH\xc9\xafR\x00\x00\x00R\x00\x00\x00\x08\x00\x00\x00xl/s.xml<sheetData><c r=\"efeeeeeeeeeeeee1\" t=\"inlineStr\"><is><t>x</t></is></c></sheetData>\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xa1\x0fl\xa5\xa8\x00\x00\x00\xa8\x00\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00_rels/.rels\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x8d\xf9m\x9d\x8e\x00\x00\x00\x8e\x00\x00\x00\x0f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\xd1\x00\x00\x00xl/workbook.xml\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00R\x80O\xfb\x99\x00\x00\x00\x99\x00\x00\x00\x1a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x8c\x01\x00\x00xl/_rels/workbook.xml.rels\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00nH\xc9\xafR\x00\x00\x00R\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01]\x02\x00\x00xl/s.xml\
    PK\x05\x06\x00\x00\x00\x00\x04\x00\x04\x00\xf4\x00\x00\x00\xd5\x02\x00\x00\x00\x00";

const ROW_OVERFLOW: &[u8] = b"\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xa1\x0fl\xa5\xa8\x00\x00\x00\xa8\x00\x00\x00\x0b\x00\x00\x00_rels/.rels<Relationships><Relationship Id=\"r\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x8d\xf9m\x9d\x8e\x00\x00\x00\x8e\x00\x00\x00\x0f\x00\x00\x00xl/workbook.xml<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"S\" r:id=\"s\"/></sheets></workbook>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00R\x80O\xfb\x99\x00\x00\x00\x99\x00\x00\x00\x1a\x00\x00\x00xl/_rels/workbook.xml.rels<Relationships><Relationship Id=\"s\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"s.xml\"/></Relationships>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x19\x19loN\x00\x00\x00N\x00\x00\x00\x08\x00\x00\x00xl/s.xml<sheetData><c r=\"A99999999999\" t=\"inlineStr\"><is><t>x</t></is></c></sheetData>\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xa1\x0fl\xa5\xa8\x00\x00\x00\xa8\x00\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00_rels/.rels\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x8d\xf9m\x9d\x8e\x00\x00\x00\x8e\x00\x00\x00\x0f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\xd1\x00\x00\x00xl/workbook.xml\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00R\x80O\xfb\x99\x00\x00\x00\x99\x00\x00\x00\x1a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x8c\x01\x00\x00xl/_rels/workbook.xml.rels\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x19\x19loN\x00\x00\x00N\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01]\x02\x00\x00xl/s.xml\
    PK\x05\x06\x00\x00\x00\x00\x04\x00\x04\x00\xf4\x00\x00\x00\xd1\x02\x00\x00\x00\x00";

const FIRST_AND_LAST_CELLS: &[u8] = b"\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xa1\x0fl\xa5\xa8\x00\x00\x00\xa8\x00\x00\x00\x0b\x00\x00\x00_rels/.rels<Relationships><Relationship Id=\"r\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x8d\xf9m\x9d\x8e\x00\x00\x00\x8e\x00\x00\x00\x0f\x00\x00\x00xl/workbook.xml<workbook xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"S\" r:id=\"s\"/></sheets></workbook>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00R\x80O\xfb\x99\x00\x00\x00\x99\x00\x00\x00\x1a\x00\x00\x00xl/_rels/workbook.xml.rels<Relationships><Relationship Id=\"s\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"s.xml\"/></Relationships>\
    PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x1f\x80\xbdmy\x00\x00\x00y\x00\x00\x00\x08\x00\x00\x00xl/s.xml<sheetData><c r=\"A1\" t=\"inlineStr\"><is><t>x</t></is></c><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>y</t></is></c></sheetData>\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\xa1\x0fl\xa5\xa8\x00\x00\x00\xa8\x00\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00_rels/.rels\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x8d\xf9m\x9d\x8e\x00\x00\x00\x8e\x00\x00\x00\x0f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\xd1\x00\x00\x00xl/workbook.xml\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00R\x80O\xfb\x99\x00\x00\x00\x99\x00\x00\x00\x1a\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x8c\x01\x00\x00xl/_rels/workbook.xml.rels\
    PK\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00!\x00\x1f\x80\xbdmy\x00\x00\x00y\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01]\x02\x00\x00xl/s.xml\
    PK\x05\x06\x00\x00\x00\x00\x04\x00\x04\x00\xf4\x00\x00\x00\xfc\x02\x00\x00\x00\x00";

/// The inputs that overflow calamine's parser, with a name for the failure message.
fn overflowing() -> [(&'static str, &'static [u8]); 3] {
    [("ZZZZZZZ1", COLUMN_OVERFLOW), ("efeeeeeeeeeeeee1", LOWERCASE_COLUMN_OVERFLOW), ("A99999999999", ROW_OVERFLOW)]
}

#[test]
fn overflowing_cell_references_are_refused_by_the_catalog_reader() {
    for (name, bytes) in overflowing() {
        assert!(bytes.starts_with(b"PK\x03\x04"), "{name}: not a zip");
        let result = catch_unwind(AssertUnwindSafe(|| read_xlsx(bytes, &SheetLimits::default())));
        match result {
            Err(_) => panic!("{name}: read_xlsx let a panic escape"),
            Ok(Ok(workbook)) => panic!("{name}: read as a workbook: {workbook:?}"),
            Ok(Err(_)) => {}
        }
        let through_dispatch = catch_unwind(AssertUnwindSafe(|| read_workbook(bytes, &SheetLimits::default())));
        assert!(matches!(through_dispatch, Ok(Err(_))), "{name}: read_workbook did not refuse it");
        let through_import = catch_unwind(AssertUnwindSafe(|| import_export_xlsx(bytes, &CatalogImportLimits::default())));
        assert!(matches!(through_import, Ok(Err(_))), "{name}: import_export_xlsx did not refuse it");
    }
}

#[test]
fn the_first_and_last_cells_of_a_sheet_are_refused_by_the_catalog_reader() {
    let result = catch_unwind(AssertUnwindSafe(|| read_xlsx(FIRST_AND_LAST_CELLS, &SheetLimits::default())));
    assert!(matches!(result, Ok(Err(_))), "{result:?}");
}

#[test]
fn overflowing_cell_references_are_refused_by_the_register_reader() {
    for (name, bytes) in overflowing() {
        let result = catch_unwind(AssertUnwindSafe(|| read_table(bytes, &ImportLimits::default())));
        assert!(matches!(result, Ok(Err(_))), "{name}: {result:?}");
    }
}

#[test]
fn the_first_and_last_cells_of_a_sheet_are_refused_by_the_register_reader() {
    let result = catch_unwind(AssertUnwindSafe(|| read_table(FIRST_AND_LAST_CELLS, &ImportLimits::default())));
    assert!(matches!(result, Ok(Err(_))), "{result:?}");
}

/// checklist_xlsx, 2026-12-02: an end-of-directory record naming no parts, appended after a
/// real package, made the package checks (unpacked size, shared-strings count) read an empty
/// package while calamine read the real one. Refused before calamine opens it.
#[test]
fn an_appended_empty_directory_record_is_refused() {
    let Ok(sample) = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/checklists/supplier-checklist-sample.xlsx"),
    ) else {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI requires ../shared/testdata");
        eprintln!("SKIP: the supplier checklist sample is missing");
        return;
    };
    let tight = SheetLimits { max_unpacked_bytes: 1_000, ..SheetLimits::default() };
    assert!(read_xlsx(&sample, &tight).is_err(), "the real package unpacks to more than 1,000 bytes");
    let mut forged = sample.clone();
    // An end record: signature, disks 0, 0 entries, size 0, offset 0, no comment.
    forged.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00");
    let result = catch_unwind(AssertUnwindSafe(|| read_xlsx(&forged, &tight)));
    assert!(matches!(result, Ok(Err(_))), "{result:?}");
    let result = catch_unwind(AssertUnwindSafe(|| read_table(&forged, &ImportLimits::default())));
    assert!(matches!(result, Ok(Err(_))), "{result:?}");
    assert!(read_xlsx(&sample, &SheetLimits::default()).is_ok(), "the real package still reads");
}
