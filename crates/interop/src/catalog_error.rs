//! Errors and limits of the catalog importers (OSCAL, CISO Assistant, spreadsheets), and the steps
//! they share: locating a parser error in the input, and running `Catalog::check` on the result.
//!
//! Every error names where the problem is: a JSON path such as `catalog.groups[3].controls[2].id`
//! (for YAML, the mapping path when known) and, when the parser gives one, a line and column; for
//! a workbook or CSV file, a [`CellRef`]: the sheet, the row and the column as Excel shows them.

use std::fmt;

use mamori_core::Text;
use mamori_core::catalog::{Catalog, CatalogDef, CatalogError, CatalogLimits};

/// Bounds on what a catalog import may read. Configuration with generous defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogImportLimits {
    pub max_bytes: usize,
    /// Groups and requirements in the result.
    pub max_nodes: usize,
    /// Nesting of groups and controls (the root level is depth 0).
    pub max_depth: usize,
    /// Characters in one text (title, statement, attribute value).
    pub max_text_chars: usize,
}

impl Default for CatalogImportLimits {
    fn default() -> Self {
        let catalog = CatalogLimits::default();
        CatalogImportLimits {
            max_bytes: 64 * 1024 * 1024,
            max_nodes: catalog.max_nodes,
            max_depth: catalog.max_depth,
            max_text_chars: catalog.max_text_chars,
        }
    }
}

impl CatalogImportLimits {
    pub fn catalog_limits(&self) -> CatalogLimits {
        CatalogLimits { max_nodes: self.max_nodes, max_depth: self.max_depth, max_text_chars: self.max_text_chars }
    }
}

/// The kind of text a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Json => "JSON",
            Format::Yaml => "YAML",
        }
    }
}

/// Where in the input a problem is: a path of keys and indexes, a line and column, or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub path: Option<String>,
    pub line: Option<u64>,
    pub column: Option<u64>,
}

impl Location {
    pub fn path(path: impl Into<String>) -> Location {
        Location { path: Some(path.into()), line: None, column: None }
    }

    pub fn is_empty(&self) -> bool {
        self.path.is_none() && self.line.is_none()
    }

    fn ja(&self) -> String {
        match (&self.path, self.line, self.column) {
            (None, None, _) => "ファイル全体".to_string(),
            (Some(p), None, _) => p.clone(),
            (None, Some(l), Some(c)) => format!("{l} 行 {c} 列"),
            (None, Some(l), None) => format!("{l} 行"),
            (Some(p), Some(l), Some(c)) => format!("{p}（{l} 行 {c} 列）"),
            (Some(p), Some(l), None) => format!("{p}（{l} 行）"),
        }
    }

    fn en(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.path, self.line, self.column) {
            (None, None, _) => f.write_str("the whole file"),
            (Some(p), None, _) => f.write_str(p),
            (None, Some(l), Some(c)) => write!(f, "line {l}, column {c}"),
            (None, Some(l), None) => write!(f, "line {l}"),
            (Some(p), Some(l), Some(c)) => write!(f, "{p} (line {l}, column {c})"),
            (Some(p), Some(l), None) => write!(f, "{p} (line {l})"),
        }
    }
}

/// Where in a workbook or CSV file a problem is: the sheet, and the row and column as Excel shows
/// them (both counted from 1; column 1 is `A`). Parts that are not known are `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CellRef {
    pub sheet: Option<String>,
    pub row: Option<usize>,
    pub column: Option<usize>,
}

impl CellRef {
    pub fn sheet(sheet: impl Into<String>) -> CellRef {
        CellRef { sheet: Some(sheet.into()), row: None, column: None }
    }

    pub fn row(sheet: impl Into<String>, row: usize) -> CellRef {
        CellRef { sheet: Some(sheet.into()), row: Some(row), column: None }
    }

    pub fn cell(sheet: impl Into<String>, row: usize, column: usize) -> CellRef {
        CellRef { sheet: Some(sheet.into()), row: Some(row), column: Some(column) }
    }

    /// The cell in Excel's A1 notation (`C12`), when both row and column are known.
    pub fn a1(&self) -> Option<String> {
        match (self.row, self.column) {
            (Some(r), Some(c)) => Some(format!("{}{r}", column_letters(c))),
            _ => None,
        }
    }

