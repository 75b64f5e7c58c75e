//! Register imports: reads an xlsx workbook (the first visible sheet) or a CSV file (UTF-8 with or
//! without BOM, or Shift_JIS as Japanese Excel writes it) into a table of text cells, then maps
//! its columns to a register's fields by Japanese label, English label or key. Rows keep the
//! numbers a person sees in Excel, so every problem can name its row and column.

use calamine::Data;
use mamori_core::Text;
use mamori_core::register::RegisterType;
use serde_json::{Map, Value};

use crate::error::InteropError;

/// Bounds on what an import may contain. Configuration with generous defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportLimits {
    pub max_bytes: usize,
    pub max_rows: usize,
    pub max_columns: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        ImportLimits { max_bytes: 64 * 1024 * 1024, max_rows: 100_000, max_columns: 200 }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawRow {
    /// The row's number as Excel or a text editor shows it (1 = the first line of the file).
    pub number: usize,
    pub cells: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RawTable {
    pub header_row: usize,
    pub headers: Vec<String>,
    pub rows: Vec<RawRow>,
}

/// One problem found while reading or mapping a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportProblem {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub text: Text,
}

/// A row mapped to a register: the id column if present, and field values as text.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedRow {
    pub number: usize,
    pub id: Option<String>,
    pub input: Map<String, Value>,
}

const ZIP_MAGIC: &[u8] = b"PK\x03\x04";

/// Reads a file into a table, choosing the reader from its content, not its name.
pub fn read_table(bytes: &[u8], limits: &ImportLimits) -> Result<RawTable, InteropError> {
    if bytes.len() > limits.max_bytes {
        return Err(InteropError::TooLarge { limit: limits.max_bytes });
    }
    let rows = if bytes.starts_with(ZIP_MAGIC) { read_xlsx(bytes, limits)? } else { read_csv(bytes, limits)? };
    let mut rows = rows.into_iter().filter(|r| r.cells.iter().any(|c| !c.trim().is_empty()));
    let header = rows.next().ok_or(InteropError::MissingHeader)?;
    let headers: Vec<String> = header.cells.iter().map(|h| h.trim().to_string()).collect();
    let rows: Vec<RawRow> = rows.collect();
    if rows.len() > limits.max_rows {
        return Err(InteropError::TooManyRows { limit: limits.max_rows });
    }
    Ok(RawTable { header_row: header.number, headers, rows })
}

/// Reads the first visible sheet through the catalog reader, which streams cells and bounds
/// rows, columns and cells as it goes (calamine's whole-range read would allocate a sheet's
/// full extent, 16,384 x 1,048,576 cells for a file with cells at A1 and XFD1048576).
fn read_xlsx(bytes: &[u8], limits: &ImportLimits) -> Result<Vec<RawRow>, InteropError> {
    use crate::catalog_error::{CatalogImportError, SheetBound};
    let sheet_limits = crate::catalog_sheet::SheetLimits {
        max_bytes: limits.max_bytes,
        // The header row comes on top of the data rows.
        max_rows: limits.max_rows.saturating_add(1),
        max_columns: limits.max_columns,
        ..crate::catalog_sheet::SheetLimits::default()
    };
    let workbook = crate::catalog_sheet::read_xlsx(bytes, &sheet_limits).map_err(|e| match e {
        CatalogImportError::TooLarge { limit } => InteropError::TooLarge { limit },
        CatalogImportError::SheetLimit { bound: SheetBound::Rows, .. } => InteropError::TooManyRows { limit: limits.max_rows },
        CatalogImportError::SheetLimit { bound: SheetBound::Columns, .. } => InteropError::TooManyColumns { limit: limits.max_columns },
        CatalogImportError::NotAWorkbook { detail } => InteropError::NotAWorkbook { detail },
        other => InteropError::Sheet(other.text()),
    })?;
    let sheet = workbook
        .sheets
        .into_iter()
        .find(|s| !s.hidden)
        .ok_or_else(|| InteropError::NotAWorkbook { detail: "no visible worksheet".to_string() })?;
    Ok(sheet.rows.into_iter().enumerate().map(|(i, cells)| RawRow { number: i + 1, cells }).collect())
}

/// A cell as text: integers without ".0", dates as YYYY-MM-DD.
pub(crate) fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "true" } else { "false" }.to_string(),
        Data::DateTime(d) => serial_to_date(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
    }
}

