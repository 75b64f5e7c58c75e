//! Register exports: a table of display values written as xlsx (bold frozen header, filter,
//! real dates) or CSV (UTF-8 with BOM, CRLF, RFC 4180 quoting).

use std::collections::BTreeMap;

use mamori_core::Lang;
use mamori_core::classification::Confidentiality;
use mamori_core::register::{FieldKind, RegisterType, display_plain};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{Map, Value};

use crate::error::InteropError;

#[derive(Debug, Clone, PartialEq)]
pub enum ExportCell {
    Text(String),
    Number(f64),
    /// A calendar date, `YYYY-MM-DD`.
    Date(String),
    Empty,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExportTable {
    pub headers: Vec<String>,
    pub rows: Vec<Vec<ExportCell>>,
}

/// A stored record with the names of the people and units it refers to already resolved.
#[derive(Debug, Clone)]
pub struct RowForExport {
    pub id: String,
    pub version: i64,
    pub fields: Map<String, Value>,
    pub computed: Map<String, Value>,
    /// Display names for person and unit fields, by field key.
    pub display: BTreeMap<String, String>,
}

/// The columns of a register export: the id, every field, every computed value, with labels in
/// `lang`. Values are written the way the importer reads them back.
pub fn register_table(register: &RegisterType, lang: Lang, rows: &[RowForExport]) -> ExportTable {
    let mut headers = vec!["ID".to_string()];
    headers.extend(register.fields().iter().map(|f| f.label.get(lang).to_string()));
    headers.extend(register.computed_defs().map(|c| c.label.get(lang).to_string()));
    let rows = rows
        .iter()
        .map(|row| {
            let mut cells = vec![ExportCell::Text(row.id.clone())];
            for f in register.fields() {
                let value = row.fields.get(&f.key).unwrap_or(&Value::Null);
                cells.push(if value.is_null() {
                    ExportCell::Empty
                } else {
                    match &f.kind {
                        FieldKind::Number { .. } => value.as_f64().map(ExportCell::Number).unwrap_or(ExportCell::Empty),
                        FieldKind::Date => ExportCell::Date(display_plain(value)),
                        FieldKind::Enum { .. } => ExportCell::Text(
                            register.option_label(&f.key, value).map(|l| l.get(lang).to_string()).unwrap_or_else(|| display_plain(value)),
                        ),
                        FieldKind::Classification => ExportCell::Text(
                            value
                                .as_i64()
                                .and_then(Confidentiality::from_level)
                                .map(|c| c.label().get(lang).to_string())
                                .unwrap_or_default(),
                        ),
                        FieldKind::Boolean => ExportCell::Text(
                            match (value.as_bool(), lang) {
                                (Some(true), Lang::Ja) => "はい",
                                (Some(false), Lang::Ja) => "いいえ",
                                (Some(true), Lang::En) => "yes",
                                (Some(false), Lang::En) => "no",
                                (None, _) => "",
                            }
                            .to_string(),
                        ),
                        FieldKind::Person | FieldKind::Unit => {
                            ExportCell::Text(row.display.get(&f.key).cloned().unwrap_or_else(|| display_plain(value)))
                        }
                        _ => ExportCell::Text(display_plain(value)),
                    }
                });
            }
            for c in register.computed_defs() {
                cells.push(match row.computed.get(&c.key) {
                    Some(Value::Number(n)) => n.as_f64().map(ExportCell::Number).unwrap_or(ExportCell::Empty),
                    Some(v) if !v.is_null() => ExportCell::Text(display_plain(v)),
                    _ => ExportCell::Empty,
                });
            }
            cells
        })
        .collect();
    ExportTable { headers, rows }
}

/// Excel's sheet-name rules: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    let cleaned: String = name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    if cleaned.trim().is_empty() { "Sheet1".to_string() } else { cleaned }
}

fn cell_width(cell: &ExportCell) -> usize {
    match cell {
        // Full-width characters take about two columns.
        ExportCell::Text(t) => t.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum(),
        ExportCell::Number(_) => 8,
        ExportCell::Date(_) => 10,
        ExportCell::Empty => 0,
    }
}

pub fn export_xlsx(sheet: &str, table: &ExportTable) -> Result<Vec<u8>, InteropError> {
    let err = |e: rust_xlsxwriter::XlsxError| InteropError::Write(e.to_string());
    let mut workbook = Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet_name(sheet)).map_err(err)?;
    let bold = Format::new().set_bold().set_background_color("#F2F2F2");
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let mut widths: Vec<usize> = table.headers.iter().map(|h| cell_width(&ExportCell::Text(h.clone()))).collect();
    for (col, header) in table.headers.iter().enumerate() {
        worksheet.write_string_with_format(0, col as u16, header, &bold).map_err(err)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let excel_row = (r + 1) as u32;
        for (c, cell) in row.iter().enumerate() {
            let col = c as u16;
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(cell_width(cell));
            }
            match cell {
                ExportCell::Text(t) => {
                    worksheet.write_string(excel_row, col, t).map_err(err)?;
                }
                ExportCell::Number(n) => {
                    worksheet.write_number(excel_row, col, *n).map_err(err)?;
                }
                ExportCell::Date(d) => match ExcelDateTime::parse_from_str(d) {
                    Ok(date) => {
                        worksheet.write_datetime_with_format(excel_row, col, &date, &date_format).map_err(err)?;
                    }
                    Err(_) => {
                        worksheet.write_string(excel_row, col, d).map_err(err)?;
                    }
                },
                ExportCell::Empty => {}
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        worksheet.set_column_width(c as u16, (*w as f64 + 2.0).clamp(6.0, 60.0)).map_err(err)?;
    }
    worksheet.set_freeze_panes(1, 0).map_err(err)?;
    if !table.headers.is_empty() {
        worksheet.autofilter(0, 0, table.rows.len() as u32, (table.headers.len() - 1) as u16).map_err(err)?;
    }
    workbook.save_to_buffer().map_err(err)
}

/// CSV for Excel in Japan: UTF-8 with a byte-order mark, CRLF line ends, quoted as needed.
pub fn export_csv(table: &ExportTable) -> Vec<u8> {
    let mut out = vec![0xEF, 0xBB, 0xBF];
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    let _ = writer.write_record(&table.headers);
    for row in &table.rows {
        let record: Vec<String> = row
            .iter()
            .map(|c| match c {
                ExportCell::Text(t) | ExportCell::Date(t) => t.clone(),
                ExportCell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
                ExportCell::Number(n) => n.to_string(),
                ExportCell::Empty => String::new(),
            })
            .collect();
        let _ = writer.write_record(&record);
    }
    out.extend(writer.into_inner().unwrap_or_default());
    out
}
