//! A customer's checklist workbook, read and returned filled in (issue 4, item 6).
//!
//! A supplier receives its customer's security checklist as an xlsx file, answers it, and returns
//! the same workbook with only the answer and comment cells filled in. The customer's formulas,
//! drop-downs, merged cells, styles, comments and hidden sheets must come back as they were, so
//! the file is never regenerated: it is edited.
//!
//! # Reading
//!
//! [`read_checklist`] reads the workbook with [`catalog_sheet::read_xlsx`] (bounded, merged
//! regions filled, calamine's panics caught) and finds the answered sheet and its header row with
//! the same recognition as [`catalog_sheet::guess_mapping`]: title rows above the header, an
//! instruction sheet before the table and hidden sheets (drop-down sources) are passed over. The
//! answer column (回答, 回答欄, 評価, 実施状況, 自己評価 …) and the comment column (備考, コメント,
//! 根拠・補足, 補足, 根拠, 説明 …) are found by their headers, or as [`ChecklistOptions`] names them
//! (a letter such as `F`, or the header text). A row is an item when its No. cell is filled, so a
//! formula row below the table (「○の数」) is not one. The rows also become a Mamori catalog through
//! [`catalog_sheet::import_table`]: groups from the group column, one requirement per item with its
//! No. as ref, the texts as written, 必須/任意 as the answer target and the criteria split at their
//! 【…】 headers.
//!
//! The choices of the answer column come from the sheet's list validations (`<dataValidations>`,
//! and `x14:dataValidations` in `extLst`, as newer Excel writes them): an inline list (`"○,×"`),
//! a range on this or another sheet (`リスト!$A$1:$A$3`, `$H$1:$H$3`, `$A:$A`), or a defined name
//! holding such a range. A list built by a formula (`INDIRECT`, `OFFSET`) gives no choices, and
//! then any answer is accepted.
//!
//! # Filling
//!
//! [`fill_checklist`] writes the package again with every part except the answered sheet copied
//! as stored (its compressed bytes, CRC, name and position), and the sheet's XML changed only in
//! the answer and comment cells of the rows given: the XML is scanned with quick-xml and those
//! cells are spliced in by byte position, so every other byte of the part is the original's (a
//! rewrite event by event would normalise quoting and spacing). A cell is written as an inline
//! string (`t="inlineStr"`) with its style kept; a missing cell is inserted in column order, a
//! missing row in row order. `workbook.xml`, `calcChain.xml` and the shared strings are not
//! touched: Excel recalculates on opening when the workbook asks it to, and a shared string that
//! is no longer used costs nothing.
//!
//! One file past the usual length: reading and filling share the package lookup, the A1
//! references and the XML helpers, and neither is useful without the other.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Cursor, Read, Write};

use mamori_core::catalog::{CatalogDef, LocalText};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use serde::{Deserialize, Serialize};
use zip::ZipArchive;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::catalog_error::{CatalogImportError, CatalogImportLimits, CellRef, SheetBound, column_letters};
use crate::catalog_sheet::{
    self, ColumnMapping, EXCEL_CELL_CHARS, EXCEL_COLUMNS, PackageProblem, Role, SheetGrid, SheetLimits, Workbook, check_package,
    guess_sheet, norm, role_of, short,
};

/// Excel's last row.
const EXCEL_ROWS: usize = 1_048_576;

// ---------------------------------------------------------------------------------------------
// Options and results.

/// What [`read_checklist`] is told: the catalog's key, edition and name, and where the answers
/// go when the headers do not say it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistOptions {
    pub key: String,
    pub edition: String,
    /// The catalog's name; the sheet's title row (or the sheet's name) when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<LocalText>,
    /// The answered sheet; the first visible sheet with a table and an answer column when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// The answer column as a letter (`F`) or its header text; overrides the guess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer_column: Option<String>,
    /// The comment column as a letter or its header text; overrides the guess.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_column: Option<String>,
}

impl ChecklistOptions {
    /// Options that leave everything to the headers.
    pub fn new(key: impl Into<String>, edition: impl Into<String>) -> ChecklistOptions {
        ChecklistOptions { key: key.into(), edition: edition.into(), name: None, sheet: None, answer_column: None, comment_column: None }
    }
}

/// The columns of a checklist, numbered from 1 (column 1 is `A`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistColumns {
    /// No. / 番号 / 項番.
    pub number: usize,
    /// ラベル, 分類, 区分, カテゴリ.
    pub group: Option<usize>,
    /// 目的.
    pub purpose: Option<usize>,
    /// 要求事項, 確認項目, チェック項目: what the customer asks.
    pub requirement: usize,
    /// 達成条件, when the sheet has one beside the requirement.
    pub condition: Option<usize>,
    /// 達成基準, 基準.
    pub criteria: Option<usize>,
    /// 回答対象, 必須/任意.
    pub target: Option<usize>,
    /// Where the supplier answers (回答, 回答欄, 評価, 実施状況, 自己評価).
    pub answer: usize,
    /// Where the supplier explains (備考, コメント, 根拠・補足, 補足, 根拠, 説明).
    pub comment: Option<usize>,
}

/// One answered row: its sheet row, its No., and what its answer and comment cells hold now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub row: usize,
    pub number: String,
    pub answer: String,
    pub comment: String,
}

/// A customer's checklist as read from its workbook: where it is, its items and its catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checklist {
    pub sheet: String,
    /// The sheet's part in the package, e.g. `xl/worksheets/sheet2.xml`.
    pub part: String,
    /// The CRC-32 of that part as read: [`fill_checklist`] refuses a package whose part differs,
    /// so that answers never land in another version of the workbook.
    pub part_crc32: u32,
    pub header_row: usize,
    pub columns: ChecklistColumns,
    /// The answer column's drop-down values, in the workbook's order; empty when it has none.
    pub answer_choices: Vec<String>,
    pub items: Vec<ChecklistItem>,
    /// The checklist as a catalog: one requirement per item, refs from the No. column.
    pub catalog: CatalogDef,
    /// The bounds the workbook was read with; [`fill_checklist`] applies them again. A
    /// deserialised checklist has the defaults.
    #[serde(skip)]
    pub limits: CatalogImportLimits,
}

/// What to write into one item's row. `None` leaves a cell as it is; an empty text clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilledCell {
    pub row: usize,
    #[serde(default)]
    pub answer: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// Reads a customer's checklist workbook (see the module documentation).
pub fn read_checklist(bytes: &[u8], options: &ChecklistOptions, limits: &CatalogImportLimits) -> Result<Checklist, CatalogImportError> {
    let sheet_limits = SheetLimits::from(limits);
    if bytes.len() > sheet_limits.max_bytes {
        return Err(CatalogImportError::TooLarge { limit: sheet_limits.max_bytes });
    }
    // Before calamine opens it: the directory read_xlsx checks is the one calamine reads.
    let mut archive = open_package(bytes)?;
    let workbook = catalog_sheet::read_xlsx(bytes, &sheet_limits)?;
    let (sheet, mapping, columns) = choose_sheet(&workbook, options)?;
    let items = items_of(sheet, mapping.header_row, &columns);
    let catalog = catalog_of(sheet, &mapping, &columns, &items, options, limits)?;

    verify_entries(&mut archive)?;
    let located = locate_sheet(&mut archive, &sheet.name, sheet_limits.max_unpacked_bytes)?;
    let part_crc32 = archive.by_index_raw(located.index).map_err(not_a_workbook)?.crc32();
    let xml = read_part_text(&mut archive, located.index, &sheet.name, sheet_limits.max_unpacked_bytes)?;
    let validations = list_validations(&xml).map_err(|detail| syntax(&sheet.name, &detail))?;
    let answer_choices = choices_for(&validations, &workbook, sheet, &located, columns.answer, &items);

    Ok(Checklist {
        sheet: sheet.name.clone(),
        part: located.part,
        part_crc32,
        header_row: mapping.header_row,
        columns,
        answer_choices,
        items,
        catalog,
        limits: *limits,
    })
}

