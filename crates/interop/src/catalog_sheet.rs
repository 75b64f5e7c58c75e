//! Catalogs from and to spreadsheets: a customer's checklist in xlsx or CSV, CISO Assistant's
//! framework workbook, and Mamori's own catalog workbook.
//!
//! # Reading
//!
//! [`read_xlsx`] and [`read_csv`] (or [`read_workbook`], which picks by content) turn a file into a
//! [`Workbook`] of text grids: every cell as Excel displays it (numbers without a trailing `.0`,
//! dates as `YYYY-MM-DD`, times as `HH:MM`), every merged region filled from its top-left cell so
//! that a label merged over twenty rows reads on each of them. Readers are bounded by
//! [`SheetLimits`] (file size, size once unpacked, rows, columns, characters per cell and in all,
//! cells) and never panic: a broken file gives an error with the sheet, row and column
//! ([`CellRef`]). A CSV file is UTF-8 with or without BOM, or Shift_JIS as Japanese Excel writes
//! it, separated by commas (or tabs, when the first line has tabs and no commas). Formula cells
//! read as the value Excel saved with them.
//!
//! Before calamine sees an xlsx file, its zip directory is read here: the declared sizes of the
//! parts are summed against [`SheetLimits::max_unpacked_bytes`] (the unpacker refuses a part
//! larger than declared), and the shared-strings part's `uniqueCount` is checked against what the
//! part can hold, because calamine reserves memory for that count up front and a forged count
//! aborts the process. Cells are streamed, so a sheet that declares a huge size costs nothing, and
//! a cell beyond the row or column limit is refused where it is. calamine 0.38 can still panic on
//! some malformed parts when overflow checks are on (cell references such as `ZZZZZZZZ1`, a
//! reversed range in `mergeCells`); such a panic is caught and reported as a broken file.
//!
//! # A customer's table
//!
//! A [`ColumnMapping`] says which column holds which part of a requirement: the number (`ref`),
//! group columns from the outermost (ラベル, then 要求事項), `title`, `text` (達成条件), the
//! answer target (必須/任意), the criteria (達成基準, split at its 【…】 headers) and any number of
//! attributes (目的 → `purpose`). It is plain data (serde) so that the UI can save one per layout;
//! [`layout_fingerprint`] names a layout by its header row, and [`find_mapping`] finds a saved
//! mapping again. [`guess_mapping`] recognises Japanese and English headers in the first 30 rows
//! of the first visible sheet that has a table (instruction sheets and hidden sheets are skipped).
//!
//! The web's mapping step (module `sheet_mapping`, re-exported here) shows a mapping as one
//! [`ColumnRole`] per column and makes it again from the roles a person chose
//! ([`mapping_from_roles`]); [`propose_mapping`] says where the step starts: the mapping saved
//! for the layout, else the guess, for the whole workbook or a chosen sheet and header row.
//!
//! [`import_table`] reads the rows below the header:
//!
//! * A row with no number, no text and no title is skipped (so are empty rows and repeats of
//!   the header row). Every other row is a requirement whose ref is its number; a row without a
//!   number gets `row<N>` (the sheet row), or its position `1`, `2`, … when no number column is
//!   mapped, and the flag `provisional_numbering`. A number that repeats is an error at its cell.
//! * Group columns give group nodes: a new group starts where the cell's text changes, a blank
//!   cell continues the group above (merged cells are already filled), and a change in an outer
//!   column starts new inner groups. A group's ref is derived from its position under its parent,
//!   with a prefix per level: `L1`, `L2`, … then `L1.R1`, `L1.R2`, … then `G`. When every value of
//!   a group column starts with a number (`1 方針`, `4体制 (平時)`) the column is `numbered`: the
//!   number becomes the group's `number` and its ref (`L4`), the rest its title (`体制 (平時)`). A
//!   group ref column, when mapped, gives the ref instead. Groups exist only when a requirement
//!   is under them.
//! * Texts are kept as written, without surrounding whitespace. Attributes go on the requirements
//!   (empty cells are left out).
//! * **Seed 004's missing 達成条件.** When the text column is mapped and a numbered row's cell is
//!   blank (Kubota No. 72), nothing is invented: the requirement has no text and the flag
//!   `no_condition_in_source`; since `Catalog::check` wants a title or a text, the innermost
//!   group's title (the 要求事項) becomes its title, as the built-in catalog does. When the cell is
//!   part of a merged region that starts in a row above (Kubota Nos. 5, 12, 14, 50, 63), the text
//!   is the merged text and the flag `text_inherited` says so.
//!
//! When no text column exists, the 要求事項 column holds the statement (a supplier checklist) and
//! becomes the text; when a text column exists, a 要求事項 column whose values repeat over rows
//! (merged or equal) is a group level, otherwise the title. Columns with no recognised header
//! (回答欄, 根拠・補足, 備考, …) are answer columns and are not read.
//!
//! # CISO Assistant
//!
//! [`import_ciso_xlsx`] reads CISO Assistant's framework workbook (`library_meta`, `*_meta` of type
//! `framework`, `*_content` with `assessable`, `depth`, `ref_id`, `name`, `description`,
//! `annotation`, `typical_evidence`, `importance`, `name[xx]`, …): node URNs are made as CISO
//! Assistant's `convert_library_v2.py` makes them (from `urn_id`, `ref_id`, the parent's URN and a
//! counter, or the name), the tree comes from `depth`, and the result goes through the same
//! conversion as a YAML library ([`ciso_assistant::import_library`]), so a framework reads the same
//! either way. In addition, `importance` gives the answer target (`mandatory` → 必須;
//! `recommended`, `nice_to_have` → 任意). Accents are folded for URNs only for Latin-1 letters
//! (the script uses NFKD); other non-ASCII characters are dropped as the script drops them.
//!
//! # Mamori's workbook
//!
//! [`export_xlsx`] writes one sheet `catalog` with a row per node, in catalog order: ref, parent,
//! kind, number, title (ja), title (en), text (ja), text (en), answer_target, one column per
//! declared attribute, criteria (each `【header】 text` on its own line), flags, and — so that
//! nothing is lost — frequencies, cites, notes (ja) and notes (en). Each header cell has two lines:
//! the Japanese name, then the column's key, which is what [`import_export_xlsx`] reads. A second
//! sheet `catalog_info` holds the catalog's header (key, edition, URN, names, …) and its attribute
//! declarations. Kind and answer target are written in `lang` (グループ / 要求事項, 必須 / 任意, or
//! the English codes); both are read back. Lists (flags, frequencies, cites) are one item a line,
//! and criteria one criterion a line; when a value could not be read back exactly that way (a
//! text holding 【…】, a preamble after a header, surrounding whitespace), the cell holds it as a
//! JSON array instead. [`import_export_xlsx`] gives back the identical [`CatalogDef`], except that
//! empty texts (`""`) and empty attribute values are not kept (a cell cannot tell them from
//! absent ones).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek};

use calamine::{Data, DataRef, Reader, SheetType, SheetVisible, Xlsx};
use mamori_core::Lang;
use mamori_core::catalog::{AnswerTarget, AttributeDef, Catalog, CatalogDef, Criterion, Frequency, LocalText, NodeDef, NodeFlag, NodeKind};
use mamori_core::classification::Confidentiality;
use serde::{Deserialize, Serialize};

use crate::catalog_error::{
    CatalogImportError, CatalogImportLimits, CellRef, Location, SheetBound, column_letters, export_limits, slug, valid_ref,
};
use crate::ciso_assistant::{self, CisoImport};
use crate::register_import;
pub use crate::sheet_mapping::{ColumnRole, MappingProposal, mapping_from_roles, propose_mapping};

/// The name [`read_csv`] gives the one sheet of a CSV file.
pub const CSV_SHEET: &str = "CSV";
/// The sheet of [`export_xlsx`] with the nodes.
pub const EXPORT_SHEET: &str = "catalog";
/// The sheet of [`export_xlsx`] with the catalog's header and attribute declarations.
pub const EXPORT_INFO_SHEET: &str = "catalog_info";
/// How many rows from the top [`guess_mapping`] looks at for a header row.
pub const HEADER_SEARCH_ROWS: usize = 30;

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
/// Excel's limit on the characters of one cell (UTF-16 code units).
pub(crate) const EXCEL_CELL_CHARS: usize = 32_767;
/// Excel's largest column number.
pub(crate) const EXCEL_COLUMNS: usize = 16_384;

// ---------------------------------------------------------------------------------------------
// Limits and the workbook model.

/// Bounds on what a spreadsheet read may hold. Configuration with generous defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetLimits {
    /// Size of the file.
    pub max_bytes: usize,
    /// Size of an xlsx file's parts once unpacked (as the zip directory declares them; the
    /// unpacker refuses a part larger than declared).
    pub max_unpacked_bytes: u64,
    /// Rows of one sheet (a non-empty cell below this row is refused).
    pub max_rows: usize,
    /// Columns of one sheet (a non-empty cell right of this column is refused).
    pub max_columns: usize,
    /// Characters in one cell.
    pub max_cell_chars: usize,
    /// Cells kept in the whole workbook: every row counts as one, and so do the blanks inside
    /// rows and the cells that merged regions fill (or visit).
    pub max_cells: usize,
    /// Characters kept in the whole workbook, merged regions' copies included.
    pub max_chars: usize,
}

impl Default for SheetLimits {
    fn default() -> Self {
        SheetLimits {
            max_bytes: 64 * 1024 * 1024,
            max_unpacked_bytes: 512 * 1024 * 1024,
            max_rows: 1_000_000,
            max_columns: 1_000,
            max_cell_chars: CatalogImportLimits::default().max_text_chars,
            max_cells: 10_000_000,
            max_chars: 64 * 1024 * 1024,
        }
    }
}

impl From<&CatalogImportLimits> for SheetLimits {
    /// The defaults, with the file size and the characters of a cell of the catalog limits.
    fn from(limits: &CatalogImportLimits) -> Self {
        SheetLimits { max_bytes: limits.max_bytes, max_cell_chars: limits.max_text_chars, ..SheetLimits::default() }
    }
}

/// A workbook (or a CSV file, as one sheet) read as text: its sheets in workbook order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workbook {
    pub sheets: Vec<SheetGrid>,
}

impl Workbook {
    pub fn sheet(&self, name: &str) -> Option<&SheetGrid> {
        self.sheets.iter().find(|s| s.name == name)
    }
}

/// One sheet as text. `rows[i][j]` is the cell in row `i + 1` and column `j + 1` as Excel
/// numbers them (trailing empty cells and rows are not stored); merged regions are already
/// filled from their top-left cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetGrid {
    pub name: String,
    /// Hidden or very hidden in Excel.
    pub hidden: bool,
    pub rows: Vec<Vec<String>>,
    pub merges: Vec<MergedRegion>,
}

/// A merged region, rows and columns counted from 1 as Excel shows them, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergedRegion {
    pub first_row: usize,
    pub first_column: usize,
    pub last_row: usize,
    pub last_column: usize,
}

impl MergedRegion {
    pub fn contains(&self, row: usize, column: usize) -> bool {
        (self.first_row..=self.last_row).contains(&row) && (self.first_column..=self.last_column).contains(&column)
    }
}

impl SheetGrid {
    /// The cell at `row` and `column` (both from 1); empty outside the data.
    pub fn cell(&self, row: usize, column: usize) -> &str {
        row.checked_sub(1)
            .and_then(|r| self.rows.get(r))
            .and_then(|cells| column.checked_sub(1).and_then(|c| cells.get(c)))
            .map_or("", String::as_str)
    }

    /// The merged region that covers a cell, if any.
    pub fn merge_at(&self, row: usize, column: usize) -> Option<&MergedRegion> {
        self.merges.iter().find(|m| m.contains(row, column))
    }