    fn ja(&self) -> String {
        let mut out = match &self.sheet {
            Some(s) => format!("シート「{s}」"),
            None => String::new(),
        };
        match (self.row, self.column) {
            (Some(r), Some(c)) => out.push_str(&format!("の {r} 行目 {} 列（{}）", column_letters(c), self.a1().unwrap_or_default())),
            (Some(r), None) => out.push_str(&format!("の {r} 行目")),
            (None, Some(c)) => out.push_str(&format!("の {} 列", column_letters(c))),
            (None, None) => {}
        }
        if out.is_empty() { "ファイル全体".to_string() } else { out.trim_start_matches('の').trim().to_string() }
    }

    fn en(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for CellRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(s) = &self.sheet {
            parts.push(format!("sheet \"{s}\""));
        }
        match (self.row, self.column) {
            (Some(r), Some(c)) => parts.push(format!("row {r}, column {} ({})", column_letters(c), self.a1().unwrap_or_default())),
            (Some(r), None) => parts.push(format!("row {r}")),
            (None, Some(c)) => parts.push(format!("column {}", column_letters(c))),
            (None, None) => {}
        }
        if parts.is_empty() { f.write_str("the whole file") } else { f.write_str(&parts.join(", ")) }
    }
}

/// A column number (1 = `A`) as Excel writes it: `A` … `Z`, `AA` …; empty for 0.
pub fn column_letters(column: usize) -> String {
    let mut n = column;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

/// Which bound of a spreadsheet import was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SheetBound {
    /// Rows of one sheet.
    Rows,
    /// Columns of one sheet.
    Columns,
    /// Characters in one cell.
    CellChars,
    /// Cells in the whole workbook (merged regions count every cell they cover).
    Cells,
    /// Characters in the whole workbook.
    Chars,
    /// Bytes of the workbook's parts once unpacked.
    UnpackedBytes,
    /// Groups and requirements of the catalog.
    Nodes,
}

impl SheetBound {
    fn names(self) -> (&'static str, &'static str) {
        match self {
            SheetBound::Rows => ("行数", "rows"),
            SheetBound::Columns => ("列数", "columns"),
            SheetBound::CellChars => ("1 つのセルの文字数", "characters in one cell"),
            SheetBound::Cells => ("セルの数", "cells"),
            SheetBound::Chars => ("文字数の合計", "characters in all"),
            SheetBound::UnpackedBytes => ("展開後のサイズ（バイト）", "bytes once unpacked"),
            SheetBound::Nodes => ("グループと要求事項の数", "groups and requirements"),
        }
    }
}

impl fmt::Display for SheetBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.names().1)
    }
}