/// The sheet named in the options, or the first visible sheet with a recognised header row and
/// an answer column; with its mapping and columns.
fn choose_sheet<'w>(
    workbook: &'w Workbook,
    options: &ChecklistOptions,
) -> Result<(&'w SheetGrid, ColumnMapping, ChecklistColumns), CatalogImportError> {
    if let Some(name) = &options.sheet {
        let sheet = workbook.sheet(name).ok_or_else(|| CatalogImportError::SheetNotFound { sheet: name.clone() })?;
        let mapping = guess_sheet(sheet).ok_or(CatalogImportError::NoTable)?;
        let columns = find_columns(sheet, &mapping, options)?;
        return Ok((sheet, mapping, columns));
    }
    let mut first_error = None;
    for sheet in workbook.sheets.iter().filter(|s| !s.hidden) {
        let Some(mapping) = guess_sheet(sheet) else { continue };
        match find_columns(sheet, &mapping, options) {
            Ok(columns) => return Ok((sheet, mapping, columns)),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(CatalogImportError::NoTable))
}

/// The non-empty cells of the header row: (column, text).
fn header_cells(sheet: &SheetGrid, header_row: usize) -> Vec<(usize, &str)> {
    let cells = header_row.checked_sub(1).and_then(|r| sheet.rows.get(r)).map(Vec::as_slice).unwrap_or_default();
    cells.iter().enumerate().map(|(j, c)| (j + 1, c.trim())).filter(|(_, c)| !c.is_empty()).collect()
}

/// The header row as an error names it: `A6 "No.", B6 "分類", …`.
fn describe_headers(sheet: &SheetGrid, header_row: usize) -> String {
    let text = header_cells(sheet, header_row)
        .iter()
        .map(|(c, h)| format!("{}{header_row} \"{}\"", column_letters(*c), h.chars().take(40).collect::<String>()))
        .collect::<Vec<_>>()
        .join(", ");
    let mut out: String = text.chars().take(400).collect();
    if text.chars().count() > 400 {
        out.push('…');
    }
    out
}

fn column_error(field: &'static str, detail: String) -> CatalogImportError {
    CatalogImportError::BadMapping { field, value: detail }
}

/// No answer column among the headers and none given.
fn no_answer_column(sheet: &SheetGrid, header_row: usize) -> CatalogImportError {
    column_error("answer_column", format!("{} / {}", sheet.name, describe_headers(sheet, header_row)))
}

/// Headers that name the answer column, compared as [`norm`] folds them.
const ANSWER_HEADERS: &[&str] = &[
    "回答",
    "回答欄",
    "ご回答",
    "御回答",
    "評価",
    "自己評価",
    "評価結果",
    "実施状況",
    "対応状況",
    "実施有無",
    "判定",
    "回答結果",
    "チェック",
    "チェック欄",
    "answer",
    "answers",
    "response",
    "status",
    "self-assessment",
    "assessment",
];

/// Headers that name the comment column.
const COMMENT_HEADERS: &[&str] = &[
    "備考",
    "備考欄",
    "コメント",
    "コメント欄",
    "根拠・補足",
    "根拠",
    "補足",
    "補足説明",
    "説明",
    "根拠資料",
    "特記事項",
    "証跡",
    "エビデンス",
    "comment",
    "comments",
    "remarks",
    "notes",
    "note",
    "evidence",
];

/// A header and, when it ends in a bracketed part (`回答欄(○/×)`), the header without it.
fn header_forms(header: &str) -> Vec<String> {
    let n = norm(header);
    let bare = n.find('(').filter(|&i| i > 0 && n.ends_with(')')).map(|i| n[..i].to_string());
    std::iter::once(n).chain(bare).collect()
}

fn is_answer_header(header: &str) -> bool {
    let forms = header_forms(header);
    forms.iter().any(|f| ANSWER_HEADERS.contains(&f.as_str()))
        || forms.iter().any(|f| f.starts_with("回答") && !["回答対象", "回答者", "回答日", "回答期限"].iter().any(|x| f.starts_with(x)))
}

fn is_comment_header(header: &str) -> bool {
    let forms = header_forms(header);
    forms.iter().any(|f| COMMENT_HEADERS.contains(&f.as_str()))
        || forms.iter().any(|f| ["備考", "コメント", "補足", "根拠"].iter().any(|x| f.contains(x)))
}

/// A column given by its header text, else as a letter (`F`, `aa`): a header such as `No` or
/// `ID` is the header, not column NO.
fn given_column(sheet: &SheetGrid, header_row: usize, given: &str) -> Option<usize> {
    let g = given.trim();
    let wanted = norm(g);
    let by_header = header_cells(sheet, header_row).into_iter().find(|(_, h)| !wanted.is_empty() && norm(h) == wanted).map(|(c, _)| c);
    by_header.or_else(|| {
        let is_letters = (1..=3).contains(&g.len()) && g.chars().all(|c| c.is_ascii_alphabetic());
        is_letters.then(|| letters_to_column(g)).flatten().filter(|&c| c <= EXCEL_COLUMNS)
    })
}

fn find_columns(sheet: &SheetGrid, mapping: &ColumnMapping, options: &ChecklistOptions) -> Result<ChecklistColumns, CatalogImportError> {
    let header_row = mapping.header_row;
    let headers = header_cells(sheet, header_row);
    let first_role = |role: Role| headers.iter().find(|(_, h)| role_of(h) == Some(role)).map(|(c, _)| *c);
    let missing = |field: &'static str| column_error(field, format!("{} / {}", sheet.name, describe_headers(sheet, header_row)));

    let number = mapping.ref_column.ok_or_else(|| missing("number_column"))?;
    let requirement = first_role(Role::Requirement).or(mapping.text).or(mapping.title).ok_or_else(|| missing("requirement_column"))?;
    let condition = mapping.text.filter(|&c| c != requirement);
    let group = first_role(Role::Group);
    let purpose = first_role(Role::Purpose);
    let criteria = mapping.criteria;
    let target = mapping.answer_target.as_ref().map(|a| a.column);

    let pick = |given: &Option<String>, field: &'static str| -> Result<Option<usize>, CatalogImportError> {
        match given {
            Some(g) => given_column(sheet, header_row, g).map(Some).ok_or_else(|| {
                column_error(
                    field,
                    format!("{} ({} / {})", g.chars().take(40).collect::<String>(), sheet.name, describe_headers(sheet, header_row)),
                )
            }),
            None => Ok(None),
        }
    };
    let answer = match pick(&options.answer_column, "answer_column")? {
        Some(c) => c,
        None => headers
            .iter()
            .find(|(_, h)| role_of(h).is_none() && is_answer_header(h))
            .map(|(c, _)| *c)
            .ok_or_else(|| no_answer_column(sheet, header_row))?,
    };
    let comment = match pick(&options.comment_column, "comment_column")? {
        Some(c) => Some(c),
        None => headers.iter().find(|(c, h)| *c != answer && role_of(h).is_none() && is_comment_header(h)).map(|(c, _)| *c),
    };

    // The answers must not overwrite what the customer wrote.
    let content: HashSet<usize> = [Some(number), Some(requirement), condition, group, purpose, criteria, target]
        .into_iter()
        .flatten()
        .chain(mapping.groups.iter().map(|g| g.column))
        .collect();
    for (field, column) in [("answer_column", Some(answer)), ("comment_column", comment)] {
        if let Some(c) = column.filter(|c| content.contains(c)) {
            return Err(column_error(field, format!("{}{header_row} \"{}\"", column_letters(c), sheet.cell(header_row, c).trim())));
        }
    }
    if comment == Some(answer) {
        return Err(column_error("comment_column", column_letters(answer)));
    }
    Ok(ChecklistColumns { number, group, purpose, requirement, condition, criteria, target, answer, comment })
}

/// The rows below the header whose No. cell is filled (a repeat of the header is not a row).
fn items_of(sheet: &SheetGrid, header_row: usize, columns: &ChecklistColumns) -> Vec<ChecklistItem> {
    let number_header = sheet.cell(header_row, columns.number).trim();
    (header_row + 1..=sheet.rows.len())
        .filter_map(|row| {
            let number = sheet.cell(row, columns.number).trim();
            if number.is_empty() || number == number_header {
                return None;
            }
            Some(ChecklistItem {
                row,
                number: number.to_string(),
                answer: sheet.cell(row, columns.answer).to_string(),
                comment: columns.comment.map_or("", |c| sheet.cell(row, c)).to_string(),
            })
        })
        .collect()
}