    /// The number of columns: the longest row's.
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// What has been kept so far, against [`SheetLimits::max_cells`] and [`SheetLimits::max_chars`].
#[derive(Debug, Default)]
struct Budget {
    cells: usize,
    chars: usize,
    /// Cells visited to fill or clear merged regions.
    merged: usize,
}

/// Stores a non-empty cell, within the limits.
fn place(
    grid: &mut SheetGrid,
    row: usize,
    column: usize,
    text: String,
    limits: &SheetLimits,
    budget: &mut Budget,
) -> Result<(), CatalogImportError> {
    let at = |grid: &SheetGrid| CellRef::cell(grid.name.clone(), row, column);
    if row > limits.max_rows {
        return Err(CatalogImportError::SheetLimit { at: at(grid), bound: SheetBound::Rows, max: limits.max_rows as u64 });
    }
    if column > limits.max_columns {
        return Err(CatalogImportError::SheetLimit { at: at(grid), bound: SheetBound::Columns, max: limits.max_columns as u64 });
    }
    let chars = text.chars().count();
    if chars > limits.max_cell_chars {
        return Err(CatalogImportError::SheetLimit { at: at(grid), bound: SheetBound::CellChars, max: limits.max_cell_chars as u64 });
    }
    budget.chars = budget.chars.saturating_add(chars);
    if budget.chars > limits.max_chars {
        return Err(CatalogImportError::SheetLimit { at: at(grid), bound: SheetBound::Chars, max: limits.max_chars as u64 });
    }
    // Rows and the blanks before a cell cost memory too: they count as cells.
    let new_rows = row.saturating_sub(grid.rows.len());
    let new_cells = column.saturating_sub(grid.rows.get(row - 1).map_or(0, Vec::len));
    budget.cells = budget.cells.saturating_add(new_rows).saturating_add(new_cells);
    if budget.cells > limits.max_cells {
        return Err(CatalogImportError::SheetLimit { at: at(grid), bound: SheetBound::Cells, max: limits.max_cells as u64 });
    }
    if new_rows > 0 {
        grid.rows.resize_with(row, Vec::new);
    }
    if new_cells > 0 {
        grid.rows[row - 1].resize(column, String::new());
    }
    grid.rows[row - 1][column - 1] = text;
    Ok(())
}

/// Drops trailing empty cells and rows.
fn trim_grid(grid: &mut SheetGrid) {
    for row in &mut grid.rows {
        while row.last().is_some_and(String::is_empty) {
            row.pop();
        }
    }
    while grid.rows.last().is_some_and(Vec::is_empty) {
        grid.rows.pop();
    }
}

// ---------------------------------------------------------------------------------------------
// Readers.

/// Reads an xlsx workbook or a CSV file, choosing by content (a zip is read as xlsx).
pub fn read_workbook(bytes: &[u8], limits: &SheetLimits) -> Result<Workbook, CatalogImportError> {
    if bytes.starts_with(ZIP_MAGIC) { read_xlsx(bytes, limits) } else { read_csv(bytes, limits) }
}

/// Why an xlsx package is refused before calamine reads it.
pub(crate) enum PackageProblem {
    /// Its parts would unpack to more than the limit.
    Unpacked,
    Broken(&'static str),
}

/// The checks every xlsx passes before calamine opens it (register imports too): the zip
/// directory is readable, the declared unpacked size is within the limit, and the shared
/// strings part declares no more strings than it can hold (calamine reserves memory for the
/// declared count up front, and a count in the billions aborts the process).
pub(crate) fn check_package(bytes: &[u8], limits: &SheetLimits) -> Result<(), PackageProblem> {
    let entries = zip_entries(bytes).map_err(PackageProblem::Broken)?;
    let unpacked = entries.iter().fold(0u64, |total, e| total.saturating_add(e.size));
    if unpacked > limits.max_unpacked_bytes {
        return Err(PackageProblem::Unpacked);
    }
    check_shared_strings(bytes, &entries, limits).map_err(PackageProblem::Broken)
}

/// Reads every worksheet of an xlsx workbook (chart and macro sheets are skipped).
pub fn read_xlsx(bytes: &[u8], limits: &SheetLimits) -> Result<Workbook, CatalogImportError> {
    if bytes.len() > limits.max_bytes {
        return Err(CatalogImportError::TooLarge { limit: limits.max_bytes });
    }
    let not_workbook = |detail: &str| CatalogImportError::NotAWorkbook { detail: detail.to_string() };
    match check_package(bytes, limits) {
        Ok(()) => {}
        Err(PackageProblem::Unpacked) => {
            return Err(CatalogImportError::SheetLimit {
                at: CellRef::default(),
                bound: SheetBound::UnpackedBytes,
                max: limits.max_unpacked_bytes,
            });
        }
        Err(PackageProblem::Broken(detail)) => return Err(not_workbook(detail)),
    }
    // calamine 0.38 can panic on malformed parts (e.g. its cell-reference parser overflows on
    // `ZZZZZZZZ1` when overflow checks are on): a panic there is a broken file, not a crash.
    let current: std::cell::RefCell<Option<String>> = std::cell::RefCell::new(None);
    let guarded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_xlsx_parts(bytes, limits, &current)));
    guarded.unwrap_or_else(|_| {
        let detail = "a part of the workbook is malformed".to_string();
        match current.try_borrow().ok().and_then(|c| c.clone()) {
            Some(sheet) => Err(CatalogImportError::SheetSyntax { at: CellRef::sheet(sheet), detail }),
            None => Err(CatalogImportError::NotAWorkbook { detail }),
        }
    })
}

fn read_xlsx_parts(
    bytes: &[u8],
    limits: &SheetLimits,
    current: &std::cell::RefCell<Option<String>>,
) -> Result<Workbook, CatalogImportError> {
    let mut xlsx: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| CatalogImportError::NotAWorkbook { detail: short(&e.to_string()) })?;
    let is_1904 = xlsx.has_1904_epoch();
    let sheets: Vec<(String, bool)> = xlsx
        .sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| (s.name.clone(), s.visible != SheetVisible::Visible))
        .collect();
    let mut budget = Budget::default();
    let mut out = Workbook::default();
    for (name, hidden) in sheets {
        current.replace(Some(name.clone()));
        let mut grid = SheetGrid { name, hidden, rows: Vec::new(), merges: Vec::new() };
        read_cells(&mut xlsx, &mut grid, is_1904, limits, &mut budget)?;
        let merges = xlsx
            .merge_cells_by_sheet_name(&grid.name)
            .map_err(|e| CatalogImportError::SheetSyntax { at: CellRef::sheet(grid.name.clone()), detail: short(&e.to_string()) })?;
        let regions = merges
            .iter()
            .map(|d| MergedRegion {
                first_row: d.start.0.min(d.end.0) as usize + 1,
                first_column: d.start.1.min(d.end.1) as usize + 1,
                last_row: d.start.0.max(d.end.0) as usize + 1,
                last_column: d.start.1.max(d.end.1) as usize + 1,
            })
            .collect();
        fill_merges(&mut grid, regions, limits, &mut budget)?;
        out.sheets.push(grid);
    }
    Ok(out)
}

fn read_cells<RS: Read + Seek>(
    xlsx: &mut Xlsx<RS>,
    grid: &mut SheetGrid,
    is_1904: bool,
    limits: &SheetLimits,
    budget: &mut Budget,
) -> Result<(), CatalogImportError> {
    let name = grid.name.clone();
    let mut reader = xlsx
        .worksheet_cells_reader(&name)
        .map_err(|e| CatalogImportError::SheetSyntax { at: CellRef::sheet(name.clone()), detail: short(&e.to_string()) })?;
    let mut last: Option<(usize, usize)> = None;
    loop {
        let cell = match reader.next_cell() {
            Ok(Some(cell)) => cell,
            Ok(None) => break,
            Err(e) => {
                let at = match last {
                    Some((row, column)) => CellRef::cell(name.clone(), row, column),
                    None => CellRef::sheet(name.clone()),
                };
                return Err(CatalogImportError::SheetSyntax { at, detail: short(&e.to_string()) });
            }
        };
        let (r, c) = cell.get_position();
        let (row, column) = (r as usize + 1, c as usize + 1);
        last = Some((row, column));
        let text = cell_text(cell.get_value(), is_1904);
        if !text.is_empty() {
            place(grid, row, column, text, limits, budget)?;
        }
    }
    trim_grid(grid);
    Ok(())
}

/// Copies each merged region's top-left cell into the rest of the region (as far as the sheet
/// has data: a region reaching past the last row or column is cut there).
fn fill_merges(
    grid: &mut SheetGrid,
    regions: Vec<MergedRegion>,
    limits: &SheetLimits,
    budget: &mut Budget,
) -> Result<(), CatalogImportError> {
    let (height, width) = (grid.rows.len(), grid.width());
    for m in &regions {
        let value = grid.cell(m.first_row, m.first_column).to_string();
        for row in m.first_row..=m.last_row.min(height) {
            for column in m.first_column..=m.last_column.min(width) {
                if (row, column) == (m.first_row, m.first_column) {
                    continue;
                }
                budget.merged += 1;
                if budget.merged > limits.max_cells {
                    return Err(CatalogImportError::SheetLimit {
                        at: CellRef::cell(grid.name.clone(), row, column),
                        bound: SheetBound::Cells,
                        max: limits.max_cells as u64,
                    });
                }
                if value.is_empty() {
                    if let Some(cell) = grid.rows.get_mut(row - 1).and_then(|r| r.get_mut(column - 1)) {
                        cell.clear();
                    }
                } else {
                    place(grid, row, column, value.clone(), limits, budget)?;
                }
            }
        }
    }
    grid.merges = regions;
    trim_grid(grid);
    Ok(())
}

/// A cell as Excel displays it: integers without `.0`, dates as YYYY-MM-DD (1900 or 1904 date
/// system), times of day as HH:MM or HH:MM:SS, errors as empty.
fn cell_text(value: &DataRef<'_>, is_1904: bool) -> String {
    match value {
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::String(s) => s.clone(),
        DataRef::DateTime(d) if d.is_datetime() => {
            let serial = d.as_f64();
            if (0.0..1.0).contains(&serial) {
                time_of_day(serial)
            } else {
                register_import::serial_to_date(serial + if is_1904 { 1462.0 } else { 0.0 })
            }
        }
        other => register_import::cell_text(&Data::from(other.clone())),
    }
}

fn time_of_day(fraction: f64) -> String {
    let seconds = (fraction * 86_400.0).round() as u64 % 86_400;
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if s == 0 { format!("{h:02}:{m:02}") } else { format!("{h:02}:{m:02}:{s:02}") }
}

/// An entry of a zip file's central directory.
#[derive(Debug)]
pub(crate) struct ZipEntry {
    pub(crate) name: Vec<u8>,
    flags: u64,
    method: u64,
    pub(crate) crc: u64,
    compressed: u64,
    pub(crate) size: u64,
    offset: u64,
}

const ZIP_BROKEN: &str = "the file is truncated or is not a zip package (no complete central directory)";

/// Little-endian integer of `len` bytes at `at`.
fn le(bytes: &[u8], at: usize, len: usize) -> Option<u64> {
    let b = bytes.get(at..at.checked_add(len)?)?;
    Some(b.iter().rev().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
}

/// The entries of a zip file, from its central directory; an error when the file has no
/// complete directory (a truncated file, or not a zip at all).
pub(crate) fn zip_entries(bytes: &[u8]) -> Result<Vec<ZipEntry>, &'static str> {
    let get = |at: usize, len: usize| le(bytes, at, len).ok_or(ZIP_BROKEN);
    let last = bytes.len().checked_sub(22).ok_or(ZIP_BROKEN)?;
    let first = last.saturating_sub(65_535);
    let eocd = (first..=last).rev().find(|&i| le(bytes, i, 4) == Some(0x0605_4b50)).ok_or(ZIP_BROKEN)?;
    let mut count = get(eocd + 10, 2)?;
    let mut offset = get(eocd + 16, 4)?;
    let directory_size = get(eocd + 12, 4)?;
    let zip64 = count == 0xFFFF || offset == 0xFFFF_FFFF;
    // The directory ends where its end record starts (ZIP64 puts its record and locator in
    // between). A record appended after the real one, naming no parts or a directory elsewhere,
    // would make these checks read another package than the unpacker does: refused.
    if !zip64 && offset.checked_add(directory_size) != Some(eocd as u64) {
        return Err(ZIP_BROKEN);
    }
    if zip64 {
        let locator = eocd.checked_sub(20).ok_or(ZIP_BROKEN)?;
        if le(bytes, locator, 4) != Some(0x0706_4b50) {
            return Err(ZIP_BROKEN);
        }
        let record = usize::try_from(get(locator + 8, 8)?).map_err(|_| ZIP_BROKEN)?;
        if record > bytes.len() || le(bytes, record, 4) != Some(0x0606_4b50) {
            return Err(ZIP_BROKEN);
        }
        count = get(record + 32, 8)?;
        offset = get(record + 48, 8)?;
    }
    if count > 100_000 {
        return Err("the zip package has too many parts");
    }
    if count == 0 {
        return Err("the zip package has no parts");
    }
    let mut pos = usize::try_from(offset).map_err(|_| ZIP_BROKEN)?;
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        if pos > bytes.len() || le(bytes, pos, 4) != Some(0x0201_4b50) {
            return Err(ZIP_BROKEN);
        }
        let (name_len, extra_len, comment_len) = (get(pos + 28, 2)? as usize, get(pos + 30, 2)? as usize, get(pos + 32, 2)? as usize);
        let mut entry = ZipEntry {
            name: bytes.get(pos + 46..pos + 46 + name_len).ok_or(ZIP_BROKEN)?.to_vec(),
            flags: get(pos + 8, 2)?,
            method: get(pos + 10, 2)?,
            crc: get(pos + 16, 4)?,
            compressed: get(pos + 20, 4)?,
            size: get(pos + 24, 4)?,
            offset: get(pos + 42, 4)?,
        };
        // ZIP64: the extra field holds, in this order, the sizes and offset that do not fit.
        let mut e = pos + 46 + name_len;
        let end = e + extra_len;
        while e + 4 <= end {
            let (id, len) = (get(e, 2)?, get(e + 2, 2)? as usize);
            if id == 1 {
                let mut field = e + 4;
                for value in [&mut entry.size, &mut entry.compressed, &mut entry.offset] {
                    if *value == 0xFFFF_FFFF {
                        *value = get(field, 8)?;
                        field += 8;
                    }
                }
                break;
            }
            e += 4 + len;
        }
        out.push(entry);
        pos = end + comment_len;
    }
    Ok(out)
}