/// An Excel serial day number (1900 system, day 0 = 1899-12-30) as YYYY-MM-DD.
pub(crate) fn serial_to_date(serial: f64) -> String {
    if !serial.is_finite() || !(1.0..=2_958_465.0).contains(&serial) {
        return String::new();
    }
    // Days from 1970-01-01, then the civil-from-days algorithm.
    let z = serial.floor() as i64 - 25_569 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

pub(crate) fn decode_text(bytes: &[u8]) -> Result<String, InteropError> {
    let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF][..]).unwrap_or(bytes);
    let text = match std::str::from_utf8(body) {
        Ok(s) => s.to_string(),
        Err(_) => {
            let (decoded, _, had_errors) = encoding_rs::SHIFT_JIS.decode(body);
            if had_errors {
                return Err(InteropError::UnsupportedFormat);
            }
            decoded.into_owned()
        }
    };
    // Text files hold no NUL or other C0 control characters besides tab and line ends.
    if text.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(InteropError::UnsupportedFormat);
    }
    Ok(text)
}

fn read_csv(bytes: &[u8], limits: &ImportLimits) -> Result<Vec<RawRow>, InteropError> {
    let text = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record
            .map_err(|e| InteropError::Csv { row: e.position().map(|p| p.line() as usize).unwrap_or(i + 1), detail: e.to_string() })?;
        if record.len() > limits.max_columns {
            return Err(InteropError::TooManyColumns { limit: limits.max_columns });
        }
        if rows.len() > limits.max_rows + 1 {
            return Err(InteropError::TooManyRows { limit: limits.max_rows });
        }
        let number = record.position().map(|p| p.line() as usize).unwrap_or(i + 1);
        rows.push(RawRow { number, cells: record.iter().map(str::to_string).collect() });
    }
    Ok(rows)
}

fn normalise_header(h: &str) -> String {
    h.trim().trim_end_matches(['*', '※']).trim().to_lowercase()
}

/// Maps a table's columns to the register's fields and its rows to validation input.
pub fn map_to_register(register: &RegisterType, table: &RawTable) -> Result<Vec<MappedRow>, Vec<ImportProblem>> {
    let mut problems = Vec::new();
    let mut id_column = None;
    let mut columns: Vec<(usize, String)> = Vec::new();
    for (i, header) in table.headers.iter().enumerate() {
        let h = normalise_header(header);
        if h.is_empty() {
            continue;
        }
        if h == "id" {
            id_column = Some(i);
            continue;
        }
        let field =
            register.fields().iter().find(|f| normalise_header(&f.label.ja) == h || normalise_header(&f.label.en) == h || f.key == h);
        let computed =
            register.computed_defs().any(|c| normalise_header(&c.label.ja) == h || normalise_header(&c.label.en) == h || c.key == h);
        match field {
            Some(f) if columns.iter().any(|(_, k)| *k == f.key) => problems.push(ImportProblem {
                row: Some(table.header_row),
                column: Some(header.clone()),
                text: Text::new(format!("列「{header}」が 2 回あります。"), format!("The column \"{header}\" appears twice.")),
            }),
            Some(f) => columns.push((i, f.key.clone())),
            None if computed => {} // computed values are recalculated, never imported
            None => problems.push(ImportProblem {
                row: Some(table.header_row),
                column: Some(header.clone()),
                text: Text::new(
                    format!("列「{header}」はこの台帳の項目ではありません。"),
                    format!("The column \"{header}\" is not a field of this register."),
                ),
            }),
        }
    }
    for f in register.fields().iter().filter(|f| f.required) {
        if !columns.iter().any(|(_, k)| *k == f.key) {
            problems.push(ImportProblem {
                row: Some(table.header_row),
                column: None,
                text: Text::new(
                    format!("必須項目「{}」の列がありません。", f.label.ja),
                    format!("The required column \"{}\" is missing.", f.label.en),
                ),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(table
        .rows
        .iter()
        .map(|row| {
            let cell = |i: usize| row.cells.get(i).map(|c| c.trim()).unwrap_or_default();
            let input = columns
                .iter()
                .filter(|(i, _)| !cell(*i).is_empty())
                .map(|(i, key)| (key.clone(), Value::String(cell(*i).to_string())))
                .collect();
            MappedRow { number: row.number, id: id_column.map(|i| cell(i).to_string()).filter(|s| !s.is_empty()), input }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_dates() {
        let cases =
            [(45_383.0, "2024-04-01"), (1.0, "1899-12-31"), (25_569.0, "1970-01-01"), (46_350.5, "2026-11-24"), (0.0, ""), (f64::NAN, "")];
        for (serial, expected) in cases {
            assert_eq!(serial_to_date(serial), expected, "serial {serial}");
        }
    }
}