/// The first text above the header row: the checklist's title.
fn title_of(sheet: &SheetGrid, header_row: usize) -> Option<String> {
    sheet
        .rows
        .iter()
        .take(header_row.saturating_sub(1))
        .flat_map(|r| r.iter())
        .map(|c| c.trim())
        .find(|c| !c.is_empty())
        .map(str::to_string)
}

/// The items as a catalog, through `import_table` on the sheet with every row that is not an
/// item blanked (notes and formula rows below the table are not requirements).
fn catalog_of(
    sheet: &SheetGrid,
    mapping: &ColumnMapping,
    columns: &ChecklistColumns,
    items: &[ChecklistItem],
    options: &ChecklistOptions,
    limits: &CatalogImportLimits,
) -> Result<CatalogDef, CatalogImportError> {
    let mut mapping = mapping.clone();
    mapping.attributes.retain(|a| a.column != columns.answer && Some(a.column) != columns.comment);
    let item_rows: HashSet<usize> = items.iter().map(|i| i.row).collect();
    let mut grid = sheet.clone();
    for (i, cells) in grid.rows.iter_mut().enumerate().skip(mapping.header_row) {
        if !item_rows.contains(&(i + 1)) {
            cells.clear();
        }
    }
    let name =
        options.name.clone().unwrap_or_else(|| LocalText::ja(title_of(sheet, mapping.header_row).unwrap_or_else(|| sheet.name.clone())));
    let header = catalog_sheet::CatalogHeader::new(options.key.clone(), options.edition.clone(), name);
    catalog_sheet::import_table(&Workbook { sheets: vec![grid] }, &mapping, header, limits)
}

// ---------------------------------------------------------------------------------------------
// The package.

type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

fn not_a_workbook(detail: impl std::fmt::Display) -> CatalogImportError {
    CatalogImportError::NotAWorkbook { detail: short(&detail.to_string()) }
}

fn syntax(sheet: &str, detail: &str) -> CatalogImportError {
    CatalogImportError::SheetSyntax { at: CellRef::sheet(sheet), detail: short(detail) }
}

/// The package as zip entries, as the zip crate (and so calamine) reads them. Refused: two
/// entries of one name (the writer keeps one per name, so the copy could not be the same
/// package), and a directory other than the one [`check_package`] examined (a file can hold a
/// second end-of-directory record; the bounds on unpacked size and shared strings must be those
/// of the entries that are read).
fn open_package(bytes: &[u8]) -> Result<Archive<'_>, CatalogImportError> {
    let archive = ZipArchive::new(Cursor::new(bytes)).map_err(not_a_workbook)?;
    if archive.has_duplicate_names() {
        return Err(not_a_workbook("two parts of the package have the same name"));
    }
    let checked = catalog_sheet::zip_entries(bytes).map_err(not_a_workbook)?;
    let same = checked.len() == archive.len()
        && checked.iter().enumerate().all(|(i, e)| {
            archive.by_index_data(i).is_ok_and(|f| f.name_raw() == e.name.as_slice() && f.size() == e.size && u64::from(f.crc32()) == e.crc)
        });
    if !same {
        return Err(not_a_workbook("the package has two central directories that disagree"));
    }
    Ok(archive)
}

/// Unpacks every entry once (each within its declared size, the sum within the limit that
/// [`check_package`] applied), so that a damaged entry — one calamine never reads, such as a
/// theme, or one it stops reading before its end — is refused now rather than copied into the
/// returned workbook. The zip reader checks each entry's CRC at its end.
fn verify_entries(archive: &mut Archive<'_>) -> Result<(), CatalogImportError> {
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(not_a_workbook)?;
        let declared = file.size();
        let copied = std::io::copy(&mut file.take(declared.saturating_add(1)), &mut std::io::sink()).map_err(not_a_workbook)?;
        if copied != declared {
            return Err(not_a_workbook("a part of the package does not have the size its entry declares"));
        }
    }
    Ok(())
}

/// The entry of a part: its exact name, else the same name in another case (part names are
/// case-insensitive in OPC).
fn part_index(archive: &Archive<'_>, name: &str) -> Option<usize> {
    let name = name.trim_start_matches('/');
    archive.index_for_name(name).or_else(|| {
        let names: Vec<&[u8]> = archive.file_names_raw().collect();
        names.iter().position(|n| n.eq_ignore_ascii_case(name.as_bytes()))
    })
}

/// A part unpacked, refused past `limit` bytes or past the size its entry declares.
fn read_entry(archive: &mut Archive<'_>, index: usize, limit: u64) -> Result<Vec<u8>, CatalogImportError> {
    let file = archive.by_index(index).map_err(not_a_workbook)?;
    let declared = file.size();
    if declared > limit {
        return Err(CatalogImportError::SheetLimit { at: CellRef::default(), bound: SheetBound::UnpackedBytes, max: limit });
    }
    let mut out = Vec::new();
    file.take(declared.saturating_add(1)).read_to_end(&mut out).map_err(not_a_workbook)?;
    if out.len() as u64 > declared {
        return Err(not_a_workbook("a part of the package is larger than its entry declares"));
    }
    Ok(out)
}

/// A part as UTF-8 text (after a byte-order mark, if any).
fn read_part_text(archive: &mut Archive<'_>, index: usize, sheet: &str, limit: u64) -> Result<String, CatalogImportError> {
    let bytes = read_entry(archive, index, limit)?;
    String::from_utf8(bytes).map_err(|_| syntax(sheet, "the sheet's XML is not UTF-8"))
}

/// An XML part by name, as text; `None` when the package has no such part.
fn read_xml_part(archive: &mut Archive<'_>, name: &str, limit: u64) -> Result<Option<String>, CatalogImportError> {
    let Some(index) = part_index(archive, name) else { return Ok(None) };
    let bytes = read_entry(archive, index, limit)?;
    let text = String::from_utf8(bytes).map_err(|_| not_a_workbook(format!("{name} is not UTF-8")))?;
    Ok(Some(text))
}

/// A defined name of the workbook (`<definedName>`): a named range a list validation may use.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DefinedName {
    name: String,
    /// The sheet (its position in the workbook) the name is local to.
    local_sheet: Option<usize>,
    value: String,
}

/// Where the answered sheet is in the package.
#[derive(Debug)]
struct LocatedSheet {
    part: String,
    index: usize,
    /// The sheet's position among the workbook's sheets, from 0.
    position: usize,
    names: Vec<DefinedName>,
}

/// Finds a sheet's part: `_rels/.rels` gives the workbook part, its `<sheets>` the sheet's
/// relationship id, and the workbook's relationships the part.
fn locate_sheet(archive: &mut Archive<'_>, sheet: &str, limit: u64) -> Result<LocatedSheet, CatalogImportError> {
    let root = read_xml_part(archive, "_rels/.rels", limit)?;
    let workbook_part = root
        .as_deref()
        .and_then(|x| relationships(x).ok())
        .and_then(|rels| rels.into_iter().find(|r| r.kind.ends_with("/officeDocument")).map(|r| resolve_target("", &r.target)))
        .unwrap_or_else(|| "xl/workbook.xml".to_string());
    let workbook_xml =
        read_xml_part(archive, &workbook_part, limit)?.ok_or_else(|| not_a_workbook(format!("the package has no {workbook_part}")))?;
    let (sheets, names) = workbook_sheets(&workbook_xml).map_err(|e| not_a_workbook(format!("{workbook_part}: {e}")))?;
    let (position, rid) = sheets
        .iter()
        .enumerate()
        .find(|(_, (name, _))| name == sheet)
        .map(|(i, (_, rid))| (i, rid.clone()))
        .ok_or_else(|| not_a_workbook(format!("{workbook_part} lists no sheet \"{sheet}\"")))?;
    let (dir, file) = workbook_part.rsplit_once('/').unwrap_or(("", workbook_part.as_str()));
    let rels_part = if dir.is_empty() { format!("_rels/{file}.rels") } else { format!("{dir}/_rels/{file}.rels") };
    let rels_xml = read_xml_part(archive, &rels_part, limit)?.ok_or_else(|| not_a_workbook(format!("the package has no {rels_part}")))?;
    let rels = relationships(&rels_xml).map_err(|e| not_a_workbook(format!("{rels_part}: {e}")))?;
    let target = rels
        .into_iter()
        .find(|r| r.id == rid)
        .map(|r| resolve_target(dir, &r.target))
        .ok_or_else(|| not_a_workbook(format!("{rels_part} has no relationship {rid}")))?;
    let index = part_index(archive, &target).ok_or_else(|| not_a_workbook(format!("the package has no {target}")))?;
    let part = archive.name_for_index(index).and_then(Result::ok).map_or(target, |n| n.into_owned());
    Ok(LocatedSheet { part, index, position, names })
}