/// The first `limit` bytes of an entry once unpacked (stored or deflated, as xlsx files are).
fn zip_peek(bytes: &[u8], entry: &ZipEntry, limit: usize) -> Result<Vec<u8>, &'static str> {
    const UNREADABLE: &str = "a part of the package cannot be unpacked";
    if entry.flags & 1 == 1 {
        return Err("the package is encrypted");
    }
    let local = usize::try_from(entry.offset).map_err(|_| UNREADABLE)?;
    if le(bytes, local, 4) != Some(0x0403_4b50) {
        return Err(UNREADABLE);
    }
    let name_len = le(bytes, local + 26, 2).ok_or(UNREADABLE)? as usize;
    let extra_len = le(bytes, local + 28, 2).ok_or(UNREADABLE)? as usize;
    let start = local + 30 + name_len + extra_len;
    let compressed = usize::try_from(entry.compressed).map_err(|_| UNREADABLE)?;
    let data = bytes.get(start..start.saturating_add(compressed).min(bytes.len())).ok_or(UNREADABLE)?;
    let out = match entry.method {
        0 => data[..data.len().min(limit)].to_vec(),
        8 => inflate(data, limit).ok_or(UNREADABLE)?,
        _ => return Err("a part of the package uses an unsupported compression method"),
    };
    // When the whole part was unpacked, its checksum must match.
    if out.len() as u64 == entry.size && crc32(&out) != entry.crc {
        return Err("a part of the package is damaged (checksum mismatch)");
    }
    Ok(out)
}

fn crc32(bytes: &[u8]) -> u64 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    u64::from(!crc)
}

/// Refuses a package whose shared-strings part declares more strings than it can hold: calamine
/// reserves memory for the declared count before reading, and a count in the billions would
/// abort the process.
fn check_shared_strings(bytes: &[u8], entries: &[ZipEntry], limits: &SheetLimits) -> Result<(), &'static str> {
    const HEAD: usize = 64 * 1024;
    for entry in entries.iter().filter(|e| e.name.to_ascii_lowercase().ends_with(b"sharedstrings.xml")) {
        let head = zip_peek(bytes, entry, HEAD)?;
        match unique_count(&head) {
            Some(Some(n)) if n > (entry.size / 5).min(limits.max_cells as u64) => {
                return Err("the shared strings part declares more strings than it holds");
            }
            Some(_) => {}
            // No complete <sst> tag in the part's first 64 KiB: not a shared strings part we read.
            None if head.len() >= HEAD => return Err("the shared strings part is malformed"),
            None => {}
        }
    }
    Ok(())
}

/// The `uniqueCount` of the `<sst>` start tag: `None` when there is no complete tag,
/// `Some(None)` when it has no such attribute (or one calamine does not read as a number).
fn unique_count(head: &[u8]) -> Option<Option<u64>> {
    let text = String::from_utf8_lossy(head);
    let mut from = 0;
    let tag = loop {
        let i = from + text[from..].find('<')?;
        let rest = &text[i + 1..];
        let name_end = rest.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(rest.len());
        let name = &rest[..name_end];
        if name == "sst" || name.rsplit_once(':').is_some_and(|(_, local)| local == "sst") {
            break &rest[..rest.find('>')?];
        }
        from = i + 1;
    };
    let Some(at) = tag.find("uniqueCount") else { return Some(None) };
    let value = tag[at + "uniqueCount".len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = value.chars().next()?;
    let digits: String = value[quote.len_utf8()..].chars().take_while(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return Some(None);
    }
    Some(Some(digits.parse::<u64>().unwrap_or(u64::MAX)))
}

/// A DEFLATE (RFC 1951) decoder that stops after `limit` bytes of output: enough to look at the
/// start of a part. `None` when the data is not valid DEFLATE.
fn inflate(data: &[u8], limit: usize) -> Option<Vec<u8>> {
    struct Bits<'a> {
        data: &'a [u8],
        pos: usize,
        buf: u64,
        count: u32,
    }
    impl Bits<'_> {
        fn take(&mut self, n: u32) -> Option<u32> {
            while self.count < n {
                let byte = *self.data.get(self.pos)?;
                self.pos += 1;
                self.buf |= u64::from(byte) << self.count;
                self.count += 8;
            }
            let v = (self.buf & ((1u64 << n) - 1)) as u32;
            self.buf >>= n;
            self.count -= n;
            Some(v)
        }
    }
    struct Huffman {
        counts: [u16; 16],
        symbols: Vec<u16>,
    }
    fn build(lengths: &[u8]) -> Option<Huffman> {
        let mut counts = [0u16; 16];
        for &l in lengths {
            counts[usize::from(l)] += 1;
        }
        let mut left: i32 = 1;
        for &c in &counts[1..] {
            left = (left << 1) - i32::from(c);
            if left < 0 {
                return None;
            }
        }
        let mut offsets = [0u16; 16];
        for len in 1..15 {
            offsets[len + 1] = offsets[len] + counts[len];
        }
        let mut symbols = vec![0u16; lengths.len()];
        for (symbol, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbols[usize::from(offsets[usize::from(l)])] = symbol as u16;
                offsets[usize::from(l)] += 1;
            }
        }
        Some(Huffman { counts, symbols })
    }
    fn decode(bits: &mut Bits<'_>, h: &Huffman) -> Option<u16> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= bits.take(1)? as i32;
            let count = i32::from(h.counts[len]);
            if code - count < first {
                return h.symbols.get(usize::try_from(index + (code - first)).ok()?).copied();
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        None
    }
    const LBASE: [u16; 29] =
        [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
    const LEXT: [u8; 29] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
    const DBASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289,
        16385, 24577,
    ];
    const DEXT: [u8; 30] = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
    const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

    let mut bits = Bits { data, pos: 0, buf: 0, count: 0 };
    let mut out: Vec<u8> = Vec::new();
    loop {
        let last = bits.take(1)? == 1;
        match bits.take(2)? {
            0 => {
                bits.buf = 0;
                bits.count = 0;
                let len = le(data, bits.pos, 2)? as usize;
                let nlen = le(data, bits.pos + 2, 2)? as usize;
                if len != !nlen & 0xFFFF {
                    return None;
                }
                let start = bits.pos + 4;
                let block = data.get(start..start + len)?;
                out.extend_from_slice(&block[..block.len().min(limit.saturating_sub(out.len()))]);
                bits.pos = start + len;
            }
            kind @ (1 | 2) => {
                let (lencode, distcode) = if kind == 1 {
                    let mut lengths = [8u8; 288];
                    lengths[144..256].fill(9);
                    lengths[256..280].fill(7);
                    (build(&lengths)?, build(&[5u8; 30])?)
                } else {
                    let nlen = bits.take(5)? as usize + 257;
                    let ndist = bits.take(5)? as usize + 1;
                    let ncode = bits.take(4)? as usize + 4;
                    if nlen > 286 || ndist > 30 {
                        return None;
                    }
                    let mut code_lengths = [0u8; 19];
                    for &i in &ORDER[..ncode] {
                        code_lengths[i] = bits.take(3)? as u8;
                    }
                    let codes = build(&code_lengths)?;
                    let mut lengths = vec![0u8; nlen + ndist];
                    let mut i = 0;
                    while i < nlen + ndist {
                        let symbol = decode(&mut bits, &codes)?;
                        let (value, repeat) = match symbol {
                            0..=15 => (symbol as u8, 1),
                            16 => (*lengths.get(i.checked_sub(1)?)?, 3 + bits.take(2)? as usize),
                            17 => (0, 3 + bits.take(3)? as usize),
                            _ => (0, 11 + bits.take(7)? as usize),
                        };
                        if i + repeat > nlen + ndist {
                            return None;
                        }
                        lengths[i..i + repeat].fill(value);
                        i += repeat;
                    }
                    (build(&lengths[..nlen])?, build(&lengths[nlen..])?)
                };
                loop {
                    if out.len() >= limit {
                        return Some(out);
                    }
                    let symbol = decode(&mut bits, &lencode)?;
                    match symbol {
                        0..=255 => out.push(symbol as u8),
                        256 => break,
                        _ => {
                            let s = usize::from(symbol - 257);
                            let len = usize::from(*LBASE.get(s)?) + bits.take(u32::from(LEXT[s]))? as usize;
                            let d = usize::from(decode(&mut bits, &distcode)?);
                            let dist = usize::from(*DBASE.get(d)?) + bits.take(u32::from(DEXT[d]))? as usize;
                            let from = out.len().checked_sub(dist)?;
                            for k in 0..len {
                                let b = out[from + k];
                                out.push(b);
                            }
                        }
                    }
                }
            }
            _ => return None,
        }
        if last || out.len() >= limit {
            out.truncate(limit);
            return Some(out);
        }
    }
}

/// Reads a CSV file (UTF-8 with or without BOM, else Shift_JIS) as one sheet named [`CSV_SHEET`].
/// Rows are records (a quoted cell may span lines), as Excel numbers them when it opens the file.
pub fn read_csv(bytes: &[u8], limits: &SheetLimits) -> Result<Workbook, CatalogImportError> {
    if bytes.len() > limits.max_bytes {
        return Err(CatalogImportError::TooLarge { limit: limits.max_bytes });
    }
    let text = register_import::decode_text(bytes).map_err(|_| CatalogImportError::NotText)?;
    let first_line = text.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut grid = SheetGrid { name: CSV_SHEET.to_string(), hidden: false, rows: Vec::new(), merges: Vec::new() };
    let mut budget = Budget::default();
    for (i, record) in reader.records().enumerate() {
        let row = i + 1;
        let record =
            record.map_err(|e| CatalogImportError::SheetSyntax { at: CellRef::row(CSV_SHEET, row), detail: short(&e.to_string()) })?;
        for (j, field) in record.iter().enumerate() {
            if !field.is_empty() {
                place(&mut grid, row, j + 1, field.to_string(), limits, &mut budget)?;
            }
        }
    }
    trim_grid(&mut grid);
    Ok(Workbook { sheets: vec![grid] })
}

// ---------------------------------------------------------------------------------------------
// Column mappings.

/// Which column holds which part of a catalog. Rows and columns count from 1 (column 1 is `A`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMapping {
    pub sheet: String,
    /// The row with the column names; the rows below it are read.
    pub header_row: usize,
    /// [`layout_fingerprint`] of the header row when the mapping was made, to find it again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<String>,
    /// The number of each requirement (No.), which becomes its ref.
    #[serde(rename = "ref", default, skip_serializing_if = "Option::is_none")]
    pub ref_column: Option<usize>,
    /// Group columns, outermost first (ラベル, then 要求事項).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupColumn>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<usize>,
    /// The statement that is answered (達成条件).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_target: Option<AnswerTargetColumn>,
    /// 達成基準, split at its 【…】 headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<AttributeColumn>,
}

/// A column of group names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupColumn {
    pub column: usize,
    /// A column with the group's own id, when the sheet has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_column: Option<usize>,
    /// The prefix of derived refs at this level; `L`, `R`, then `G` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The names start with the group's number (`1 方針`): it becomes the number and the ref.
    #[serde(default)]
    pub numbered: bool,
}

impl GroupColumn {
    pub fn new(column: usize) -> GroupColumn {
        GroupColumn { column, ref_column: None, prefix: None, numbered: false }
    }
}

/// The answer-target column and the values that mean mandatory and optional (compared without
/// case, width or spaces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerTargetColumn {
    pub column: usize,
    #[serde(default = "default_mandatory")]
    pub mandatory: Vec<String>,
    #[serde(default = "default_optional")]
    pub optional: Vec<String>,
}

impl AnswerTargetColumn {
    /// A column with the default values: 必須 / mandatory / required / M, 任意 / optional / O.
    pub fn new(column: usize) -> AnswerTargetColumn {
        AnswerTargetColumn { column, mandatory: default_mandatory(), optional: default_optional() }
    }

    fn parse(&self, value: &str) -> Option<AnswerTarget> {
        let v = norm(value);
        if self.mandatory.iter().any(|m| norm(m) == v) {
            Some(AnswerTarget::Mandatory)
        } else if self.optional.iter().any(|o| norm(o) == v) {
            Some(AnswerTarget::Optional)
        } else {
            None
        }
    }
}

fn default_mandatory() -> Vec<String> {
    ["必須", "mandatory", "required", "M"].map(String::from).to_vec()
}

fn default_optional() -> Vec<String> {
    ["任意", "optional", "O"].map(String::from).to_vec()
}

/// A column read into a requirement attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttributeColumn {
    pub column: usize,
    pub key: String,
    pub name: LocalText,
}

