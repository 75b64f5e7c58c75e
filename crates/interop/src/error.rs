//! The interop error type: each variant names what was wrong and where, in both languages.

use mamori_core::Text;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum InteropError {
    #[error("file is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("file has more than {limit} rows")]
    TooManyRows { limit: usize },
    #[error("file has more than {limit} columns")]
    TooManyColumns { limit: usize },
    #[error("not an Excel workbook: {detail}")]
    NotAWorkbook { detail: String },
    #[error("file is neither xlsx nor CSV text")]
    UnsupportedFormat,
    #[error("the file has no header row")]
    MissingHeader,
    #[error("CSV row {row}: {detail}")]
    Csv { row: usize, detail: String },
    #[error("could not write the file: {0}")]
    Write(String),
    /// What the workbook reader found, with its sheet and cell, in both languages.
    #[error("{}", .0.en)]
    Sheet(Text),
}

impl InteropError {
    pub fn text(&self) -> Text {
        match self {
            InteropError::TooLarge { limit } => Text::new(
                format!("ファイルが大きすぎます（上限 {} MB）。", limit / (1024 * 1024)),
                format!("The file is too large (limit {} MB).", limit / (1024 * 1024)),
            ),
            InteropError::TooManyRows { limit } => {
                Text::new(format!("行数が上限（{limit} 行）を超えています。"), format!("The file has more than {limit} rows."))
            }
            InteropError::TooManyColumns { limit } => {
                Text::new(format!("列数が上限（{limit} 列）を超えています。"), format!("The file has more than {limit} columns."))
            }
            InteropError::NotAWorkbook { detail } => Text::new(
                format!("Excel ファイル（xlsx）として読み取れません: {detail}"),
                format!("The file cannot be read as an Excel workbook (xlsx): {detail}"),
            ),
            InteropError::UnsupportedFormat => {
                Text::new("Excel（xlsx）または CSV ファイルを選んでください。", "Choose an Excel (xlsx) or CSV file.")
            }
            InteropError::MissingHeader => Text::new(
                "見出し行がありません。1 行目に項目名を入れてください。",
                "The file has no header row: put the field names in the first row.",
            ),
            InteropError::Csv { row, detail } => {
                Text::new(format!("CSV の {row} 行目を読み取れません: {detail}"), format!("CSV row {row} cannot be read: {detail}"))
            }
            InteropError::Sheet(text) => text.clone(),
            InteropError::Write(detail) => {
                Text::new(format!("ファイルを作成できません: {detail}"), format!("The file could not be written: {detail}"))
            }
        }
    }
}