/// A relationship target resolved against the folder of the part that names it.
fn resolve_target(dir: &str, target: &str) -> String {
    let joined = match target.strip_prefix('/') {
        Some(absolute) => absolute.to_string(),
        None if dir.is_empty() => target.to_string(),
        None => format!("{dir}/{target}"),
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[derive(Debug)]
struct Relationship {
    id: String,
    kind: String,
    target: String,
}

// ---------------------------------------------------------------------------------------------
// XML helpers.

/// An attribute's value, unescaped (the raw value when it cannot be), by its local name; with
/// `prefixed`, only an attribute with a namespace prefix (`r:id`, not `id`).
fn attr(e: &BytesStart<'_>, local: &str, prefixed: bool) -> Option<String> {
    e.attributes().with_checks(false).flatten().find(|a| a.key.local_name().as_ref() == local && a.key.prefix().is_some() == prefixed).map(
        |a| match a.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            Ok(v) => v.into_owned(),
            Err(_) => a.value.into_owned(),
        },
    )
}

/// Appends an event's character data (text, CDATA, an entity or character reference).
fn push_text(out: &mut String, event: &Event<'_>) {
    match event {
        Event::Text(t) => out.push_str(&t.xml10_content()),
        Event::CData(t) => out.push_str(&t.xml10_content()),
        Event::GeneralRef(r) => match r.resolve_char_ref() {
            Ok(Some(c)) => out.push(c),
            _ => {
                if let Some(s) = quick_xml::escape::resolve_predefined_entity(r.as_ref()) {
                    out.push_str(s);
                }
            }
        },
        _ => {}
    }
}

/// The `<Relationship>` elements of a relationships part.
fn relationships(xml: &str) -> Result<Vec<Relationship>, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                if attr(&e, "TargetMode", false).is_some_and(|m| m.eq_ignore_ascii_case("External")) {
                    continue;
                }
                if let (Some(id), Some(target)) = (attr(&e, "Id", false), attr(&e, "Target", false)) {
                    out.push(Relationship { id, kind: attr(&e, "Type", false).unwrap_or_default(), target });
                }
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

type SheetEntries = Vec<(String, String)>;

/// The workbook's sheets (name, relationship id) in order, and its defined names.
fn workbook_sheets(xml: &str) -> Result<(SheetEntries, Vec<DefinedName>), String> {
    let mut reader = Reader::from_str(xml);
    let mut sheets = Vec::new();
    let mut names = Vec::new();
    let mut current: Option<DefinedName> = None;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match &event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                if let (Some(name), Some(rid)) = (attr(e, "name", false), attr(e, "id", true)) {
                    sheets.push((name, rid));
                }
            }
            Event::Start(e) if e.local_name().as_ref() == "definedName" => {
                current = attr(e, "name", false).map(|name| DefinedName {
                    name,
                    local_sheet: attr(e, "localSheetId", false).and_then(|v| v.trim().parse().ok()),
                    value: String::new(),
                });
            }
            Event::End(e) if e.local_name().as_ref() == "definedName" => names.extend(current.take()),
            Event::Eof => return Ok((sheets, names)),
            other => {
                if let Some(n) = current.as_mut() {
                    push_text(&mut n.value, other);
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A1 references.

/// `A` → 1, `Z` → 26, `AA` → 27; `None` past Excel's 3 letters.
fn letters_to_column(letters: &str) -> Option<usize> {
    if letters.is_empty() || letters.len() > 3 {
        return None;
    }
    letters
        .chars()
        .try_fold(0usize, |acc, c| c.is_ascii_alphabetic().then(|| acc * 26 + (c.to_ascii_uppercase() as usize - 'A' as usize + 1)))
}

/// A rectangle of cells, both ends included, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Area {
    first_row: usize,
    first_column: usize,
    last_row: usize,
    last_column: usize,
}

impl Area {
    fn contains(&self, row: usize, column: usize) -> bool {
        (self.first_row..=self.last_row).contains(&row) && (self.first_column..=self.last_column).contains(&column)
    }
}

/// One end of a range: `F7`, `$F$7`, `F` (a whole column) or `7` (a whole row).
fn parse_corner(text: &str) -> Option<(Option<usize>, Option<usize>)> {
    let t = text.trim();
    let letters_end = t.char_indices().find(|&(_, c)| !(c.is_ascii_alphabetic() || c == '$')).map_or(t.len(), |(i, _)| i);
    let (letters, digits) = t.split_at(letters_end);
    let letters = letters.trim_start_matches('$').trim_end_matches('$');
    let digits = digits.trim_start_matches('$');
    let column = if letters.is_empty() { None } else { Some(letters_to_column(letters).filter(|&c| c <= EXCEL_COLUMNS)?) };
    let row = if digits.is_empty() {
        None
    } else {
        if !digits.chars().all(|c| c.is_ascii_digit()) || digits.len() > 7 {
            return None;
        }
        Some(digits.parse::<usize>().ok().filter(|&r| (1..=EXCEL_ROWS).contains(&r))?)
    };
    (column.is_some() || row.is_some()).then_some((column, row))
}

/// A cell reference (`F7`) as (column, row).
fn parse_cell(text: &str) -> Option<(usize, usize)> {
    match parse_corner(text)? {
        (Some(c), Some(r)) => Some((c, r)),
        _ => None,
    }
}

/// A range (`F7`, `F7:F44`, `$A:$A`, `3:5`); open ends reach the sheet's edge.
fn parse_area(text: &str) -> Option<Area> {
    let (a, b) = text.split_once(':').unwrap_or((text, text));
    let (c1, r1) = parse_corner(a)?;
    let (c2, r2) = parse_corner(b)?;
    if c1.is_some() != c2.is_some() || r1.is_some() != r2.is_some() {
        return None;
    }
    let (c1, c2) = (c1.unwrap_or(1), c2.unwrap_or(EXCEL_COLUMNS));
    let (r1, r2) = (r1.unwrap_or(1), r2.unwrap_or(EXCEL_ROWS));
    Some(Area { first_row: r1.min(r2), first_column: c1.min(c2), last_row: r1.max(r2), last_column: c1.max(c2) })
}

/// A `sqref`: ranges separated by spaces.
fn parse_sqref(text: &str) -> Vec<Area> {
    text.split_whitespace().filter_map(parse_area).collect()
}

// ---------------------------------------------------------------------------------------------
// Drop-down lists.

/// A list validation of the sheet: the cells it covers and its source (`formula1`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ListValidation {
    areas: Vec<Area>,
    formula: String,
}

/// Which child of a `dataValidation` is being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ValidationPart {
    Formula,
    Sqref,
}

/// The list validations of a sheet: `<dataValidation type="list" sqref="…"><formula1>`, and the
/// `x14:dataValidation` form (`<x14:formula1><xm:f>…</xm:f></x14:formula1><xm:sqref>…</xm:sqref>`).
fn list_validations(xml: &str) -> Result<Vec<ListValidation>, String> {
    let mut reader = Reader::from_str(xml);
    let mut out = Vec::new();
    // (is a list, sqref, formula) of the validation being read.
    let mut current: Option<(bool, String, String)> = None;
    let mut reading: Option<ValidationPart> = None;
    loop {
        let event = reader.read_event().map_err(|e| e.to_string())?;
        match &event {
            Event::Start(e) => match e.local_name().as_ref() {
                "dataValidation" => {
                    let is_list = attr(e, "type", false).is_some_and(|t| t == "list");
                    current = Some((is_list, attr(e, "sqref", false).unwrap_or_default(), String::new()));
                }
                "formula1" if current.is_some() => reading = Some(ValidationPart::Formula),
                "sqref" if current.is_some() => reading = Some(ValidationPart::Sqref),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "formula1" | "sqref" => reading = None,
                "dataValidation" => {
                    if let Some((true, sqref, formula)) = current.take() {
                        out.push(ListValidation { areas: parse_sqref(&sqref), formula });
                    }
                    reading = None;
                }
                _ => {}
            },
            Event::Eof => return Ok(out),
            other => {
                if let (Some(part), Some((_, sqref, formula))) = (reading, current.as_mut()) {
                    match part {
                        ValidationPart::Formula => push_text(formula, other),
                        ValidationPart::Sqref => {
                            sqref.push(' ');
                            push_text(sqref, other);
                        }
                    }
                }
            }
        }
    }
}