/// The parts of a catalog's header that a table does not hold: given by whoever imports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogHeader {
    pub key: String,
    pub edition: String,
    pub name: LocalText,
    /// `urn:mamori:catalog:<key>:<edition>` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urn: Option<String>,
    /// The language of the sheet's texts.
    #[serde(default)]
    pub language: Lang,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<LocalText>,
    /// Where the texts come from; the sheet and header row when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default = "internal")]
    pub classification: Confidentiality,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<LocalText>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_scale: Option<String>,
}

fn internal() -> Confidentiality {
    Confidentiality::Internal
}

impl CatalogHeader {
    /// A header in Japanese, classified 社外秘 (a customer's document until someone says
    /// otherwise).
    pub fn new(key: impl Into<String>, edition: impl Into<String>, name: LocalText) -> CatalogHeader {
        CatalogHeader {
            key: key.into(),
            edition: edition.into(),
            name,
            urn: None,
            language: Lang::Ja,
            publisher: None,
            source: None,
            classification: Confidentiality::Internal,
            description: None,
            answer_scale: None,
        }
    }

    fn urn(&self) -> String {
        self.urn.clone().unwrap_or_else(|| {
            let edition: String = self.edition.trim().chars().map(|c| if c.is_whitespace() { '-' } else { c }).collect();
            format!("urn:mamori:catalog:{}:{edition}", self.key)
        })
    }
}

/// A name for a layout: a hash of the header row's texts and their columns. Two files with the
/// same header row have the same fingerprint, whatever their data.
pub fn layout_fingerprint(sheet: &SheetGrid, header_row: usize) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let cells = header_row.checked_sub(1).and_then(|r| sheet.rows.get(r)).map(Vec::as_slice).unwrap_or_default();
    for (j, cell) in cells.iter().enumerate() {
        let text = cell.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            continue;
        }
        for b in format!("{}\u{1f}{text}\u{1e}", j + 1).bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("v1-{hash:016x}")
}

/// The first saved mapping whose layout matches a sheet of the workbook (the sheet it names,
/// else any visible sheet), with the sheet name of this workbook.
pub fn find_mapping(workbook: &Workbook, saved: &[ColumnMapping]) -> Option<ColumnMapping> {
    for m in saved {
        let Some(fingerprint) = &m.layout else { continue };
        let named = workbook.sheet(&m.sheet).into_iter();
        let others = workbook.sheets.iter().filter(|s| !s.hidden && s.name != m.sheet);
        if let Some(sheet) = named.chain(others).find(|s| layout_fingerprint(s, m.header_row) == *fingerprint) {
            return Some(ColumnMapping { sheet: sheet.name.clone(), ..m.clone() });
        }
    }
    None
}

// ---------------------------------------------------------------------------------------------
// Recognising a layout.

/// What kind of workbook a file is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SheetLayout {
    /// Written by [`export_xlsx`]: read it with [`import_export_workbook`].
    MamoriExport,
    /// CISO Assistant's framework workbook: read it with [`import_ciso_xlsx`].
    CisoAssistant,
    /// A table with recognised headers: read it with [`import_table`].
    Table(Box<ColumnMapping>),
}

/// Recognises Mamori's own workbook, CISO Assistant's, or a table whose headers it knows.
pub fn detect_layout(workbook: &Workbook) -> Option<SheetLayout> {
    if is_export(workbook) {
        return Some(SheetLayout::MamoriExport);
    }
    if is_ciso(workbook) {
        return Some(SheetLayout::CisoAssistant);
    }
    workbook.sheets.iter().filter(|s| !s.hidden).find_map(guess_sheet).map(|m| SheetLayout::Table(Box::new(m)))
}

/// A mapping for the first visible sheet that has a recognisable header row in its first
/// [`HEADER_SEARCH_ROWS`] rows; `None` for Mamori's and CISO Assistant's workbooks (which have
/// importers of their own) and when no header is recognised.
pub fn guess_mapping(workbook: &Workbook) -> Option<ColumnMapping> {
    match detect_layout(workbook) {
        Some(SheetLayout::Table(m)) => Some(*m),
        _ => None,
    }
}

fn is_export(workbook: &Workbook) -> bool {
    workbook.sheet(EXPORT_INFO_SHEET).is_some()
        && workbook.sheet(EXPORT_SHEET).is_some_and(|s| {
            let keys: Vec<&str> = s.rows.first().into_iter().flatten().map(|c| header_key(c)).collect();
            keys.contains(&"ref") && keys.contains(&"kind")
        })
}

fn is_ciso(workbook: &Workbook) -> bool {
    workbook.sheet("library_meta").is_some()
        && workbook.sheets.iter().any(|s| {
            s.name.ends_with("_content") && {
                let header: Vec<String> = s.rows.first().into_iter().flatten().map(|c| c.trim().to_lowercase()).collect();
                header.iter().any(|h| h == "assessable") && header.iter().any(|h| h == "depth")
            }
        })
}

/// What a header says a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Ref,
    Group,
    /// 要求事項: a group level, the title or the text, depending on the other columns.
    Requirement,
    Text,
    Title,
    Criteria,
    AnswerTarget,
    Purpose,
}

/// A header or value compared without width, case or whitespace, and without a trailing `*`,
/// `※` or colon or surrounding brackets.
pub(crate) fn norm(text: &str) -> String {
    let folded: String = text.chars().map(fold_width).filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect();
    let t = folded.trim_end_matches(['*', '※', ':']);
    let t = t.strip_prefix(['【', '[']).and_then(|r| r.strip_suffix(['】', ']'])).unwrap_or(t);
    t.to_string()
}

/// Full-width ASCII to ASCII, the ideographic space to a space.
fn fold_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

pub(crate) fn role_of(header: &str) -> Option<Role> {
    let n = norm(header);
    if n.is_empty() {
        return None;
    }
    // "達成条件(確認内容)" → also try "達成条件".
    let bare = n.find('(').filter(|&i| i > 0 && n.ends_with(')')).map(|i| n[..i].to_string());
    for candidate in std::iter::once(n.as_str()).chain(bare.as_deref()) {
        let role = match candidate {
            "no" | "no." | "№" | "#" | "番号" | "項番" | "項目番号" | "管理番号" | "通し番号" | "id" | "ref" | "ref_id" | "refid"
            | "ref-id" => Role::Ref,
            "ラベル" | "分類" | "大分類" | "中分類" | "小分類" | "カテゴリ" | "カテゴリー" | "区分" | "領域" | "分野" | "章"
            | "category" | "group" | "label" | "domain" | "section" | "chapter" => Role::Group,
            "要求事項" | "要件" | "要求" | "requirement" | "requirements" => Role::Requirement,
            "達成条件" | "確認項目" | "チェック項目" | "点検項目" | "質問" | "質問事項" | "設問" | "内容" | "確認内容" | "チェック内容"
            | "本文" | "管理策" | "description" | "question" | "statement" | "text" | "condition" => Role::Text,
            "name" | "title" | "名称" | "項目名" | "見出し" | "タイトル" | "件名" => Role::Title,
            "達成基準" | "基準" | "判断基準" | "評価基準" | "判定基準" | "criteria" | "criterion" => Role::Criteria,
            "目的" | "purpose" | "objective" => Role::Purpose,
            "回答対象" | "mandatory" | "required" | "mandatory/optional" => Role::AnswerTarget,
            _ => continue,
        };
        return Some(role);
    }
    (n.contains("必須") || n.contains("任意") || n.contains("回答対象")).then_some(Role::AnswerTarget)
}

/// The header row of a sheet and the roles of its columns, if the sheet has a table.
fn find_header(sheet: &SheetGrid) -> Option<(usize, Vec<(usize, Role)>)> {
    let mut best: Option<(usize, Vec<(usize, Role)>)> = None;
    for i in 0..sheet.rows.len().min(HEADER_SEARCH_ROWS) {
        let roles = header_roles(sheet, i + 1);
        let distinct: HashSet<Role> = roles.iter().map(|(_, r)| *r).collect();
        let content = [Role::Text, Role::Title, Role::Requirement, Role::Criteria].iter().any(|r| distinct.contains(r));
        if distinct.len() < 2 || !content {
            continue;
        }
        if best.as_ref().is_none_or(|(_, b)| roles.len() > b.len()) {
            best = Some((i + 1, roles));
        }
    }
    best
}

/// Whether a column's values repeat down the rows below the header: a merged region over
/// several rows, or two consecutive rows with the same value.
fn repeats(sheet: &SheetGrid, column: usize, header_row: usize) -> bool {
    if sheet
        .merges
        .iter()
        .any(|m| m.first_column <= column && column <= m.last_column && m.first_row > header_row && m.last_row > m.first_row)
    {
        return true;
    }
    let values: Vec<&str> = (header_row + 1..=sheet.rows.len()).map(|r| sheet.cell(r, column).trim()).collect();
    values.windows(2).any(|w| !w[0].is_empty() && w[0] == w[1])
}

/// Whether every value of a group column starts with a number, the numbers all different.
pub(crate) fn numbered(sheet: &SheetGrid, column: usize, header_row: usize) -> bool {
    let mut names = HashSet::new();
    let mut numbers = HashSet::new();
    for r in header_row + 1..=sheet.rows.len() {
        let v = sheet.cell(r, column).trim();
        if v.is_empty() || !names.insert(v) {
            continue;
        }
        match split_number(v) {
            Some((number, _)) if numbers.insert(ascii_digits(&number)) => {}
            _ => return false,
        }
    }
    !names.is_empty()
}

/// `1 方針` → (`1`, `方針`); `4体制 (平時)` → (`4`, `体制 (平時)`); `1.2. 範囲` → (`1.2`, `範囲`).
/// Each part of the number has at most 3 digits, so that `2025年度` is not split.
fn split_number(text: &str) -> Option<(String, String)> {
    let t = text.trim();
    let is_digit = |c: char| c.is_ascii_digit() || ('０'..='９').contains(&c);
    if !t.chars().next().is_some_and(is_digit) {
        return None;
    }
    let end = t.char_indices().find(|&(_, c)| !(is_digit(c) || c == '.' || c == '．')).map_or(t.len(), |(i, _)| i);
    let number = t[..end].trim_end_matches(['.', '．']);
    if number.split(['.', '．']).any(|part| part.is_empty() || part.chars().count() > 3) {
        return None;
    }
    let rest = t[end..].trim_start_matches(|c: char| c.is_whitespace() || matches!(c, '.' | '．' | ')' | '）' | '、' | ':' | '：'));
    if rest.is_empty() || rest.starts_with(is_digit) {
        return None;
    }
    Some((number.to_string(), rest.to_string()))
}

fn ascii_digits(text: &str) -> String {
    text.chars().map(fold_width).map(|c| if c == '．' { '.' } else { c }).collect()
}

/// A key for a column read as an extra attribute: its English header as a slug, else its letter.
pub(crate) fn attribute_key(header: &str, column: usize, taken: &mut HashSet<String>) -> String {
    let base = Some(slug(header).replace('-', "_"))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| format!("column_{}", column_letters(column).to_lowercase()));
    let mut key = base.clone();
    let mut k = 1;
    while !taken.insert(key.clone()) {
        k += 1;
        key = format!("{base}_{k}");
    }
    key
}

pub(crate) fn guess_sheet(sheet: &SheetGrid) -> Option<ColumnMapping> {
    let (header_row, roles) = find_header(sheet)?;
    Some(mapping_at(sheet, header_row, &roles))
}

/// The roles its headers give the columns of one row (a header text repeated counts once).
fn header_roles(sheet: &SheetGrid, header_row: usize) -> Vec<(usize, Role)> {
    let cells = header_row.checked_sub(1).and_then(|r| sheet.rows.get(r)).map(Vec::as_slice).unwrap_or_default();
    let mut seen_texts = HashSet::new();
    cells.iter().enumerate().filter_map(|(j, c)| role_of(c).filter(|_| seen_texts.insert(norm(c))).map(|r| (j + 1, r))).collect()
}

/// A guessed mapping with the header in `header_row`, whatever that row holds: columns whose
/// header is not recognised are not read (the mapping step lets a person choose another row).
pub fn guess_at(sheet: &SheetGrid, header_row: usize) -> ColumnMapping {
    mapping_at(sheet, header_row, &header_roles(sheet, header_row))
}