/// Why a catalog, profile or mapping file could not be imported (or a catalog exported).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CatalogImportError {
    #[error("file is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("{format:?} ends too early at {location}")]
    Truncated { format: Format, location: Location },
    #[error("{format:?} syntax error at {location}: {detail}")]
    Syntax { format: Format, location: Location, detail: String },
    #[error("unexpected content at {location}: {detail}")]
    WrongShape { format: Format, location: Location, detail: String },
    #[error("input exceeds a parser limit at {location}: {detail}")]
    ResourceLimit { location: Location, detail: String },
    #[error("nested deeper than {max} at {location}")]
    TooDeep { location: Location, max: usize },
    #[error("more than {max} groups and requirements (at {location})")]
    TooManyNodes { location: Location, max: usize },
    #[error("{location}: {field} is missing or empty")]
    MissingField { location: Location, field: &'static str },
    #[error("{location}: id {id:?} cannot be used as a ref")]
    BadId { location: Location, id: String },
    #[error("{location}: id {id:?} appears twice")]
    DuplicateId { location: Location, id: String },
    #[error("{location}: parent {parent:?} is not declared before this node")]
    UnknownParent { location: Location, parent: String },
    #[error("{location}: {side} {urn:?} is not a node of the {side} catalog")]
    UnknownUrn { location: Location, side: &'static str, urn: String },
    #[error("{location}: the mapping's {side} framework is {found:?}, not {expected:?}")]
    WrongFramework { location: Location, side: &'static str, expected: String, found: String },
    #[error("{location}: unknown relationship {value:?}")]
    UnknownRelationship { location: Location, value: String },
    #[error("the library holds no {expected} (objects.{expected})")]
    NotAFramework { expected: &'static str },
    #[error(
        "{count} control ids of the profile are not in the catalog (e.g. {sample:?}); imports point at {hrefs:?}, which is not fetched"
    )]
    ProfileIdsNotFound { count: usize, sample: Vec<String>, hrefs: Vec<String> },
    #[error("the result is not a valid catalog at {location}: {source}")]
    Catalog { location: Location, source: CatalogError },
    #[error("could not write the file: {0}")]
    Write(String),
    #[error("not an xlsx workbook: {detail}")]
    NotAWorkbook { detail: String },
    #[error("the file is neither UTF-8 nor Shift_JIS text")]
    NotText,
    #[error("{at}: the sheet cannot be read: {detail}")]
    SheetSyntax { at: CellRef, detail: String },
    #[error("{at}: more than {max} {bound}")]
    SheetLimit { at: CellRef, bound: SheetBound, max: u64 },
    #[error("the workbook has no sheet named {sheet:?}")]
    SheetNotFound { sheet: String },
    #[error("no sheet has a header row that Mamori recognises")]
    NoTable,
    #[error("the column mapping is invalid: {field} = {value:?}")]
    BadMapping { field: &'static str, value: String },
    #[error("header row {row} is outside sheet {sheet:?}, which has {rows} rows")]
    HeaderRowOutside { sheet: String, row: usize, rows: usize },
    #[error("the column mapping has no No., text or title column")]
    NoRequirementColumn,
    #[error("columns {first} and {second} both have the role {role:?}, which one column may have")]
    RoleTwice { role: crate::sheet_mapping::ColumnRole, first: usize, second: usize },
    #[error("{at}: {field} is missing or empty")]
    MissingCell { at: CellRef, field: &'static str },
    #[error("{at}: {id:?} cannot be used as a ref")]
    BadCellRef { at: CellRef, id: String },
    #[error("{at}: No. {id:?} appears twice (first in row {first_row})")]
    DuplicateRow { at: CellRef, id: String, first_row: usize },
    #[error("{at}: answer target {value:?} is neither mandatory ({mandatory:?}) nor optional ({optional:?})")]
    UnknownAnswerTarget { at: CellRef, value: String, mandatory: Box<[String]>, optional: Box<[String]> },
    #[error("{at}: unknown {what} {value:?}")]
    UnknownValue { at: CellRef, what: &'static str, value: String },
    #[error("{at}: depth {depth} follows depth {previous}; a level can only go one deeper at a time")]
    DepthJump { at: CellRef, previous: usize, depth: usize },
    #[error("the result is not a valid catalog at {at}: {source}")]
    SheetCatalog { at: CellRef, source: CatalogError },
    #[error("node {ref_id:?}: {column} is longer than the {max} characters an Excel cell holds")]
    CellTooLongForExcel { ref_id: String, column: String, max: usize },
}

impl CatalogImportError {
    pub fn location(&self) -> Option<&Location> {
        use CatalogImportError as E;
        match self {
            E::Truncated { location, .. }
            | E::Syntax { location, .. }
            | E::WrongShape { location, .. }
            | E::ResourceLimit { location, .. }
            | E::TooDeep { location, .. }
            | E::TooManyNodes { location, .. }
            | E::MissingField { location, .. }
            | E::BadId { location, .. }
            | E::DuplicateId { location, .. }
            | E::UnknownParent { location, .. }
            | E::UnknownUrn { location, .. }
            | E::WrongFramework { location, .. }
            | E::UnknownRelationship { location, .. }
            | E::Catalog { location, .. } => Some(location),
            E::TooLarge { .. }
            | E::NotAFramework { .. }
            | E::ProfileIdsNotFound { .. }
            | E::Write(_)
            | E::NotAWorkbook { .. }
            | E::NotText
            | E::SheetSyntax { .. }
            | E::SheetLimit { .. }
            | E::SheetNotFound { .. }
            | E::NoTable
            | E::BadMapping { .. }
            | E::HeaderRowOutside { .. }
            | E::NoRequirementColumn
            | E::RoleTwice { .. }
            | E::MissingCell { .. }
            | E::BadCellRef { .. }
            | E::DuplicateRow { .. }
            | E::UnknownAnswerTarget { .. }
            | E::UnknownValue { .. }
            | E::DepthJump { .. }
            | E::SheetCatalog { .. }
            | E::CellTooLongForExcel { .. } => None,
        }
    }

    /// Where in a workbook or CSV file the problem is, for the errors of the spreadsheet
    /// importers (the others have a [`Location`]).
    pub fn cell(&self) -> Option<&CellRef> {
        use CatalogImportError as E;
        match self {
            E::SheetSyntax { at, .. }
            | E::SheetLimit { at, .. }
            | E::MissingCell { at, .. }
            | E::BadCellRef { at, .. }
            | E::DuplicateRow { at, .. }
            | E::UnknownAnswerTarget { at, .. }
            | E::UnknownValue { at, .. }
            | E::DepthJump { at, .. }
            | E::SheetCatalog { at, .. } => Some(at),
            _ => None,
        }
    }

    pub fn text(&self) -> Text {
        use CatalogImportError as E;
        match self {
            E::TooLarge { limit } => Text::new(
                format!("ファイルが大きすぎます（上限 {} MB）。", limit / (1024 * 1024)),
                format!("The file is too large (limit {} MB).", limit / (1024 * 1024)),
            ),
            E::Truncated { format, location } => Text::new(
                format!("{} が途中で終わっています（{}）。ファイルが欠けていないか確認してください。", format.name(), location.ja()),
                format!("The {} ends too early ({}): check that the file is complete.", format.name(), location.en()),
            ),
            E::Syntax { format, location, detail } => Text::new(
                format!("{} として読み取れません（{}）: {detail}", format.name(), location.ja()),
                format!("The file cannot be read as {} ({}): {detail}", format.name(), location.en()),
            ),
            E::WrongShape { format, location, detail } => Text::new(
                format!("{} の内容が想定と異なります（{}）: {detail}", format.name(), location.ja()),
                format!("Unexpected {} content ({}): {detail}", format.name(), location.en()),
            ),
            E::ResourceLimit { location, detail } => Text::new(
                format!("ファイルが読み取りの上限を超えています（{}）: {detail}", location.ja()),
                format!("The file exceeds a reading limit ({}): {detail}", location.en()),
            ),
            E::TooDeep { location, max } => Text::new(
                format!("階層が深すぎます（上限 {max}、{}）。", location.ja()),
                format!("Nested too deeply (limit {max}, at {}).", location.en()),
            ),
            E::TooManyNodes { location, max } => Text::new(
                format!("グループと要求事項の数が上限 {max} を超えています（{}）。", location.ja()),
                format!("More than {max} groups and requirements (at {}).", location.en()),
            ),
            E::MissingField { location, field } => Text::new(
                format!("{} に {field} がないか空です。", location.ja()),
                format!("{}: {field} is missing or empty.", location.en()),
            ),
            E::BadId { location, id } => Text::new(
                format!("{} の ID「{id}」は項目の ID として使えません（1〜64 文字、空白なし）。", location.ja()),
                format!("{}: the id \"{id}\" cannot be used (1-64 characters, no spaces).", location.en()),
            ),
            E::DuplicateId { location, id } => Text::new(
                format!("{} の ID「{id}」が重複しています。", location.ja()),
                format!("{}: the id \"{id}\" appears twice.", location.en()),
            ),
            E::UnknownParent { location, parent } => Text::new(
                format!("{} の親「{parent}」がそれより前にありません。", location.ja()),
                format!("{}: the parent \"{parent}\" is not declared before it.", location.en()),
            ),
            E::UnknownUrn { location, side, urn } => {
                let side_ja = if *side == "source" { "対応元" } else { "対応先" };
                Text::new(
                    format!("{} の「{urn}」は{side_ja}カタログの項目にありません。", location.ja()),
                    format!("{}: \"{urn}\" is not an item of the {side} catalog.", location.en()),
                )
            }
            E::WrongFramework { location, side, expected, found } => {
                let side_ja = if *side == "source" { "対応元" } else { "対応先" };
                Text::new(
                    format!("{} : 対応表の{side_ja}は「{found}」で、選んだカタログ「{expected}」ではありません。", location.ja()),
                    format!("{}: the mapping's {side} is \"{found}\", not the chosen catalog \"{expected}\".", location.en()),
                )
            }
            E::UnknownRelationship { location, value } => Text::new(
                format!("{} の関係「{value}」は使えません（equal, subset, superset, intersect, related）。", location.ja()),
                format!("{}: the relationship \"{value}\" is unknown (equal, subset, superset, intersect, related).", location.en()),
            ),
            E::NotAFramework { expected } => Text::new(
                format!("このライブラリには {expected}（objects.{expected}）がありません。"),
                format!("This library holds no {expected} (objects.{expected})."),
            ),
            E::ProfileIdsNotFound { count, sample, hrefs } => Text::new(
                format!(
                    "プロファイルの管理策 ID のうち {count} 件がカタログにありません（例: {}）。参照先 {} は取得しないため、それを含むカタログを先に取り込んでください。",
                    sample.join(", "),
                    hrefs.join(", ")
                ),
                format!(
                    "{count} control ids of the profile are not in the catalog (e.g. {}). The profile's import {} is not fetched: import a catalog that contains them first.",
                    sample.join(", "),
                    hrefs.join(", ")
                ),
            ),
            E::Catalog { location, source } => {
                let inner = source.text();
                Text::new(format!("{}（{}）", inner.ja, location.ja()), format!("{} (at {})", inner.en, location.en()))
            }
            E::Write(detail) => {
                Text::new(format!("ファイルを作成できません: {detail}"), format!("The file could not be written: {detail}"))
            }
            E::NotAWorkbook { detail } => Text::new(
                format!(
                    "Excel ファイル（xlsx）として読み取れません。ファイルが壊れているか、途中で切れていないか確認してください: {detail}"
                ),
                format!("The file cannot be read as an Excel workbook (xlsx); check that it is complete and not damaged: {detail}"),
            ),
            E::NotText => Text::new(
                "CSV ファイルとして読み取れません（UTF-8 または Shift_JIS のテキストではありません）。",
                "The file cannot be read as CSV: it is neither UTF-8 nor Shift_JIS text.",
            ),
            E::SheetSyntax { at, detail } => Text::new(
                format!("{}を読み取れません。ファイルが壊れている可能性があります: {detail}", at.ja()),
                format!("{} cannot be read; the file may be damaged: {detail}", capitalise(&at.en())),
            ),
            E::SheetLimit { at, bound, max } => {
                let (ja, en) = bound.names();
                Text::new(format!("{ja}が上限 {max} を超えています（{}）。", at.ja()), format!("More than {max} {en} ({}).", at.en()))
            }
            E::SheetNotFound { sheet } => Text::new(
                format!("シート「{sheet}」がありません。列の割り当てを確認してください。"),
                format!("The workbook has no sheet \"{sheet}\": check the column mapping."),
            ),
            E::NoTable => Text::new(
                "見出し行（No.、要求事項、達成条件などの列名）が見つかりません。列を手動で割り当ててください。",
                "No header row (column names such as No., requirement, condition) was found: map the columns by hand.",
            ),
            E::BadMapping { field, value } => Text::new(
                format!("列の割り当ての {field} が正しくありません: {value}"),
                format!("The column mapping's {field} is invalid: {value}"),
            ),
            E::HeaderRowOutside { sheet, row, rows } => Text::new(
                format!("見出し行 {row} はシート「{sheet}」の範囲外です（1〜{rows} 行目から選んでください）。"),
                format!("Header row {row} is outside sheet \"{sheet}\": choose a row from 1 to {rows}."),
            ),
            E::NoRequirementColumn => Text::new(
                "要求事項を読み取る列がありません。No.（番号）、本文（達成条件）または名称の列を割り当ててください。",
                "No column holds the requirements: map a No. (ref), text (condition) or title column.",
            ),
            E::RoleTwice { role, first, second } => {
                let (ja, en) = role.names();
                Text::new(
                    format!(
                        "列 {} と列 {} の両方が「{ja}」になっています。この役割は 1 列だけに割り当ててください。",
                        column_letters(*first),
                        column_letters(*second)
                    ),
                    format!(
                        "Columns {} and {} are both mapped as \"{en}\": give this role to one column only.",
                        column_letters(*first),
                        column_letters(*second)
                    ),
                )
            }
            E::MissingCell { at, field } => {
                Text::new(format!("{}の {field} が空です。", at.ja()), format!("{}: {field} is missing or empty.", capitalise(&at.en())))
            }
            E::BadCellRef { at, id } => Text::new(
                format!("{}の「{id}」は項目の ID として使えません（1〜64 文字、空白なし）。", at.ja()),
                format!("{}: \"{id}\" cannot be used as an id (1-64 characters, no spaces).", capitalise(&at.en())),
            ),
            E::DuplicateRow { at, id, first_row } => Text::new(
                format!("{}の番号「{id}」は {first_row} 行目と重複しています。", at.ja()),
                format!("{}: the number \"{id}\" already appears in row {first_row}.", capitalise(&at.en())),
            ),
            E::UnknownAnswerTarget { at, value, mandatory, optional } => Text::new(
                format!(
                    "{}の回答対象「{value}」は必須（{}）でも任意（{}）でもありません。",
                    at.ja(),
                    mandatory.join("、"),
                    optional.join("、")
                ),
                format!(
                    "{}: the answer target \"{value}\" is neither mandatory ({}) nor optional ({}).",
                    capitalise(&at.en()),
                    mandatory.join(", "),
                    optional.join(", ")
                ),
            ),
            E::UnknownValue { at, what, value } => Text::new(
                format!("{}の {what}「{value}」は使えません。", at.ja()),
                format!("{}: the {what} \"{value}\" is unknown.", capitalise(&at.en())),
            ),
            E::DepthJump { at, previous, depth } => Text::new(
                format!("{}の階層（depth）が {previous} から {depth} に飛んでいます。1 段ずつ深くしてください。", at.ja()),
                format!("{}: the depth jumps from {previous} to {depth}; go one level deeper at a time.", capitalise(&at.en())),
            ),
            E::SheetCatalog { at, source } => {
                let inner = source.text();
                Text::new(format!("{}（{}）", inner.ja, at.ja()), format!("{} (at {})", inner.en, at.en()))
            }
            E::CellTooLongForExcel { ref_id, column, max } => Text::new(
                format!("項目「{ref_id}」の {column} が Excel のセルの上限 {max} 文字を超えるため、xlsx に書き出せません。"),
                format!(
                    "Item \"{ref_id}\": {column} is longer than the {max} characters an Excel cell holds, so it cannot be written to xlsx."
                ),
            ),
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Maps a serde_json error to an error located by JSON path as well as line and column.
pub(crate) fn json_error(bytes: &[u8], e: &serde_json::Error) -> CatalogImportError {
    let (line, column) = (e.line(), e.column());
    let path = json_path_at(bytes, line, column);
    let location = Location { path: (!path.is_empty()).then_some(path), line: Some(line as u64), column: Some(column as u64) };
    let detail = short(&strip_position(&e.to_string()));
    match e.classify() {
        serde_json::error::Category::Eof => CatalogImportError::Truncated { format: Format::Json, location },
        serde_json::error::Category::Data => CatalogImportError::WrongShape { format: Format::Json, location, detail },
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            if detail.contains("recursion limit") {
                CatalogImportError::ResourceLimit { location, detail }
            } else {
                CatalogImportError::Syntax { format: Format::Json, location, detail }
            }
        }
    }
}

/// Maps a serde-saphyr error to an error located by line and column.
pub(crate) fn yaml_error(e: &serde_saphyr::Error) -> CatalogImportError {
    use serde_saphyr::Error as Y;
    let location = e.location().map_or_else(Location::default, |l| Location { path: None, line: Some(l.line()), column: Some(l.column()) });
    let detail = short(&strip_position(&e.to_string()));
    // The parser wraps errors met while replaying an alias or rendering a snippet.
    let mut inner = e;
    while let Y::AliasError { error, .. } | Y::WithSnippet { error, .. } = inner {
        inner = error;
    }
    match inner {
        Y::Eof { .. } => CatalogImportError::Truncated { format: Format::Yaml, location },
        Y::Budget { .. }
        | Y::AliasReplayCounterOverflow { .. }
        | Y::AliasReplayLimitExceeded { .. }
        | Y::AliasExpansionLimitExceeded { .. }
        | Y::AliasReplayStackDepthExceeded { .. } => CatalogImportError::ResourceLimit { location, detail },
        Y::SerdeInvalidType { .. }
        | Y::SerdeInvalidValue { .. }
        | Y::NullIntoString { .. }
        | Y::Unexpected { .. }
        | Y::UnexpectedSequenceEnd { .. }
        | Y::UnexpectedMappingEnd { .. }
        | Y::InvalidScalar { .. }
        | Y::Message { .. } => CatalogImportError::WrongShape { format: Format::Yaml, location, detail },
        _ => CatalogImportError::Syntax { format: Format::Yaml, location, detail },
    }
}

/// A parser message cut to a length a person reads, on one line.
fn short(text: &str) -> String {
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = one_line.chars().take(300).collect();
    if one_line.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// Parsers append " at line L column C" (serde_json) or " at line L, column C" (serde-saphyr)
/// to their messages; the location says it already.
fn strip_position(text: &str) -> String {
    if let Some(i) = text.rfind(" at line ") {
        let tail = &text[i + " at line ".len()..];
        if !tail.is_empty() && tail.chars().all(|c| c.is_ascii_digit() || c == ',' || c == ' ' || "column".contains(c)) {
            return text[..i].to_string();
        }
    }
    text.to_string()
}

enum Frame {
    Object { key: Option<String>, expect_key: bool },
    Array { index: usize },
}

/// The JSON path (`catalog.groups[3].controls[2].id`) of the value being read when a parser
/// stopped at `line` and `column` (1-based, as serde_json counts them: the column is the number
/// of bytes of that line consumed). A small scanner over the bytes before that point that only
/// follows brackets, commas and object keys; it never fails, whatever the input.
pub(crate) fn json_path_at(bytes: &[u8], line: usize, column: usize) -> String {
    let mut line_start = 0;
    let mut seen = 1;
    while seen < line {
        match bytes[line_start..].iter().position(|&b| b == b'\n') {
            Some(i) => {
                line_start += i + 1;
                seen += 1;
            }
            None => break,
        }
    }
    let end = line_start.saturating_add(column).min(bytes.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < end {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                let mut j = start;
                while j < end && bytes[j] != b'"' {
                    j += if bytes[j] == b'\\' { 2 } else { 1 };
                }
                let raw = &bytes[start..j.min(end)];
                if let Some(Frame::Object { key, expect_key }) = stack.last_mut()
                    && *expect_key
                {
                    *key = Some(String::from_utf8_lossy(raw).chars().take(64).collect());
                    *expect_key = false;
                }
                i = j + 1;
                continue;
            }
            b'{' => stack.push(Frame::Object { key: None, expect_key: true }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key, expect_key }) => {
                    *key = None;
                    *expect_key = true;
                }
                None => {}
            },
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => {}
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// The position in `refs` (the catalog's node refs, in order) of the node a check error
/// concerns, when it concerns one.
pub(crate) fn error_position(source: &CatalogError, refs: &[String]) -> Option<usize> {
    match source {
        CatalogError::BadRef { index, .. } | CatalogError::DuplicateRef { index, .. } => index.checked_sub(1),
        CatalogError::UnknownParent { ref_id, .. }
        | CatalogError::ParentNotGroup { ref_id, .. }
        | CatalogError::TooDeep { ref_id, .. }
        | CatalogError::UntitledGroup { ref_id }
        | CatalogError::EmptyRequirement { ref_id }
        | CatalogError::UndeclaredField { ref_id, .. }
        | CatalogError::TextTooLong { ref_id, .. } => refs.iter().position(|r| r == ref_id),
        CatalogError::Header { .. } | CatalogError::TooManyNodes { .. } => None,
    }
}

/// Runs `Catalog::check` on an importer's result. `locations` holds the source location of
/// each node, in the order of `def.nodes`, so that an error can say where its node came from.
pub(crate) fn finish(def: CatalogDef, locations: &[Location], limits: &CatalogImportLimits) -> Result<CatalogDef, CatalogImportError> {
    let refs: Vec<String> = def.nodes.iter().map(|n| n.ref_id.clone()).collect();
    match Catalog::check(def, &limits.catalog_limits()) {
        Ok(catalog) => Ok(catalog.into_def()),
        Err(source) => {
            let location = error_position(&source, &refs).and_then(|i| locations.get(i)).cloned();
            Err(CatalogImportError::Catalog { location: location.unwrap_or_default(), source })
        }
    }
}

/// Limits for checking a catalog before export: any size, but a depth the exporters' recursion
/// can take (far beyond what an import lets in).
pub(crate) fn export_limits() -> CatalogLimits {
    CatalogLimits { max_nodes: usize::MAX, max_depth: 256, max_text_chars: usize::MAX }
}

/// Whether a text can be a node's ref (the rule of `Catalog::check`).
pub(crate) fn valid_ref(text: &str) -> bool {
    !text.is_empty() && text.chars().count() <= 64 && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Whether a text can be a catalog key (the rule of `Catalog::check`).
pub(crate) fn valid_key(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A catalog key made from a title or an id: ASCII letters and digits, lowercased, with runs of
/// anything else turned into one `-`; at most 64 characters. Empty when nothing is left.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    if out.len() > 64 {
        // Cut at a word boundary when there is one.
        let cut = if out.as_bytes()[64] == b'-' { 64 } else { out[..64].rfind('-').unwrap_or(64) };
        out.truncate(cut);
    }
    out.trim_end_matches('-').to_string()
}

/// Attribute key for a node whose parent in the source is a requirement (an OSCAL control
/// enhancement, a CISO Assistant requirement under an assessable node). `Catalog::check` lets
/// only groups be parents, so such a node hangs from its parent's group and names the
/// requirement here; the exporters nest it again.
pub const PARENT_REQUIREMENT: &str = "parent_requirement";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_of_a_type_error() {
        let text = br#"{"catalog": {"groups": [{"id": "a"}, {"controls": [{"id": 3}]}]}}"#;
        let col = text.iter().position(|&b| b == b'3').map(|i| i + 1).unwrap_or_default();
        assert_eq!(json_path_at(text, 1, col), "catalog.groups[1].controls[0].id");
    }

    #[test]
    fn path_scanner_survives_garbage() {
        for input in [&b""[..], b"]]]}}}", b"\"\\", b"{\"a\":[1,2,", b"[[[[", b"\xff\xfe{\"\xff\":"] {
            let _ = json_path_at(input, 3, 999);
            let _ = json_path_at(input, 0, 0);
        }
    }

    #[test]
    fn cell_refs_read_like_excel() {
        assert_eq!(column_letters(1), "A");
        assert_eq!(column_letters(26), "Z");
        assert_eq!(column_letters(27), "AA");
        assert_eq!(column_letters(1001), "ALM");
        assert_eq!(column_letters(0), "");
        let at = CellRef::cell("自己チェック", 12, 3);
        assert_eq!(at.a1().as_deref(), Some("C12"));
        assert_eq!(at.to_string(), "sheet \"自己チェック\", row 12, column C (C12)");
        assert_eq!(at.ja(), "シート「自己チェック」の 12 行目 C 列（C12）");
        assert_eq!(CellRef::default().ja(), "ファイル全体");
        assert_eq!(CellRef { sheet: None, row: Some(4), column: None }.ja(), "4 行目");
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("NIST Special Publication 800-53"), "nist-special-publication-800-53");
        assert_eq!(slug("  ISO/IEC 27001:2013 "), "iso-iec-27001-2013");
        assert_eq!(slug("情報セキュリティ"), "");
        assert!(slug(&"a b ".repeat(100)).len() <= 64);
    }
}