/// The choices of the answer column: from the list validation that covers the most item rows.
fn choices_for(
    validations: &[ListValidation],
    workbook: &Workbook,
    sheet: &SheetGrid,
    located: &LocatedSheet,
    answer: usize,
    items: &[ChecklistItem],
) -> Vec<String> {
    let covered = |v: &ListValidation| items.iter().filter(|i| v.areas.iter().any(|a| a.contains(i.row, answer))).count();
    let mut best: Option<(usize, &ListValidation)> = None;
    for v in validations {
        let n = covered(v);
        if n > 0 && best.is_none_or(|(m, _)| n > m) {
            best = Some((n, v));
        }
    }
    best.map(|(_, v)| resolve_list(&v.formula, workbook, sheet, located, true)).unwrap_or_default()
}

/// The values of a list source: an inline list, a range, or (once) a defined name.
fn resolve_list(formula: &str, workbook: &Workbook, sheet: &SheetGrid, located: &LocatedSheet, follow_names: bool) -> Vec<String> {
    let f = formula.trim();
    let f = f.strip_prefix('=').unwrap_or(f).trim();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut push = |v: &str| {
        if !v.trim().is_empty() && seen.insert(v.to_string()) {
            out.push(v.to_string());
        }
    };
    if let Some(inner) = f.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        for v in inner.replace("\"\"", "\"").split(',') {
            push(v.trim());
        }
        return out;
    }
    if let Some((sheet_name, area)) = split_reference(f) {
        let grid = match &sheet_name {
            Some(name) => workbook.sheet(name),
            None => Some(sheet),
        };
        if let Some(grid) = grid {
            for row in area.first_row..=area.last_row.min(grid.rows.len()) {
                let cells = &grid.rows[row - 1];
                for column in area.first_column..=area.last_column.min(cells.len()) {
                    push(&cells[column - 1]);
                }
            }
        }
        return out;
    }
    if follow_names {
        let named = |n: &&DefinedName| n.name.eq_ignore_ascii_case(f);
        let local = located.names.iter().filter(named).find(|n| n.local_sheet == Some(located.position));
        let global = located.names.iter().filter(named).find(|n| n.local_sheet.is_none());
        if let Some(n) = local.or(global) {
            return resolve_list(&n.value, workbook, sheet, located, false);
        }
    }
    out
}

/// `リスト!$A$1:$A$3` → (Some("リスト"), A1:A3); `'My list'!A1:A3`; `$H$1:$H$3` → (None, H1:H3).
/// A reference to another workbook (`[1]Sheet!A1`) is not one.
fn split_reference(text: &str) -> Option<(Option<String>, Area)> {
    match text.rsplit_once('!') {
        Some((sheet, range)) => {
            let name = match sheet.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                Some(quoted) => quoted.replace("''", "'"),
                None => sheet.to_string(),
            };
            if name.is_empty() || name.contains('[') {
                return None;
            }
            Some((Some(name), parse_area(range)?))
        }
        None => Some((None, parse_area(text)?)),
    }
}

// ---------------------------------------------------------------------------------------------
// Filling.

/// Writes answers and comments into the checklist's workbook and returns the new package; every
/// other part and every other byte of the sheet's XML stay as they were (see the module
/// documentation). An answer must be one of [`Checklist::answer_choices`] when there are any (or
/// empty, to clear the cell); a row must be one of the checklist's items. When several entries
/// name the same row, later ones win.
pub fn fill_checklist(bytes: &[u8], checklist: &Checklist, answers: &[FilledCell]) -> Result<Vec<u8>, CatalogImportError> {
    let limits = SheetLimits::from(&checklist.limits);
    if bytes.len() > limits.max_bytes {
        return Err(CatalogImportError::TooLarge { limit: limits.max_bytes });
    }
    match check_package(bytes, &limits) {
        Ok(()) => {}
        Err(PackageProblem::Unpacked) => {
            return Err(CatalogImportError::SheetLimit {
                at: CellRef::default(),
                bound: SheetBound::UnpackedBytes,
                max: limits.max_unpacked_bytes,
            });
        }
        Err(PackageProblem::Broken(detail)) => return Err(not_a_workbook(detail)),
    }
    let plan = planned_cells(checklist, answers)?;
    let mut archive = open_package(bytes)?;
    verify_entries(&mut archive)?;
    let index = part_index(&archive, &checklist.part).ok_or_else(|| not_a_workbook(format!("the package has no {}", checklist.part)))?;
    let crc = archive.by_index_raw(index).map_err(not_a_workbook)?.crc32();
    if crc != checklist.part_crc32 {
        return Err(CatalogImportError::UnknownValue {
            at: CellRef::sheet(checklist.sheet.as_str()),
            what: "workbook (not the one the checklist was read from)",
            value: format!("{} CRC {crc:08x} ≠ {:08x}", checklist.part, checklist.part_crc32),
        });
    }
    let xml = read_part_text(&mut archive, index, &checklist.sheet, limits.max_unpacked_bytes)?;
    let rewritten = rewrite_sheet(&xml, &plan, &checklist.sheet)?;
    write_package(&mut archive, index, rewritten.as_bytes())
}

/// The cells to write: row → column → text, checked against the items and the choices.
type Plan = BTreeMap<usize, BTreeMap<usize, String>>;

fn planned_cells(checklist: &Checklist, answers: &[FilledCell]) -> Result<Plan, CatalogImportError> {
    let items: HashMap<usize, &ChecklistItem> = checklist.items.iter().map(|i| (i.row, i)).collect();
    let sheet = checklist.sheet.as_str();
    let mut plan = Plan::new();
    for filled in answers {
        let item = items.get(&filled.row).ok_or_else(|| CatalogImportError::UnknownValue {
            at: CellRef::row(sheet, filled.row),
            what: "checklist row",
            value: filled.row.to_string(),
        })?;
        let column_name = |c: usize| format!("{} ({})", column_letters(c), item.number);
        if let Some(answer) = &filled.answer {
            let value = allowed_answer(checklist, item, answer)?;
            fits_in_a_cell(&value, item, column_name(checklist.columns.answer))?;
            plan.entry(item.row).or_default().insert(checklist.columns.answer, value);
        }
        if let Some(comment) = &filled.comment {
            let column = checklist
                .columns
                .comment
                .ok_or(CatalogImportError::MissingCell { at: CellRef::row(sheet, checklist.header_row), field: "comment column" })?;
            fits_in_a_cell(comment, item, column_name(column))?;
            plan.entry(item.row).or_default().insert(column, comment.clone());
        }
    }
    Ok(plan)
}

/// The answer as the drop-down spells it (compared without width, case or spaces), or an error
/// naming the cell and the choices.
fn allowed_answer(checklist: &Checklist, item: &ChecklistItem, answer: &str) -> Result<String, CatalogImportError> {
    let value = answer.trim();
    if value.is_empty() || checklist.answer_choices.is_empty() {
        return Ok(value.to_string());
    }
    if let Some(choice) = checklist.answer_choices.iter().find(|c| c.trim() == value) {
        return Ok(choice.clone());
    }
    let wanted = norm(value);
    if let Some(choice) = checklist.answer_choices.iter().find(|c| norm(c) == wanted) {
        return Ok(choice.clone());
    }
    Err(CatalogImportError::UnknownValue {
        at: CellRef::cell(checklist.sheet.as_str(), item.row, checklist.columns.answer),
        what: "answer",
        value: format!("{} (No. {}: {})", value.chars().take(80).collect::<String>(), item.number, checklist.answer_choices.join(" | ")),
    })
}