/// A mapping from the roles the headers of `header_row` give its columns.
fn mapping_at(sheet: &SheetGrid, header_row: usize, roles: &[(usize, Role)]) -> ColumnMapping {
    let header = |c: usize| sheet.cell(header_row, c).trim().to_string();
    let first = |role: Role| roles.iter().find(|(_, r)| *r == role).map(|(c, _)| *c);
    let ref_column = first(Role::Ref);
    let mut text = first(Role::Text);
    let mut title = first(Role::Title);
    let criteria = first(Role::Criteria);
    let answer = first(Role::AnswerTarget);
    let mut group_columns: Vec<usize> = roles.iter().filter(|(_, r)| *r == Role::Group).map(|(c, _)| *c).collect();
    let mut extra: Vec<usize> = Vec::new();
    let has_text_column = text.is_some();
    for (c, _) in roles.iter().filter(|(_, r)| *r == Role::Requirement) {
        if !has_text_column {
            if text.is_none() { text = Some(*c) } else { extra.push(*c) }
        } else if repeats(sheet, *c, header_row) {
            group_columns.push(*c);
        } else if title.is_none() {
            title = Some(*c);
        } else {
            extra.push(*c);
        }
    }
    group_columns.sort_unstable();
    let mut keys: HashSet<String> = HashSet::new();
    let mut attributes = Vec::new();
    if let Some(c) = first(Role::Purpose) {
        keys.insert("purpose".to_string());
        attributes.push(AttributeColumn {
            column: c,
            key: "purpose".into(),
            name: LocalText { ja: Some("目的".into()), en: Some("Purpose".into()) },
        });
    }
    // Further columns of a role already taken are kept as attributes rather than dropped.
    let used: HashSet<usize> = [ref_column, text, title, criteria, answer]
        .into_iter()
        .flatten()
        .chain(group_columns.iter().copied())
        .chain(attributes.iter().map(|a| a.column))
        .collect();
    extra.extend(roles.iter().map(|(c, _)| *c).filter(|c| !used.contains(c)));
    extra.sort_unstable();
    extra.dedup();
    for c in extra {
        let h = header(c);
        attributes.push(AttributeColumn { column: c, key: attribute_key(&h, c, &mut keys), name: LocalText::ja(h) });
    }
    let groups =
        group_columns.into_iter().map(|c| GroupColumn { numbered: numbered(sheet, c, header_row), ..GroupColumn::new(c) }).collect();
    ColumnMapping {
        sheet: sheet.name.clone(),
        header_row,
        layout: Some(layout_fingerprint(sheet, header_row)),
        ref_column,
        groups,
        title,
        text,
        answer_target: answer.map(AnswerTargetColumn::new),
        criteria,
        attributes,
    }
}

// ---------------------------------------------------------------------------------------------
// A customer's table to a catalog.

fn default_prefix(level: usize) -> &'static str {
    match level {
        0 => "L",
        1 => "R",
        _ => "G",
    }
}

fn bad_mapping(field: &'static str, value: impl ToString) -> CatalogImportError {
    CatalogImportError::BadMapping { field, value: value.to_string().chars().take(200).collect() }
}

pub(crate) fn check_mapping(mapping: &ColumnMapping, sheet: &SheetGrid) -> Result<(), CatalogImportError> {
    if mapping.header_row == 0 || mapping.header_row > sheet.rows.len().max(1) {
        return Err(CatalogImportError::HeaderRowOutside { sheet: sheet.name.clone(), row: mapping.header_row, rows: sheet.rows.len() });
    }
    if mapping.ref_column.is_none() && mapping.text.is_none() && mapping.title.is_none() {
        return Err(CatalogImportError::NoRequirementColumn);
    }
    let columns = [("ref", mapping.ref_column), ("title", mapping.title), ("text", mapping.text), ("criteria", mapping.criteria)]
        .into_iter()
        .chain(std::iter::once(("answer_target", mapping.answer_target.as_ref().map(|a| a.column))))
        .chain(mapping.groups.iter().flat_map(|g| [("groups", Some(g.column)), ("groups", g.ref_column)]))
        .chain(mapping.attributes.iter().map(|a| ("attributes", Some(a.column))));
    for (field, column) in columns {
        if let Some(c) = column
            && (c == 0 || c > EXCEL_COLUMNS)
        {
            return Err(bad_mapping(field, c));
        }
    }
    for g in &mapping.groups {
        if let Some(p) = &g.prefix
            && (p.is_empty() || p.chars().count() > 16 || p.contains('.') || !valid_ref(p))
        {
            return Err(bad_mapping("groups.prefix", p));
        }
    }
    if let Some(a) = &mapping.answer_target
        && (a.mandatory.is_empty() || a.optional.is_empty())
    {
        return Err(bad_mapping("answer_target", "no values for mandatory or optional"));
    }
    let mut keys = HashSet::new();
    for a in &mapping.attributes {
        if !valid_ref(&a.key) || !keys.insert(a.key.as_str()) {
            return Err(bad_mapping("attributes.key", &a.key));
        }
        if a.name.is_empty() {
            return Err(bad_mapping("attributes.name", &a.key));
        }
    }
    Ok(())
}

fn local(text: &str, lang: Lang) -> LocalText {
    match lang {
        Lang::Ja => LocalText::ja(text),
        Lang::En => LocalText::en(text),
    }
}

/// A group node being made, keyed by the group texts of its level and the levels above.
struct GroupSlot {
    ref_id: String,
    title: String,
}

/// Reads the rows below a mapping's header row into a checked catalog (see the module
/// documentation for how rows become groups and requirements).
pub fn import_table(
    workbook: &Workbook,
    mapping: &ColumnMapping,
    header: CatalogHeader,
    limits: &CatalogImportLimits,
) -> Result<CatalogDef, CatalogImportError> {
    let sheet = workbook.sheet(&mapping.sheet).ok_or_else(|| CatalogImportError::SheetNotFound { sheet: mapping.sheet.clone() })?;
    check_mapping(mapping, sheet)?;
    let name = sheet.name.as_str();
    let lang = header.language;
    let at = |row: usize, column: usize| CellRef::cell(name, row, column);
    let header_cells = sheet.rows.get(mapping.header_row - 1).cloned().unwrap_or_default();

    // Rows whose text cell is a merged region's copy of a row above.
    let mut inherited = vec![false; sheet.rows.len() + 1];
    if let Some(t) = mapping.text {
        for m in sheet.merges.iter().filter(|m| m.first_column <= t && t <= m.last_column) {
            let end = m.last_row.min(sheet.rows.len());
            if m.first_row < end {
                inherited[m.first_row + 1..=end].iter_mut().for_each(|r| *r = true);
            }
        }
    }

    let mut nodes: Vec<NodeDef> = Vec::new();
    let mut locations: Vec<CellRef> = Vec::new();
    let mut row_of_ref: HashMap<String, usize> = HashMap::new();
    let mut groups: HashMap<Vec<Option<String>>, GroupSlot> = HashMap::new();
    let mut children: HashMap<Option<String>, usize> = HashMap::new();
    let mut current: Vec<Option<String>> = vec![None; mapping.groups.len()];
    let mut ordinal = 0;
    let push = |nodes: &mut Vec<NodeDef>, locations: &mut Vec<CellRef>, node: NodeDef, at: CellRef| -> Result<(), CatalogImportError> {
        if nodes.len() >= limits.max_nodes {
            return Err(CatalogImportError::SheetLimit { at, bound: SheetBound::Nodes, max: limits.max_nodes as u64 });
        }
        nodes.push(node);
        locations.push(at);
        Ok(())
    };

    for row in mapping.header_row + 1..=sheet.rows.len() {
        let cells = &sheet.rows[row - 1];
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        // A header row repeated (at each printed page of the source).
        if cells.iter().enumerate().all(|(j, c)| c.trim().is_empty() || header_cells.get(j).is_some_and(|h| h.trim() == c.trim())) {
            continue;
        }
        // Group texts: a blank cell continues the group above; a change resets the levels below.
        let mut changed = false;
        for (level, g) in mapping.groups.iter().enumerate() {
            let v = sheet.cell(row, g.column).trim();
            if changed {
                current[level] = (!v.is_empty()).then(|| v.to_string());
            } else if !v.is_empty() && current[level].as_deref() != Some(v) {
                current[level] = Some(v.to_string());
                changed = true;
            }
        }
        let cell = |column: Option<usize>| column.map_or("", |c| sheet.cell(row, c).trim());
        let (ref_cell, text_cell, title_cell) = (cell(mapping.ref_column), cell(mapping.text), cell(mapping.title));
        if ref_cell.is_empty() && text_cell.is_empty() && title_cell.is_empty() {
            continue;
        }

        // The groups of this row, made on first use.
        let mut parent: Option<String> = None;
        let mut innermost_title: Option<String> = None;
        for (level, g) in mapping.groups.iter().enumerate() {
            let Some(value) = current[level].clone() else { continue };
            let key: Vec<Option<String>> = current[..=level].to_vec();
            if let Some(slot) = groups.get(&key) {
                parent = Some(slot.ref_id.clone());
                innermost_title = Some(slot.title.clone());
                continue;
            }
            let (number, title) = match g.numbered.then(|| split_number(&value)).flatten() {
                Some((n, t)) => (Some(n), t),
                None => (None, value.clone()),
            };
            let count = children.entry(parent.clone()).or_default();
            *count += 1;
            let prefix = g.prefix.as_deref().unwrap_or(default_prefix(level));
            let scoped = |local: String| match &parent {
                Some(p) => format!("{p}.{local}"),
                None => local,
            };
            let given = g.ref_column.map(|c| sheet.cell(row, c).trim()).filter(|v| !v.is_empty());
            let ref_id = match given {
                Some(r) => {
                    if !valid_ref(r) {
                        return Err(CatalogImportError::BadCellRef {
                            at: at(row, g.ref_column.unwrap_or(g.column)),
                            id: r.chars().take(80).collect(),
                        });
                    }
                    r.to_string()
                }
                None => {
                    let from_number = number.as_ref().map(|n| scoped(format!("{prefix}{}", ascii_digits(n))));
                    let from_position = scoped(format!("{prefix}{count}"));
                    let candidate = from_number.filter(|r| !row_of_ref.contains_key(r) && valid_ref(r)).unwrap_or(from_position);
                    unique_ref(candidate, &row_of_ref)
                }
            };
            if let Some(&first_row) = row_of_ref.get(&ref_id) {
                return Err(CatalogImportError::DuplicateRow { at: at(row, g.ref_column.unwrap_or(g.column)), id: ref_id, first_row });
            }
            row_of_ref.insert(ref_id.clone(), row);
            let mut node = NodeDef::new(ref_id.clone(), NodeKind::Group, parent.clone());
            node.number = number;
            node.title = Some(local(&title, lang));
            push(&mut nodes, &mut locations, node, at(row, g.column))?;
            groups.insert(key, GroupSlot { ref_id: ref_id.clone(), title: title.clone() });
            parent = Some(ref_id);
            innermost_title = Some(title);
        }

        // The requirement.
        let ref_at = at(row, mapping.ref_column.or(mapping.text).or(mapping.title).unwrap_or(1));
        let (ref_id, provisional) = if !ref_cell.is_empty() {
            if !valid_ref(ref_cell) {
                return Err(CatalogImportError::BadCellRef { at: ref_at, id: ref_cell.chars().take(80).collect() });
            }
            (ref_cell.to_string(), false)
        } else if mapping.ref_column.is_some() {
            (unique_ref(format!("row{row}"), &row_of_ref), true)
        } else {
            ordinal += 1;
            (unique_ref(ordinal.to_string(), &row_of_ref), true)
        };
        if let Some(&first_row) = row_of_ref.get(&ref_id) {
            return Err(CatalogImportError::DuplicateRow { at: ref_at, id: ref_id, first_row });
        }
        row_of_ref.insert(ref_id.clone(), row);
        let mut node = NodeDef::new(ref_id, NodeKind::Requirement, parent);
        if !provisional {
            node.number = Some(ref_cell.to_string());
        }
        if !title_cell.is_empty() {
            node.title = Some(local(title_cell, lang));
        }
        if !text_cell.is_empty() {
            node.text = Some(local(text_cell, lang));
            if inherited.get(row).copied().unwrap_or(false) {
                node.flags.push(NodeFlag::TextInherited);
            }
        } else if mapping.text.is_some() {
            // Seed 004 No. 72: no condition in the source. Nothing is invented; the innermost
            // group (the 要求事項) names the row.
            node.flags.push(NodeFlag::NoConditionInSource);
            if node.title.is_none() {
                node.title = innermost_title.map(|t| local(&t, lang));
            }
        }
        if provisional {
            node.flags.push(NodeFlag::ProvisionalNumbering);
        }
        if let Some(a) = &mapping.answer_target {
            let v = sheet.cell(row, a.column).trim();
            if !v.is_empty() {
                node.answer_target = Some(a.parse(v).ok_or_else(|| CatalogImportError::UnknownAnswerTarget {
                    at: at(row, a.column),
                    value: v.chars().take(80).collect(),
                    mandatory: a.mandatory.clone().into(),
                    optional: a.optional.clone().into(),
                })?);
            }
        }
        for a in &mapping.attributes {
            let v = sheet.cell(row, a.column).trim();
            if !v.is_empty() {
                node.fields.insert(a.key.clone(), v.to_string());
            }
        }
        if let Some(c) = mapping.criteria {
            node.criteria = split_criteria(sheet.cell(row, c));
        }
        push(&mut nodes, &mut locations, node, ref_at)?;
    }

    if !nodes.iter().any(|n| n.kind == NodeKind::Requirement) {
        return Err(CatalogImportError::MissingCell { at: CellRef::row(name, mapping.header_row + 1), field: "requirement rows" });
    }
    let urn = header.urn();
    let source = header.source.clone().or_else(|| Some(format!("sheet \"{name}\", header row {}", mapping.header_row)));
    let def = CatalogDef {
        key: header.key,
        edition: header.edition,
        urn,
        name: header.name,
        publisher: header.publisher,
        language: lang,
        source,
        classification: header.classification,
        description: header.description,
        fields: mapping.attributes.iter().map(|a| AttributeDef { key: a.key.clone(), name: a.name.clone() }).collect(),
        answer_scale: header.answer_scale,
        nodes,
    };
    check_located(def, &locations, limits)
}

