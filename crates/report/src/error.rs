//! The report error type, with its message in both languages.

use mamori_core::Text;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read the font file {path}: {detail}")]
    FontRead { path: String, detail: String },
    #[error("{path} holds no usable font")]
    NotAFont { path: String },
    /// typst reported errors (or panicked) while typesetting; the messages are typst's.
    #[error("the report could not be typeset: {0}")]
    Typeset(String),
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

impl ReportError {
    pub fn text(&self) -> Text {
        match self {
            ReportError::FontRead { path, detail } => Text::new(
                format!("フォントファイル {path} を読み取れません: {detail}"),
                format!("The font file {path} cannot be read: {detail}"),
            ),
            ReportError::NotAFont { path } => {
                Text::new(format!("{path} は使用できるフォントファイルではありません。"), format!("{path} is not a usable font file."))
            }
            ReportError::Typeset(detail) => {
                Text::new(format!("報告書を組版できません: {detail}"), format!("The report could not be typeset: {detail}"))
            }
            ReportError::Pdf(detail) => {
                Text::new(format!("PDF を作成できません: {detail}"), format!("The PDF could not be written: {detail}"))
            }
        }
    }
}