fn fits_in_a_cell(text: &str, item: &ChecklistItem, column: String) -> Result<(), CatalogImportError> {
    if text.encode_utf16().count() > EXCEL_CELL_CHARS {
        return Err(CatalogImportError::CellTooLongForExcel { ref_id: item.number.clone(), column, max: EXCEL_CELL_CHARS });
    }
    Ok(())
}

/// A change of the sheet's XML: the bytes `start..end` replaced by `text` (an insertion when
/// they are equal).
#[derive(Debug)]
struct Edit {
    start: usize,
    end: usize,
    text: String,
}

/// One structural step of a sheet's XML, with its byte span. Positions follow calamine's
/// reading, so that a cell written here reads back where it was meant to: a `<row>` without `r`
/// follows the one before, a `<c>` without `r` the cell before, and an empty `<c/>` without `r`
/// holds nothing and is not a cell.
#[derive(Debug)]
enum Step {
    SheetData {
        start: usize,
        end: usize,
        is_empty: bool,
        prefix: String,
    },
    SheetDataEnd {
        start: usize,
    },
    Row {
        start: usize,
        end: usize,
        is_empty: bool,
        index: usize,
    },
    RowEnd {
        start: usize,
    },
    /// `at` is (row, column).
    Cell {
        start: usize,
        end: usize,
        is_empty: bool,
        at: Option<(usize, usize)>,
        style: Option<String>,
    },
    CellEnd {
        end: usize,
    },
    /// A cell's `<f>` with a `ref`: the first cell of a shared or array formula.
    FormulaRange,
    Merge(Area),
}