/// `candidate`, or `candidate~2`, `candidate~3`, … when it is taken.
fn unique_ref(candidate: String, taken: &HashMap<String, usize>) -> String {
    if !taken.contains_key(&candidate) {
        return candidate;
    }
    (2..).map(|k| format!("{candidate}~{k}")).find(|r| !taken.contains_key(r)).unwrap_or(candidate)
}

/// Runs `Catalog::check`, naming the cell of the node an error concerns.
fn check_located(def: CatalogDef, locations: &[CellRef], limits: &CatalogImportLimits) -> Result<CatalogDef, CatalogImportError> {
    let refs: Vec<String> = def.nodes.iter().map(|n| n.ref_id.clone()).collect();
    match Catalog::check(def, &limits.catalog_limits()) {
        Ok(catalog) => Ok(catalog.into_def()),
        Err(source) => {
            let at = crate::catalog_error::error_position(&source, &refs).and_then(|i| locations.get(i)).cloned();
            Err(CatalogImportError::SheetCatalog { at: at.unwrap_or_default(), source })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Criteria.

/// Splits a 達成基準 at its 【…】 headers: text before the first header is a criterion with an
/// empty header; each header keeps the text up to the next one. Texts are kept as written, with
/// the whitespace around them removed. A text with no header is one criterion; an empty text
/// none.
pub fn split_criteria(text: &str) -> Vec<Criterion> {
    let headers = criterion_headers(text);
    let mut out = Vec::new();
    let first = headers.first().map_or(text.len(), |h| h.0);
    let preamble = text[..first].trim();
    if !preamble.is_empty() {
        out.push(Criterion { header: String::new(), text: preamble.to_string() });
    }
    for (i, &(start, end)) in headers.iter().enumerate() {
        let next = headers.get(i + 1).map_or(text.len(), |h| h.0);
        out.push(Criterion { header: text[start..end].to_string(), text: text[end..next].trim().to_string() });
    }
    out
}

/// Byte ranges of the `【…】` headers of a text: 1-64 characters between the brackets, on one line.
fn criterion_headers(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(rel) = text[i..].find('【') {
        let start = i + rel;
        let inner = start + '【'.len_utf8();
        match text[inner..].find(['】', '【', '\n']) {
            Some(len) if len > 0 && text[inner + len..].starts_with('】') && text[inner..inner + len].chars().count() <= 64 => {
                let end = inner + len + '】'.len_utf8();
                out.push((start, end));
                i = end;
            }
            _ => i = inner,
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Mamori's workbook: export.

/// A column of the export: its key (the header's last line) and its Japanese name.
struct ExportColumn {
    key: String,
    ja: String,
}

const FIXED_BEFORE: [(&str, &str); 9] = [
    ("ref", "ID"),
    ("parent", "親 ID"),
    ("kind", "種別"),
    ("number", "番号"),
    ("title (ja)", "名称（日本語）"),
    ("title (en)", "名称（英語）"),
    ("text (ja)", "本文（日本語）"),
    ("text (en)", "本文（英語）"),
    ("answer_target", "回答対象"),
];

const FIXED_AFTER: [(&str, &str); 6] = [
    ("criteria", "達成基準（【】ごと）"),
    ("flags", "フラグ"),
    ("frequencies", "頻度"),
    ("cites", "引用"),
    ("notes (ja)", "注記（日本語）"),
    ("notes (en)", "注記（英語）"),
];

const FIELD_PREFIX: &str = "field:";

fn export_columns(def: &CatalogDef) -> Vec<ExportColumn> {
    let fixed = |list: &[(&str, &str)]| {
        list.iter().map(|(k, ja)| ExportColumn { key: (*k).to_string(), ja: (*ja).to_string() }).collect::<Vec<_>>()
    };
    let mut out = fixed(&FIXED_BEFORE);
    out.extend(def.fields.iter().map(|f| ExportColumn { key: format!("{FIELD_PREFIX}{}", f.key), ja: f.name.get(Lang::Ja).to_string() }));
    out.extend(fixed(&FIXED_AFTER));
    out
}

/// The key of an export header cell: its last line.
fn header_key(cell: &str) -> &str {
    cell.lines().last().unwrap_or_default().trim()
}

fn side(text: &Option<LocalText>, lang: Lang) -> String {
    text.as_ref()
        .and_then(|t| match lang {
            Lang::Ja => t.ja.clone(),
            Lang::En => t.en.clone(),
        })
        .unwrap_or_default()
}

fn code<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

fn kind_text(kind: NodeKind, lang: Lang) -> &'static str {
    match (kind, lang) {
        (NodeKind::Group, Lang::Ja) => "グループ",
        (NodeKind::Requirement, Lang::Ja) => "要求事項",
        (NodeKind::Group, Lang::En) => "group",
        (NodeKind::Requirement, Lang::En) => "requirement",
    }
}

fn answer_text(target: AnswerTarget, lang: Lang) -> &'static str {
    match (target, lang) {
        (AnswerTarget::Mandatory, Lang::Ja) => "必須",
        (AnswerTarget::Optional, Lang::Ja) => "任意",
        (AnswerTarget::Mandatory, Lang::En) => "mandatory",
        (AnswerTarget::Optional, Lang::En) => "optional",
    }
}

/// One item a line, or a JSON array when that would not read back the same.
fn encode_list(items: &[String]) -> String {
    let joined = items.join("\n");
    if decode_list(&joined) == items { joined } else { serde_json::to_string(items).unwrap_or_default() }
}

fn decode_list(cell: &str) -> Vec<String> {
    if cell.trim_start().starts_with('[')
        && let Ok(items) = serde_json::from_str::<Vec<String>>(cell)
    {
        return items;
    }
    cell.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

/// One criterion a line (`【header】 text`), or a JSON array when that would not read back the same.
fn encode_criteria(criteria: &[Criterion]) -> String {
    let joined = criteria
        .iter()
        .map(|c| match (c.header.is_empty(), c.text.is_empty()) {
            (true, _) => c.text.clone(),
            (false, true) => c.header.clone(),
            (false, false) => format!("{} {}", c.header, c.text),
        })
        .collect::<Vec<_>>()
        .join("\n");
    if decode_criteria(&joined) == criteria { joined } else { serde_json::to_string(criteria).unwrap_or_default() }
}

fn decode_criteria(cell: &str) -> Vec<Criterion> {
    if cell.trim_start().starts_with('[')
        && let Ok(items) = serde_json::from_str::<Vec<Criterion>>(cell)
    {
        return items;
    }
    split_criteria(cell)
}

fn node_cells(n: &NodeDef, def: &CatalogDef, lang: Lang) -> Vec<String> {
    let mut cells = vec![
        n.ref_id.clone(),
        n.parent.clone().unwrap_or_default(),
        kind_text(n.kind, lang).to_string(),
        n.number.clone().unwrap_or_default(),
        side(&n.title, Lang::Ja),
        side(&n.title, Lang::En),
        side(&n.text, Lang::Ja),
        side(&n.text, Lang::En),
        n.answer_target.map(|a| answer_text(a, lang).to_string()).unwrap_or_default(),
    ];
    cells.extend(def.fields.iter().map(|f| n.fields.get(&f.key).cloned().unwrap_or_default()));
    cells.push(encode_criteria(&n.criteria));
    cells.push(encode_list(&n.flags.iter().map(code).collect::<Vec<_>>()));
    cells.push(encode_list(&n.frequencies.iter().map(code).collect::<Vec<_>>()));
    cells.push(encode_list(&n.cites));
    cells.push(side(&n.notes, Lang::Ja));
    cells.push(side(&n.notes, Lang::En));
    cells
}

fn info_rows(def: &CatalogDef) -> Vec<[String; 4]> {
    let one = |key: &str, value: &str, note: &str| [key.to_string(), value.to_string(), String::new(), note.to_string()];
    let two = |key: &str, t: &LocalText, note: &str| {
        [key.to_string(), t.ja.clone().unwrap_or_default(), t.en.clone().unwrap_or_default(), note.to_string()]
    };
    let mut rows = vec![
        one("key", &def.key, "カタログの種類を表すキー（英小文字・数字・-・_）"),
        one("edition", &def.edition, "版"),
        one("urn", &def.urn, "カタログの URN"),
        two("name", &def.name, "カタログ名"),
    ];
    if let Some(p) = &def.publisher {
        rows.push(two("publisher", p, "発行者"));
    }
    rows.push(one("language", &code(&def.language), "原文の言語（ja / en）"));
    if let Some(s) = &def.source {
        rows.push(one("source", s, "出典"));
    }
    rows.push(one("classification", &code(&def.classification), "機密区分（1 公開 / 2 社外秘 / 3 極秘）"));
    if let Some(d) = &def.description {
        rows.push(two("description", d, "説明"));
    }
    if let Some(a) = &def.answer_scale {
        rows.push(one("answer_scale", a, "既定の回答尺度"));
    }
    for f in &def.fields {
        rows.push(two(&format!("{FIELD_PREFIX}{}", f.key), &f.name, "属性（列）の名前"));
    }
    rows
}

/// Writes a catalog as Mamori's workbook (see the module documentation), which
/// [`import_export_xlsx`] reads back to the same definition. `lang` is the language of the
/// kind and answer-target values; header cells give the Japanese name, then the key.
pub fn export_xlsx(def: &CatalogDef, lang: Lang) -> Result<Vec<u8>, CatalogImportError> {
    Catalog::check(def.clone(), &export_limits())
        .map_err(|source| CatalogImportError::Catalog { location: Location::default(), source })?;
    let columns = export_columns(def);
    if def.nodes.len() >= 1_048_576 || columns.len() > EXCEL_COLUMNS {
        return Err(CatalogImportError::Write(format!(
            "{} nodes and {} columns do not fit in an Excel sheet",
            def.nodes.len(),
            columns.len()
        )));
    }
    let write_err = |e: rust_xlsxwriter::XlsxError| CatalogImportError::Write(e.to_string());
    let too_long = |ref_id: &str, column: &str| CatalogImportError::CellTooLongForExcel {
        ref_id: ref_id.chars().take(80).collect(),
        column: column.to_string(),
        max: EXCEL_CELL_CHARS,
    };
    let bold = rust_xlsxwriter::Format::new().set_bold().set_text_wrap().set_align(rust_xlsxwriter::FormatAlign::Top);
    let wrap = rust_xlsxwriter::Format::new().set_text_wrap().set_align(rust_xlsxwriter::FormatAlign::Top);
    let mut book = rust_xlsxwriter::Workbook::new();

    let sheet = book.add_worksheet();
    sheet.set_name(EXPORT_SHEET).map_err(write_err)?;
    for (j, c) in columns.iter().enumerate() {
        let col = j as u16;
        sheet.write_string_with_format(0, col, format!("{}\n{}", c.ja, c.key), &bold).map_err(write_err)?;
        let width = match c.key.as_str() {
            "ref" | "parent" | "kind" | "number" | "answer_target" => 12.0,
            "flags" | "frequencies" | "cites" => 20.0,
            _ => 40.0,
        };
        sheet.set_column_width(col, width).map_err(write_err)?;
    }
    for (i, n) in def.nodes.iter().enumerate() {
        let row = (i + 1) as u32;
        for (j, value) in node_cells(n, def, lang).into_iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            if value.encode_utf16().count() > EXCEL_CELL_CHARS {
                return Err(too_long(&n.ref_id, columns.get(j).map_or("", |c| c.key.as_str())));
            }
            sheet.write_string_with_format(row, j as u16, value, &wrap).map_err(write_err)?;
        }
    }
    sheet.set_freeze_panes(1, 1).map_err(write_err)?;
    sheet.autofilter(0, 0, def.nodes.len() as u32, (columns.len() - 1) as u16).map_err(write_err)?;

    let info = book.add_worksheet();
    info.set_name(EXPORT_INFO_SHEET).map_err(write_err)?;
    for (j, h) in ["項目\nkey", "値・日本語\nvalue (ja)", "英語\nvalue (en)", "説明\nnote"].iter().enumerate() {
        info.write_string_with_format(0, j as u16, *h, &bold).map_err(write_err)?;
        info.set_column_width(j as u16, if j == 0 { 18.0 } else { 50.0 }).map_err(write_err)?;
    }
    for (i, cells) in info_rows(def).into_iter().enumerate() {
        for (j, value) in cells.into_iter().enumerate() {
            if value.is_empty() {
                continue;
            }
            if value.encode_utf16().count() > EXCEL_CELL_CHARS {
                return Err(too_long(&def.key, "catalog_info"));
            }
            info.write_string_with_format((i + 1) as u32, j as u16, value, &wrap).map_err(write_err)?;
        }
    }
    book.save_to_buffer().map_err(write_err)
}

// ---------------------------------------------------------------------------------------------
// Mamori's workbook: import.

/// Reads a workbook written by [`export_xlsx`] back into a checked catalog definition.
pub fn import_export_xlsx(bytes: &[u8], limits: &CatalogImportLimits) -> Result<CatalogDef, CatalogImportError> {
    let workbook = read_xlsx(bytes, &SheetLimits::from(limits))?;
    import_export_workbook(&workbook, limits)
}

fn text_pair(ja: &str, en: &str) -> Option<LocalText> {
    let t = LocalText { ja: (!ja.is_empty()).then(|| ja.to_string()), en: (!en.is_empty()).then(|| en.to_string()) };
    (!t.is_empty()).then_some(t)
}

fn parse_code<T: serde::de::DeserializeOwned>(value: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(value.to_string())).ok()
}

/// Reads the sheets `catalog` and `catalog_info` of a workbook written by [`export_xlsx`].
pub fn import_export_workbook(workbook: &Workbook, limits: &CatalogImportLimits) -> Result<CatalogDef, CatalogImportError> {
    let missing = |name: &str| CatalogImportError::SheetNotFound { sheet: name.to_string() };
    let info = workbook.sheet(EXPORT_INFO_SHEET).ok_or_else(|| missing(EXPORT_INFO_SHEET))?;
    let sheet = workbook.sheet(EXPORT_SHEET).ok_or_else(|| missing(EXPORT_SHEET))?;

    // The header and the attribute declarations.
    let mut values: HashMap<String, (String, String, usize)> = HashMap::new();
    let mut fields: Vec<AttributeDef> = Vec::new();
    for (i, cells) in info.rows.iter().enumerate().skip(1) {
        let get = |j: usize| cells.get(j).cloned().unwrap_or_default();
        let key = get(0).trim().to_string();
        if key.is_empty() {
            continue;
        }
        if let Some(field) = key.strip_prefix(FIELD_PREFIX) {
            let name = text_pair(&get(1), &get(2)).unwrap_or_else(|| LocalText::en(field));
            fields.push(AttributeDef { key: field.to_string(), name });
        } else {
            values.insert(key, (get(1), get(2), i + 1));
        }
    }
    let info_at =
        |key: &str| values.get(key).map_or_else(|| CellRef::sheet(EXPORT_INFO_SHEET), |v| CellRef::cell(EXPORT_INFO_SHEET, v.2, 2));
    let single = |key: &'static str| -> Result<String, CatalogImportError> {
        values
            .get(key)
            .map(|v| v.0.clone())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| CatalogImportError::MissingCell { at: CellRef::sheet(EXPORT_INFO_SHEET), field: key })
    };
    let pair = |key: &str| values.get(key).map(|v| text_pair(&v.0, &v.1).unwrap_or_default());
    let language = match values.get("language").map(|v| v.0.as_str()).filter(|v| !v.is_empty()) {
        None => Lang::default(),
        Some(v) => parse_code(v).ok_or_else(|| CatalogImportError::UnknownValue {
            at: info_at("language"),
            what: "language",
            value: v.to_string(),
        })?,
    };
    let classification = match values.get("classification").map(|v| v.0.trim()).filter(|v| !v.is_empty()) {
        None => Confidentiality::Public,
        Some(v) => v.parse::<i64>().ok().and_then(|n| serde_json::from_value(serde_json::Value::from(n)).ok()).ok_or_else(|| {
            CatalogImportError::UnknownValue { at: info_at("classification"), what: "classification", value: v.to_string() }
        })?,
    };
    let name = pair("name").filter(|n| !n.is_empty()).ok_or(CatalogImportError::MissingCell { at: info_at("name"), field: "name" })?;

    // The columns, by the key on the last line of each header cell.
    let header: Vec<&str> = sheet.rows.first().map(|r| r.iter().map(|c| header_key(c)).collect()).unwrap_or_default();
    let column = |key: &str| header.iter().position(|h| *h == key).map(|j| j + 1);
    let ref_column = column("ref").ok_or(CatalogImportError::MissingCell { at: CellRef::row(EXPORT_SHEET, 1), field: "ref" })?;
    let kind_column = column("kind").ok_or(CatalogImportError::MissingCell { at: CellRef::row(EXPORT_SHEET, 1), field: "kind" })?;
    for (j, h) in header.iter().enumerate() {
        if let Some(field) = h.strip_prefix(FIELD_PREFIX)
            && !fields.iter().any(|f| f.key == field)
        {
            let first_line = sheet.cell(1, j + 1).lines().next().unwrap_or(field).trim().to_string();
            fields.push(AttributeDef { key: field.to_string(), name: LocalText::ja(first_line) });
        }
    }
    let field_columns: Vec<(String, usize)> =
        fields.iter().filter_map(|f| column(&format!("{FIELD_PREFIX}{}", f.key)).map(|c| (f.key.clone(), c))).collect();
    let answer = AnswerTargetColumn::new(column("answer_target").unwrap_or(0));

    let mut nodes = Vec::new();
    let mut locations = Vec::new();
    for row in 2..=sheet.rows.len() {
        if sheet.rows[row - 1].iter().all(String::is_empty) {
            continue;
        }
        let get = |key: &str| column(key).map_or("", |c| sheet.cell(row, c));
        let at = |c: usize| CellRef::cell(EXPORT_SHEET, row, c);
        let ref_id = sheet.cell(row, ref_column);
        if ref_id.is_empty() {
            return Err(CatalogImportError::MissingCell { at: at(ref_column), field: "ref" });
        }
        if nodes.len() >= limits.max_nodes {
            return Err(CatalogImportError::SheetLimit { at: at(ref_column), bound: SheetBound::Nodes, max: limits.max_nodes as u64 });
        }
        let kind_cell = sheet.cell(row, kind_column);
        let kind = match norm(kind_cell).as_str() {
            "group" | "グループ" => NodeKind::Group,
            "requirement" | "要求事項" => NodeKind::Requirement,
            _ => {
                return Err(CatalogImportError::UnknownValue {
                    at: at(kind_column),
                    what: "kind",
                    value: kind_cell.chars().take(80).collect(),
                });
            }
        };
        let parent = get("parent");
        let mut node = NodeDef::new(ref_id, kind, (!parent.is_empty()).then(|| parent.to_string()));
        node.number = Some(get("number").to_string()).filter(|n| !n.is_empty());
        node.title = text_pair(get("title (ja)"), get("title (en)"));
        node.text = text_pair(get("text (ja)"), get("text (en)"));
        node.notes = text_pair(get("notes (ja)"), get("notes (en)"));
        let target = get("answer_target");
        if !target.is_empty() {
            node.answer_target = Some(answer.parse(target).ok_or_else(|| CatalogImportError::UnknownAnswerTarget {
                at: at(answer.column),
                value: target.chars().take(80).collect(),
                mandatory: answer.mandatory.clone().into(),
                optional: answer.optional.clone().into(),
            })?);
        }
        for (key, c) in &field_columns {
            let v = sheet.cell(row, *c);
            if !v.is_empty() {
                node.fields.insert(key.clone(), v.to_string());
            }
        }
        node.criteria = decode_criteria(get("criteria"));
        for (key, what) in [("flags", "flag"), ("frequencies", "frequency")] {
            for item in decode_list(get(key)) {
                let bad =
                    || CatalogImportError::UnknownValue { at: at(column(key).unwrap_or(0)), what, value: item.chars().take(80).collect() };
                if key == "flags" {
                    node.flags.push(parse_code::<NodeFlag>(&item).ok_or_else(bad)?);
                } else {
                    node.frequencies.push(parse_code::<Frequency>(&item).ok_or_else(bad)?);
                }
            }
        }
        node.cites = decode_list(get("cites"));
        nodes.push(node);
        locations.push(at(ref_column));
    }
    let def = CatalogDef {
        key: single("key")?,
        edition: single("edition")?,
        urn: single("urn")?,
        name,
        publisher: pair("publisher"),
        language,
        source: values.get("source").map(|v| v.0.clone()),
        classification,
        description: pair("description"),
        fields,
        answer_scale: values.get("answer_scale").map(|v| v.0.clone()),
        nodes,
    };
    check_located(def, &locations, limits)
}

// ---------------------------------------------------------------------------------------------
// CISO Assistant's framework workbook.

#[derive(Debug, Default, Serialize)]
struct TranslationIn {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
}

#[derive(Debug, Serialize)]
struct LibraryIn {
    urn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ref_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    translations: BTreeMap<String, TranslationIn>,
    objects: ObjectsIn,
}

#[derive(Debug, Serialize)]
struct ObjectsIn {
    framework: FrameworkIn,
}

#[derive(Debug, Serialize)]
struct FrameworkIn {
    urn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ref_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    requirement_nodes: Vec<NodeIn>,
}

#[derive(Debug, Serialize)]
struct NodeIn {
    urn: String,
    assessable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent_urn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ref_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    annotation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    typical_evidence: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    translations: BTreeMap<String, TranslationIn>,
}

/// A `*_meta` sheet: lowercased keys of column A, trimmed values of column B.
fn key_values(sheet: &SheetGrid) -> HashMap<String, String> {
    sheet
        .rows
        .iter()
        .filter_map(|r| {
            let key = r.first()?.trim().to_lowercase();
            let value = r.get(1).map(|v| v.trim().to_string()).unwrap_or_default();
            (!key.is_empty() && !value.is_empty()).then_some((key, value))
        })
        .collect()
}

/// `name[fr]` and `description[fr]` keys as translations.
fn translations_of<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> BTreeMap<String, TranslationIn> {
    let mut out: BTreeMap<String, TranslationIn> = BTreeMap::new();
    for (key, value) in pairs {
        let Some((base, rest)) = key.split_once('[') else { continue };
        let Some(lang) = rest.strip_suffix(']').filter(|l| !l.is_empty()) else { continue };
        if value.is_empty() {
            continue;
        }
        let t = out.entry(lang.to_string()).or_default();
        match base {
            "name" => t.name = Some(value.to_string()),
            "description" => t.description = Some(value.to_string()),
            _ => {}
        }
    }
    out.retain(|_, t| t.name.is_some() || t.description.is_some());
    out
}

/// CISO Assistant's URN cleaning (`clean_urn_suffix`): accents folded (Latin-1), other
/// non-ASCII dropped, lowercase, spaces to `-`, anything outside `[a-z0-9_\-.\[\]():]` to `_`.
fn clean_urn(value: &str) -> String {
    let mut out = String::new();
    for c in value.chars().map(fold_width) {
        let Some(c) = fold_accent(c) else { continue };
        let c = if c == ' ' { '-' } else { c.to_ascii_lowercase() };
        out.push(if c.is_ascii_lowercase() || c.is_ascii_digit() || "_-.[]():".contains(c) { c } else { '_' });
    }
    out
}

fn fold_accent(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c);
    }
    let base = match c {
        'à'..='å' => 'a',
        'À'..='Å' => 'A',
        'ç' => 'c',
        'Ç' => 'C',
        'è'..='ë' => 'e',
        'È'..='Ë' => 'E',
        'ì'..='ï' => 'i',
        'Ì'..='Ï' => 'I',
        'ñ' => 'n',
        'Ñ' => 'N',
        'ò'..='ö' => 'o',
        'Ò'..='Ö' => 'O',
        'ù'..='ü' => 'u',
        'Ù'..='Ü' => 'U',
        'ý' | 'ÿ' => 'y',
        'Ý' => 'Y',
        _ => return None,
    };
    Some(base)
}

/// Reads CISO Assistant's framework workbook (its xlsx source format) into a checked catalog, with
/// the same conversion as its YAML library (see the module documentation).
pub fn import_ciso_xlsx(workbook: &Workbook, limits: &CatalogImportLimits) -> Result<CisoImport, CatalogImportError> {
    let not_framework = CatalogImportError::NotAFramework { expected: "framework" };
    let library_sheet = workbook.sheet("library_meta").ok_or(not_framework.clone())?;
    let library = key_values(library_sheet);
    let (meta, content) = workbook
        .sheets
        .iter()
        .filter_map(|s| s.name.strip_suffix("_meta").filter(|p| *p != "library").map(|p| (s, p)))
        .find_map(|(s, prefix)| {
            let kv = key_values(s);
            (kv.get("type").map(String::as_str) == Some("framework")).then_some(kv).zip(workbook.sheet(&format!("{prefix}_content")))
        })
        .ok_or(not_framework)?;
    let sheet_name = content.name.as_str();
    let library_urn = library
        .get("urn")
        .map(|u| clean_urn(u))
        .ok_or(CatalogImportError::MissingCell { at: CellRef::sheet("library_meta"), field: "urn" })?;
    let framework_urn = meta
        .get("urn")
        .cloned()
        .ok_or(CatalogImportError::MissingCell { at: CellRef::sheet(format!("{sheet_name} (meta)")), field: "urn" })?;
    let base_urn = meta.get("base_urn").cloned().unwrap_or_else(|| framework_urn.replacen(":framework:", ":req_node:", 1));

    let header: Vec<String> = content.rows.first().map(|r| r.iter().map(|h| h.trim().to_lowercase()).collect()).unwrap_or_default();
    let column = |key: &str| header.iter().position(|h| h == key).map(|j| j + 1);
    let depth_column = column("depth").ok_or(CatalogImportError::MissingCell { at: CellRef::row(sheet_name, 1), field: "depth" })?;
    let mut nodes: Vec<NodeIn> = Vec::new();
    let mut rows: Vec<usize> = Vec::new();
    let mut importance: Vec<String> = Vec::new();
    let mut parent_for_depth: HashMap<usize, Option<String>> = HashMap::new();
    let mut count_for_depth: HashMap<usize, usize> = HashMap::new();
    let mut first_row_of: HashMap<String, usize> = HashMap::new();
    let (mut previous_urn, mut previous_depth): (Option<String>, usize) = (None, 0);
    for row in 2..=content.rows.len() {
        if content.rows[row - 1].iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |key: &str| column(key).map(|c| content.cell(row, c).trim()).filter(|v| !v.is_empty()).map(str::to_string);
        if nodes.len() >= limits.max_nodes {
            return Err(CatalogImportError::SheetLimit {
                at: CellRef::row(sheet_name, row),
                bound: SheetBound::Nodes,
                max: limits.max_nodes as u64,
            });
        }
        let depth_cell = content.cell(row, depth_column).trim();
        let depth = if depth_cell.is_empty() {
            1
        } else {
            depth_cell.parse::<usize>().ok().filter(|d| *d >= 1).ok_or_else(|| CatalogImportError::UnknownValue {
                at: CellRef::cell(sheet_name, row, depth_column),
                what: "depth",
                value: depth_cell.chars().take(20).collect(),
            })?
        };
        if depth == previous_depth + 1 {
            parent_for_depth.insert(depth, previous_urn.clone());
            count_for_depth.insert(depth, 1);
        } else if depth > previous_depth {
            return Err(CatalogImportError::DepthJump {
                at: CellRef::cell(sheet_name, row, depth_column),
                previous: previous_depth,
                depth,
            });
        }
        let ref_id = get("ref_id");
        let name = get("name");
        let urn = if let Some(u) = get("urn_id") {
            format!("{base_urn}:{u}")
        } else if let Some(r) = &ref_id {
            format!("{base_urn}:{}", clean_urn(r))
        } else {
            let c = count_for_depth.get(&depth).copied().unwrap_or(1);
            let urn = match (parent_for_depth.get(&depth).cloned().flatten(), &name) {
                (Some(p), _) => format!("{p}:{c}"),
                (None, Some(n)) => format!("{base_urn}:{}", clean_urn(n)),
                (None, None) => format!("{base_urn}:node{c}"),
            };
            count_for_depth.insert(depth, c + 1);
            urn
        };
        if let Some(&first_row) = first_row_of.get(&urn) {
            return Err(CatalogImportError::DuplicateRow {
                at: CellRef::cell(sheet_name, row, column("ref_id").unwrap_or(depth_column)),
                id: urn,
                first_row,
            });
        }
        first_row_of.insert(urn.clone(), row);
        let pairs: Vec<(&str, &str)> = header.iter().enumerate().map(|(j, h)| (h.as_str(), content.cell(row, j + 1).trim())).collect();
        nodes.push(NodeIn {
            urn: urn.clone(),
            assessable: get("assessable").is_some(),
            parent_urn: parent_for_depth.get(&depth).cloned().flatten(),
            ref_id,
            name,
            description: get("description"),
            annotation: get("annotation"),
            typical_evidence: get("typical_evidence"),
            translations: translations_of(pairs.into_iter()),
        });
        rows.push(row);
        importance.push(get("importance").unwrap_or_default().to_lowercase());
        previous_urn = Some(urn);
        previous_depth = depth;
    }
    let library_in = LibraryIn {
        urn: library_urn,
        locale: library.get("locale").cloned(),
        ref_id: library.get("ref_id").cloned(),
        name: library.get("name").cloned(),
        description: library.get("description").cloned(),
        provider: library.get("provider").cloned(),
        version: library.get("version").cloned(),
        translations: translations_of(library.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
        objects: ObjectsIn {
            framework: FrameworkIn {
                urn: framework_urn,
                ref_id: meta.get("ref_id").cloned(),
                name: meta.get("name").cloned(),
                requirement_nodes: nodes,
            },
        },
    };
    let yaml = serde_saphyr::to_string(&library_in).map_err(|e| CatalogImportError::Write(e.to_string()))?;
    let unbounded = CatalogImportLimits { max_bytes: usize::MAX, ..*limits };
    let mut import = ciso_assistant::import_library(yaml.as_bytes(), &unbounded).map_err(|e| relocate(e, sheet_name, &rows))?;
    for (node, importance) in import.catalog.nodes.iter_mut().zip(&importance) {
        if node.kind == NodeKind::Requirement {
            node.answer_target = match importance.as_str() {
                "mandatory" => Some(AnswerTarget::Mandatory),
                "recommended" | "nice_to_have" => Some(AnswerTarget::Optional),
                _ => None,
            };
        }
    }
    Ok(import)
}

/// An error of the YAML conversion, located at the sheet row its node came from.
fn relocate(error: CatalogImportError, sheet: &str, rows: &[usize]) -> CatalogImportError {
    let index = error
        .location()
        .and_then(|l| l.path.as_deref())
        .and_then(|p| p.strip_prefix("objects.framework.requirement_nodes["))
        .and_then(|p| p.split(']').next())
        .and_then(|i| i.parse::<usize>().ok());
    let at = index.and_then(|i| rows.get(i)).map_or_else(|| CellRef::sheet(sheet), |&r| CellRef::row(sheet, r));
    match error {
        CatalogImportError::Catalog { source, .. } => CatalogImportError::SheetCatalog { at, source },
        other if other.location().is_some() => CatalogImportError::SheetSyntax { at, detail: other.text().en },
        other => other,
    }
}

/// A parser message cut to a length a person reads, on one line.
pub(crate) fn short(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(300).collect();
    if one_line.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_split_at_headers() {
        let c = split_criteria("前文 【規則】 ・a ・b 【対象】 ・役員");
        assert_eq!(
            c,
            vec![
                Criterion { header: String::new(), text: "前文".into() },
                Criterion { header: "【規則】".into(), text: "・a ・b".into() },
                Criterion { header: "【対象】".into(), text: "・役員".into() },
            ]
        );
        assert_eq!(split_criteria("・見出しなし"), vec![Criterion { header: String::new(), text: "・見出しなし".into() }]);
        assert!(split_criteria("  ").is_empty());
        // Not headers: empty brackets, a bracket left open, one across lines.
        assert_eq!(split_criteria("【】 x【y\n】").len(), 1);
        assert_eq!(split_criteria("【規則】").len(), 1);
    }

    #[test]
    fn lists_and_criteria_encode_exactly() {
        for items in [vec![], vec!["a".to_string()], vec![" a".to_string()], vec!["a\nb".to_string()], vec!["[\"x\"]".to_string()]] {
            assert_eq!(decode_list(&encode_list(&items)), items, "{items:?}");
        }
        let odd = vec![
            Criterion { header: "【規則】".into(), text: "a".into() },
            Criterion { header: String::new(), text: "後文".into() },
            Criterion { header: "[対象]".into(), text: " x 【y】 ".into() },
        ];
        assert_eq!(decode_criteria(&encode_criteria(&odd)), odd);
        let plain = split_criteria("【規則】 ・a 【頻度】 ・1回/年");
        assert_eq!(encode_criteria(&plain), "【規則】 ・a\n【頻度】 ・1回/年");
    }

    #[test]
    fn group_numbers() {
        assert_eq!(split_number("1 方針"), Some(("1".into(), "方針".into())));
        assert_eq!(split_number("4体制 (平時)"), Some(("4".into(), "体制 (平時)".into())));
        assert_eq!(split_number("12 リスク 対応"), Some(("12".into(), "リスク 対応".into())));
        assert_eq!(split_number("1.2. 範囲"), Some(("1.2".into(), "範囲".into())));
        assert_eq!(split_number("2025年度方針"), None);
        assert_eq!(split_number("方針"), None);
        assert_eq!(split_number("10"), None);
    }

    #[test]
    fn headers_are_recognised() {
        assert_eq!(role_of("No."), Some(Role::Ref));
        assert_eq!(role_of("Ｎｏ．"), Some(Role::Ref));
        assert_eq!(role_of("必須/任意"), Some(Role::AnswerTarget));
        assert_eq!(role_of("回答対象（必須・任意）"), Some(Role::AnswerTarget));
        assert_eq!(role_of("達成条件(確認内容)"), Some(Role::Text));
        assert_eq!(role_of("【達成基準】"), Some(Role::Criteria));
        assert_eq!(role_of("要求事項 ※"), Some(Role::Requirement));
        assert_eq!(role_of("回答欄"), None);
        assert_eq!(role_of("根拠・補足"), None);
    }

    #[test]
    fn urn_cleaning_follows_ciso_assistant() {
        assert_eq!(clean_urn("Section 1"), "section-1");
        assert_eq!(clean_urn("A.5.1 Policies"), "a.5.1-policies");
        assert_eq!(clean_urn("Exigence é/ü"), "exigence-e_u");
        assert_eq!(clean_urn("方針 1"), "-1");
    }

    #[test]
    fn zip_directory_is_checked() {
        assert!(zip_entries(b"").is_err());
        assert!(zip_entries(b"PK\x03\x04 not really").is_err());
        // An empty archive (just the end record) is no workbook.
        let mut empty = b"PK\x05\x06".to_vec();
        empty.extend([0u8; 18]);
        assert!(zip_entries(&empty).is_err());
        // A real package with an empty end record appended: the checks would read no parts
        // while the unpacker reads the real ones.
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().write_string(0, 0, "x").unwrap();
        let mut bytes = book.save_to_buffer().unwrap();
        assert!(zip_entries(&bytes).is_ok_and(|e| !e.is_empty()));
        bytes.extend_from_slice(&empty);
        assert!(zip_entries(&bytes).is_err());
    }

    #[test]
    fn inflate_reads_stored_fixed_and_dynamic_blocks() {
        let text = b"<sst uniqueCount=\"2\">abcabcabc";
        let stored = hex("011e00e1ff3c73737420756e69717565436f756e743d2232223e616263616263616263");
        let fixed = hex("b3292e2e5128cdcb2c2c4d75ce2fcd2bb1553252b24b4c4a862000");
        assert_eq!(inflate(&stored, usize::MAX).as_deref(), Some(&text[..]));
        assert_eq!(inflate(&fixed, usize::MAX).as_deref(), Some(&text[..]));
        assert_eq!(inflate(&fixed, 4).as_deref(), Some(&text[..4]));
        assert_eq!(inflate(&fixed[..10], usize::MAX), None, "cut short");
        assert_eq!(inflate(&[0xff; 8], usize::MAX), None);
        // Dynamic blocks: every part of a workbook with many strings unpacks to its size and CRC.
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for i in 0..2_000u32 {
            sheet.write_string(i, 0, format!("要求事項 {i} 達成条件 {}", i * 7919 % 1000)).unwrap();
        }
        let bytes = book.save_to_buffer().unwrap();
        let entries = zip_entries(&bytes).unwrap();
        assert!(entries.iter().any(|e| e.method == 8 && e.size > 50_000));
        for e in &entries {
            let data = zip_peek(&bytes, e, usize::MAX).unwrap();
            assert_eq!((data.len() as u64, crc32(&data)), (e.size, e.crc), "{}", String::from_utf8_lossy(&e.name));
        }
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn shared_strings_counts() {
        let head = br#"<?xml version="1.0"?><sst xmlns="x" count="3" uniqueCount="2"><si>"#;
        assert_eq!(unique_count(head), Some(Some(2)));
        assert_eq!(unique_count(br#"<x:sst uniqueCount = '99999999999999999999999'>"#), Some(Some(u64::MAX)));
        assert_eq!(unique_count(br#"<sst count="1">"#), Some(None));
        assert_eq!(unique_count(br#"<sstx uniqueCount="5"><sst>"#), Some(None));
        assert_eq!(unique_count(br#"<?xml?><sst uniqueCount="5""#), None);
    }

    #[test]
    fn times_of_day() {
        assert_eq!(time_of_day(0.5), "12:00");
        assert_eq!(time_of_day(0.0), "00:00");
        assert_eq!(time_of_day(1.0 / 86_400.0), "00:00:01");
    }
}