/// Walks the sheet's XML and tells `visit` each step.
fn scan_sheet(xml: &str, sheet: &str, mut visit: impl FnMut(Step) -> Result<(), CatalogImportError>) -> Result<(), CatalogImportError> {
    // The reader skips a byte-order mark without counting it; positions are in `xml`.
    let body = xml.strip_prefix('\u{FEFF}').unwrap_or(xml);
    let base = xml.len() - body.len();
    let mut reader = Reader::from_str(body);
    let mut depth = 0usize;
    let mut sheet_data: Option<usize> = None;
    let mut seen_sheet_data = false;
    let (mut next_row, mut next_column) = (1usize, 1usize);
    let mut in_cell = false;
    loop {
        let start = base + position(&reader);
        let event = reader.read_event().map_err(|e| syntax(sheet, &format!("{e} (byte {})", reader.error_position())))?;
        let end = base + position(&reader);
        match &event {
            Event::Start(e) | Event::Empty(e) => {
                let is_empty = matches!(event, Event::Empty(_));
                if !is_empty {
                    depth += 1;
                }
                let level = if is_empty { depth + 1 } else { depth };
                let local = e.local_name();
                let name = local.as_ref();
                match sheet_data {
                    None if name == "sheetData" && !seen_sheet_data => {
                        seen_sheet_data = true;
                        let prefix = e.name().prefix().map(|p| format!("{}:", p.as_ref())).unwrap_or_default();
                        visit(Step::SheetData { start, end, is_empty, prefix })?;
                        if !is_empty {
                            sheet_data = Some(level);
                        }
                    }
                    None if name == "mergeCell" => {
                        if let Some(area) = attr(e, "ref", false).as_deref().and_then(parse_area) {
                            visit(Step::Merge(area))?;
                        }
                    }
                    Some(d) if level == d + 1 && name == "row" => {
                        let given =
                            attr(e, "r", false).and_then(|r| r.trim().parse::<usize>().ok()).filter(|r| (1..=EXCEL_ROWS).contains(r));
                        let index = given.unwrap_or(next_row);
                        if !is_empty {
                            next_row = index;
                        }
                        visit(Step::Row { start, end, is_empty, index })?;
                    }
                    Some(d) if level == d + 2 && name == "c" => {
                        let given = attr(e, "r", false).as_deref().and_then(parse_cell);
                        let at = match (given, is_empty) {
                            (Some((column, row)), true) => Some((row, column)),
                            (None, true) => None,
                            (Some((column, row)), false) => {
                                next_column = column + 1;
                                Some((row, column))
                            }
                            (None, false) => {
                                next_column += 1;
                                Some((next_row, next_column - 1))
                            }
                        };
                        in_cell = !is_empty;
                        visit(Step::Cell { start, end, is_empty, at, style: attr(e, "s", false) })?;
                    }
                    Some(d) if level == d + 3 && in_cell && name == "f" && attr(e, "ref", false).is_some() => visit(Step::FormulaRange)?,
                    _ => {}
                }
            }
            Event::End(e) => {
                let local = e.local_name();
                let name = local.as_ref();
                if let Some(d) = sheet_data {
                    if depth == d + 2 && name == "c" {
                        in_cell = false;
                        visit(Step::CellEnd { end })?;
                    } else if depth == d + 1 && name == "row" {
                        next_row += 1;
                        next_column = 1;
                        visit(Step::RowEnd { start })?;
                    } else if depth == d && name == "sheetData" {
                        sheet_data = None;
                        visit(Step::SheetDataEnd { start })?;
                    }
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The open tag of an empty element (`<row r="7"/>` → `<row r="7">`), from its bytes in `xml`.
fn opened(xml: &str, start: usize, end: usize) -> String {
    let element = xml.get(start..end).unwrap_or_default();
    format!("{}>", element.trim_end_matches('>').trim_end_matches('/').trim_end())
}

/// The sheet's XML with the planned cells written (see the module documentation). A first pass
/// finds which planned cells and rows exist; the second replaces every element of an existing
/// cell, inserts a missing cell into the first element of its row before the first cell to its
/// right, and a missing row before the first row below it.
fn rewrite_sheet(xml: &str, plan: &Plan, sheet: &str) -> Result<String, CatalogImportError> {
    let targets: HashMap<(usize, usize), &str> =
        plan.iter().flat_map(|(r, cells)| cells.iter().map(move |(c, t)| ((*r, *c), t.as_str()))).collect();
    let mut present: HashSet<(usize, usize)> = HashSet::new();
    let mut rows_present: HashSet<usize> = HashSet::new();
    scan_sheet(xml, sheet, |step| {
        match step {
            Step::Row { index, .. } => {
                rows_present.insert(index);
            }
            Step::Cell { at: Some(at), .. } if targets.contains_key(&at) => {
                present.insert(at);
            }
            _ => {}
        }
        Ok(())
    })?;
    // What must be inserted: cells of rows the sheet has, and rows it has not.
    let mut missing_cells: BTreeMap<usize, BTreeMap<usize, String>> = BTreeMap::new();
    let mut missing_rows: BTreeMap<usize, BTreeMap<usize, String>> = BTreeMap::new();
    for (r, cells) in plan {
        let absent: BTreeMap<usize, String> =
            cells.iter().filter(|(c, _)| !present.contains(&(*r, **c))).map(|(c, t)| (*c, t.clone())).collect();
        if !absent.is_empty() {
            if rows_present.contains(r) {
                missing_cells.insert(*r, absent)
            } else {
                missing_rows.insert(*r, absent)
            };
        }
    }

    let mut edits: Vec<Edit> = Vec::new();
    let mut merges: Vec<Area> = Vec::new();
    let mut prefix = String::new();
    // The row element being read: its index and the cells still to insert into it.
    let mut row: Option<(usize, BTreeMap<usize, String>)> = None;
    // A planned cell whose element is open: where it starts, its position and style.
    let mut cell: Option<(usize, (usize, usize), Option<String>)> = None;
    scan_sheet(xml, sheet, |step| {
        match step {
            Step::SheetData { start, end, is_empty, prefix: p } => {
                prefix = p;
                if is_empty {
                    let rows = rows_xml(&prefix, &mut missing_rows, usize::MAX);
                    edits.push(Edit { start, end, text: format!("{}{rows}</{prefix}sheetData>", opened(xml, start, end)) });
                }
            }
            Step::Row { start, end, is_empty, index } => {
                let before = rows_xml(&prefix, &mut missing_rows, index);
                if !before.is_empty() {
                    edits.push(Edit { start, end: start, text: before });
                }
                let cells = missing_cells.remove(&index).unwrap_or_default();
                if is_empty {
                    if !cells.is_empty() {
                        let inner: String = cells.iter().map(|(c, t)| cell_xml(&prefix, *c, index, None, t)).collect();
                        edits.push(Edit { start, end, text: format!("{}{inner}</{prefix}row>", opened(xml, start, end)) });
                    }
                } else {
                    row = Some((index, cells));
                }
            }
            Step::Cell { start, end, is_empty, at, style } => {
                if let (Some((index, cells)), Some((_, column))) = (row.as_mut(), at) {
                    let left: Vec<usize> = cells.range(..column).map(|(c, _)| *c).collect();
                    let text: String =
                        left.iter().filter_map(|c| cells.remove(c).map(|t| cell_xml(&prefix, *c, *index, None, &t))).collect();
                    if !text.is_empty() {
                        edits.push(Edit { start, end: start, text });
                    }
                }
                if let Some(at) = at.filter(|at| targets.contains_key(at)) {
                    if is_empty {
                        let text = targets.get(&at).copied().unwrap_or_default();
                        edits.push(Edit { start, end, text: cell_xml(&prefix, at.1, at.0, style.as_deref(), text) });
                    } else {
                        cell = Some((start, at, style));
                    }
                }
            }
            Step::FormulaRange => {
                if let Some((_, (r, c), _)) = &cell {
                    return Err(CatalogImportError::UnknownValue {
                        at: CellRef::cell(sheet, *r, *c),
                        what: "cell with a shared formula",
                        value: format!("{}{r}", column_letters(*c)),
                    });
                }
            }
            Step::CellEnd { end } => {
                if let Some((start, at, style)) = cell.take() {
                    let text = targets.get(&at).copied().unwrap_or_default();
                    edits.push(Edit { start, end, text: cell_xml(&prefix, at.1, at.0, style.as_deref(), text) });
                }
            }
            Step::RowEnd { start } => {
                if let Some((index, cells)) = row.take() {
                    let text: String = cells.iter().map(|(c, t)| cell_xml(&prefix, *c, index, None, t)).collect();
                    if !text.is_empty() {
                        edits.push(Edit { start, end: start, text });
                    }
                }
            }
            Step::SheetDataEnd { start } => {
                let text = rows_xml(&prefix, &mut missing_rows, usize::MAX);
                if !text.is_empty() {
                    edits.push(Edit { start, end: start, text });
                }
            }
            Step::Merge(area) => merges.push(area),
        }
        Ok(())
    })?;

    if !missing_rows.is_empty() || !missing_cells.is_empty() || row.is_some() || cell.is_some() {
        return Err(syntax(sheet, "the sheet's XML has no complete <sheetData>"));
    }
    for &(r, c) in targets.keys() {
        if let Some(m) = merges.iter().find(|m| m.contains(r, c) && (m.first_row, m.first_column) != (r, c)) {
            return Err(CatalogImportError::UnknownValue {
                at: CellRef::cell(sheet, r, c),
                what: "cell inside a merged region",
                value: format!("{}{}:{}{}", column_letters(m.first_column), m.first_row, column_letters(m.last_column), m.last_row),
            });
        }
    }

    let mut out = String::with_capacity(xml.len() + edits.iter().map(|e| e.text.len()).sum::<usize>());
    let mut at = 0;
    for edit in &edits {
        let (Some(before), Some(_)) = (xml.get(at..edit.start), xml.get(edit.start..edit.end)) else {
            return Err(syntax(sheet, "the sheet's XML could not be edited"));
        };
        out.push_str(before);
        out.push_str(&edit.text);
        at = edit.end;
    }
    out.push_str(xml.get(at..).unwrap_or_default());
    Ok(out)
}

/// The reader's byte position (within the text it reads, so it fits a `usize`).
fn position(reader: &Reader<&[u8]>) -> usize {
    usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX / 2)
}

/// New `<row>` elements for the pending rows before `before`, taken from `pending`.
fn rows_xml(prefix: &str, pending: &mut BTreeMap<usize, BTreeMap<usize, String>>, before: usize) -> String {
    let rows: Vec<usize> = pending.range(..before).map(|(r, _)| *r).collect();
    let mut out = String::new();
    for r in rows {
        if let Some(cells) = pending.remove(&r) {
            out.push_str(&format!("<{prefix}row r=\"{r}\">"));
            for (c, t) in &cells {
                out.push_str(&cell_xml(prefix, *c, r, None, t));
            }
            out.push_str(&format!("</{prefix}row>"));
        }
    }
    out
}

/// A cell holding `text` as an inline string, with the style it had; an empty text leaves only
/// the style.
fn cell_xml(prefix: &str, column: usize, row: usize, style: Option<&str>, text: &str) -> String {
    let r = format!("{}{row}", column_letters(column));
    let s = style.map(|s| format!(" s=\"{}\"", escape_text(s))).unwrap_or_default();
    if text.is_empty() {
        return format!("<{prefix}c r=\"{r}\"{s}/>");
    }
    format!(
        "<{prefix}c r=\"{r}\"{s} t=\"inlineStr\"><{prefix}is><{prefix}t xml:space=\"preserve\">{}</{prefix}t></{prefix}is></{prefix}c>",
        escape_text(text)
    )
}

/// Text for a cell: XML-escaped, and the characters XML 1.0 cannot hold written as Excel does
/// (`_x0001_`); a literal `_x0041_` gets its underscore escaped (`_x005F_x0041_`) so that it
/// reads back as written.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push_str(&format!("_x{:04X}_", c as u32)),
            '_' if looks_escaped(&text[i..]) => out.push_str("_x005F_"),
            c => out.push(c),
        }
    }
    out
}

/// Whether a text starts with Excel's escape `_xHHHH_`.
fn looks_escaped(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 7 && b[0] == b'_' && (b[1] == b'x' || b[1] == b'X') && b[2..6].iter().all(u8::is_ascii_hexdigit) && b[6] == b'_'
}

/// The package again: the rewritten part in its place, every other entry copied raw.
fn write_package(archive: &mut Archive<'_>, index: usize, part: &[u8]) -> Result<Vec<u8>, CatalogImportError> {
    let write_error = |e: &dyn std::fmt::Display| CatalogImportError::Write(short(&e.to_string()));
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    for i in 0..archive.len() {
        let file = archive.by_index_raw(i).map_err(not_a_workbook)?;
        if i == index {
            let method = match file.compression() {
                zip::CompressionMethod::Stored => zip::CompressionMethod::Stored,
                _ => zip::CompressionMethod::Deflated,
            };
            let options: SimpleFileOptions = file.options().compression_method(method).large_file(false);
            let name = file.name().map_err(not_a_workbook)?.into_owned();
            drop(file);
            writer.start_file(name, options).map_err(|e| write_error(&e))?;
            writer.write_all(part).map_err(|e| write_error(&e))?;
        } else {
            writer.raw_copy_file(file).map_err(|e| write_error(&e))?;
        }
    }
    let comment = archive.comment().to_vec();
    if !comment.is_empty() {
        writer.set_raw_comment(comment.into_boxed_slice()).map_err(|e| write_error(&e))?;
    }
    Ok(writer.finish().map_err(|e| write_error(&e))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(cells: &[(usize, usize, &str)]) -> Plan {
        let mut p = Plan::new();
        for (r, c, t) in cells {
            p.entry(*r).or_default().insert(*c, t.to_string());
        }
        p
    }

    fn check(xml: &str, cells: &[(usize, usize, &str)], expected: &str) {
        let out = rewrite_sheet(xml, &plan(cells), "S").unwrap_or_else(|e| panic!("{e}: {xml}"));
        assert_eq!(out, expected, "{xml}");
    }

    const ANSWER_6: &str = r#"<c r="F7" t="inlineStr"><is><t xml:space="preserve">○</t></is></c>"#;

    #[test]
    fn cells_are_replaced_inserted_in_order_and_rows_added() {
        let head = r#"<?xml version="1.0"?><worksheet xmlns="x"><sheetData>"#;
        let tail = r#"</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells></worksheet>"#;
        // (rows, cells to write, rows expected)
        type Case<'a> = (&'a str, Vec<(usize, usize, &'a str)>, String);
        let cases: Vec<Case> = vec![
            // An existing empty cell keeps its style and drops its type.
            (
                r#"<row r="7"><c r="F7" s="3" t="n" /></row>"#,
                vec![(7, 6, "○")],
                r#"<row r="7"><c r="F7" s="3" t="inlineStr"><is><t xml:space="preserve">○</t></is></c></row>"#.to_string(),
            ),
            // A value, a formula and a shared string are all replaced.
            (
                r#"<row r="7"><c r="F7" s="2" t="s"><f>A1</f><v>3</v></c><c r="G7"/></row>"#,
                vec![(7, 6, "×")],
                r#"<row r="7"><c r="F7" s="2" t="inlineStr"><is><t xml:space="preserve">×</t></is></c><c r="G7"/></row>"#.to_string(),
            ),
            // A missing cell goes in column order, between and after the others.
            (
                r#"<row r="7"><c r="A7"><v>1</v></c><c r="H7"><v>2</v></c></row>"#,
                vec![(7, 6, "○"), (7, 9, "x")],
                format!(
                    r#"<row r="7"><c r="A7"><v>1</v></c>{ANSWER_6}<c r="H7"><v>2</v></c><c r="I7" t="inlineStr"><is><t xml:space="preserve">x</t></is></c></row>"#
                ),
            ),
            // A missing row goes in row order; an empty row element is opened.
            (
                r#"<row r="3"/><row r="9"><c r="A9"/></row>"#,
                vec![(7, 6, "○"), (3, 1, "a")],
                format!(
                    r#"<row r="3"><c r="A3" t="inlineStr"><is><t xml:space="preserve">a</t></is></c></row><row r="7">{ANSWER_6}</row><row r="9"><c r="A9"/></row>"#
                ),
            ),
            (r#"<row r="2"/>"#, vec![(7, 6, "○")], format!(r#"<row r="2"/><row r="7">{ANSWER_6}</row>"#)),
            // Cells and rows without `r` count on from the one before.
            (
                r#"<row><c><v>1</v></c></row><row><c><v>1</v></c><c><v>2</v></c></row>"#,
                vec![(2, 2, "b")],
                r#"<row><c><v>1</v></c></row><row><c><v>1</v></c><c r="B2" t="inlineStr"><is><t xml:space="preserve">b</t></is></c></row>"#
                    .to_string(),
            ),
            // An empty `<c/>` without `r` holds nothing (calamine skips it): the cell is added.
            (
                r#"<row r="2"><c/></row>"#,
                vec![(2, 1, "a")],
                r#"<row r="2"><c/><c r="A2" t="inlineStr"><is><t xml:space="preserve">a</t></is></c></row>"#.to_string(),
            ),
            // Every element of a repeated cell is replaced, so the answer reads back.
            (
                r#"<row r="7"><c r="F7"><v>1</v></c><c r="F7"><v>2</v></c></row>"#,
                vec![(7, 6, "○")],
                format!(r#"<row r="7">{ANSWER_6}{ANSWER_6}</row>"#),
            ),
            // Clearing leaves the style only.
            (
                r#"<row r="7"><c r="F7" s="4" t="inlineStr"><is><t>old</t></is></c></row>"#,
                vec![(7, 6, "")],
                r#"<row r="7"><c r="F7" s="4"/></row>"#.to_string(),
            ),
        ];
        for (rows, cells, expected_rows) in cases {
            check(&format!("{head}{rows}{tail}"), &cells, &format!("{head}{expected_rows}{tail}"));
        }
        // An empty sheetData and a prefixed namespace.
        check(
            r#"<x:worksheet xmlns:x="m"><x:sheetData/></x:worksheet>"#,
            &[(1, 1, "a")],
            r#"<x:worksheet xmlns:x="m"><x:sheetData><x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t xml:space="preserve">a</x:t></x:is></x:c></x:row></x:sheetData></x:worksheet>"#,
        );
    }

    #[test]
    fn a_byte_order_mark_keeps_the_positions_right() {
        check(
            "\u{FEFF}<?xml version=\"1.0\"?>\r\n<worksheet><sheetData><row r=\"1\"/></sheetData></worksheet>",
            &[(1, 1, "a")],
            "\u{FEFF}<?xml version=\"1.0\"?>\r\n<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t xml:space=\"preserve\">a</t></is></c></row></sheetData></worksheet>",
        );
    }

    #[test]
    fn texts_are_escaped_so_that_they_read_back_as_written() {
        assert_eq!(escape_text("a<b>&\"c\""), "a&lt;b&gt;&amp;&quot;c&quot;");
        assert_eq!(escape_text("1\n2\t3\r4\u{1}"), "1\n2\t3_x000D_4_x0001_");
        assert_eq!(escape_text("_x0041_ _y"), "_x005F_x0041_ _y");
    }

    #[test]
    fn merged_cells_and_shared_formulas_are_refused() {
        let merged = r#"<worksheet><sheetData><row r="7"><c r="F7"/></row><row r="8"><c r="F8"/></row></sheetData><mergeCells><mergeCell ref="F7:F8"/></mergeCells></worksheet>"#;
        assert!(rewrite_sheet(merged, &plan(&[(7, 6, "○")]), "S").is_ok(), "the top-left cell of a region is writable");
        let e = rewrite_sheet(merged, &plan(&[(8, 6, "○")]), "S").unwrap_err();
        assert!(e.to_string().contains("F7:F8"), "{e}");
        let shared = r#"<worksheet><sheetData><row r="7"><c r="F7"><f t="shared" ref="F7:F9" si="0">A7</f><v>1</v></c></row></sheetData></worksheet>"#;
        assert!(rewrite_sheet(shared, &plan(&[(7, 6, "○")]), "S").is_err());
        assert!(rewrite_sheet("<worksheet/>", &plan(&[(7, 6, "○")]), "S").is_err(), "no sheetData");
        assert!(rewrite_sheet("<worksheet><sheetData><row></worksheet>", &plan(&[(7, 6, "○")]), "S").is_err());
    }

    #[test]
    fn references_and_list_sources() {
        assert_eq!(parse_cell("$F$7"), Some((6, 7)));
        assert_eq!(parse_cell("XFD1048576"), Some((16_384, 1_048_576)));
        assert_eq!(parse_cell("XFE1"), None);
        assert_eq!(parse_cell("A0"), None);
        assert_eq!(parse_cell("ZZZZZZZ1"), None);
        assert_eq!(parse_area("$A:$A").map(|a| (a.first_row, a.last_row, a.first_column)), Some((1, EXCEL_ROWS, 1)));
        assert_eq!(parse_area("F44:F7").map(|a| (a.first_row, a.last_row)), Some((7, 44)));
        assert_eq!(parse_sqref("F7 F8:F9 junk").len(), 2);
        assert_eq!(split_reference("'a''b'!$A$1:$A$3").map(|(s, _)| s), Some(Some("a'b".to_string())));
        assert_eq!(split_reference("[1]S!A1"), None);
        assert_eq!(resolve_target("xl", "/xl/worksheets/sheet2.xml"), "xl/worksheets/sheet2.xml");
        assert_eq!(resolve_target("xl", "worksheets/../worksheets/./s.xml"), "xl/worksheets/s.xml");
        let xml = r#"<worksheet><dataValidations><dataValidation type="list" sqref="F7:F9"><formula1>"○,×"</formula1></dataValidation><dataValidation type="whole" sqref="G7"><formula1>1</formula1></dataValidation></dataValidations><extLst><ext><x14:dataValidations><x14:dataValidation type="list"><x14:formula1><xm:f>リスト!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>H7:H9</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst></worksheet>"#;
        let v = list_validations(xml).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].formula, "\"○,×\"");
        assert_eq!(v[1].formula, "リスト!$A$1:$A$3");
        assert!(v[1].areas[0].contains(8, 8));
    }

    #[test]
    fn headers_for_answers_and_comments() {
        for h in ["回答", "回答欄", "評価", "実施状況", "自己評価", "回答（○/×）", "Answer"] {
            assert!(is_answer_header(h), "{h}");
        }
        for h in ["回答対象", "回答者", "備考", "No."] {
            assert!(!is_answer_header(h), "{h}");
        }
        for h in ["備考", "コメント", "根拠・補足", "補足", "根拠", "説明", "備考（任意）"] {
            assert!(is_comment_header(h), "{h}");
        }
    }
}
