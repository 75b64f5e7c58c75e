//! The core error type. Every variant a user can cause carries a Japanese and an English message
//! naming the bad value and where it was.

use crate::register::FieldError;
use crate::text::{Lang, Text};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoreError {
    #[error("invalid {kind} id: {value:?}")]
    InvalidId { kind: &'static str, value: String },

    #[error("library file {file}: {detail}")]
    LibraryInvalid { file: String, detail: String },

    #[error("unknown register type {0:?}")]
    UnknownRegister(String),

    #[error("record failed validation: {} field error(s)", .0.len())]
    Validation(Vec<FieldError>),

    #[error("expression {source_text:?} does not compile: {detail}")]
    ExpressionCompile { source_text: String, detail: String },

    #[error("expression {source_text:?} failed: {detail}")]
    ExpressionEval { source_text: String, detail: String },

    #[error("password rejected: {0:?}")]
    PasswordRejected(Vec<crate::password::PasswordProblem>),

    #[error("invalid e-mail address {0:?}")]
    InvalidEmail(String),

    #[error("invalid value for {field}: {value:?}")]
    InvalidValue { field: &'static str, value: String },

    #[error("record was changed by someone else (expected version {expected}, found {found})")]
    StaleVersion { expected: i64, found: i64 },

    #[error("role {role:?} assigned with the wrong scope")]
    RoleScope { role: Text, needs_unit: bool },

    #[error("journal event could not be encoded: {0}")]
    Encoding(String),
}

impl CoreError {
    /// The message a person reads, in their language.
    pub fn message(&self, lang: Lang) -> String {
        self.text().get(lang).to_string()
    }

    pub fn text(&self) -> Text {
        match self {
            CoreError::InvalidId { kind, value } => {
                Text::new(format!("ID の形式が正しくありません（{kind}）: {value}"), format!("Invalid {kind} id: {value}"))
            }
            CoreError::LibraryInvalid { file, detail } => Text::new(
                format!("ライブラリ定義 {file} に誤りがあります: {detail}"),
                format!("Library definition {file} is invalid: {detail}"),
            ),
            CoreError::UnknownRegister(key) => {
                Text::new(format!("台帳の種類「{key}」は存在しません"), format!("There is no register type \"{key}\""))
            }
            CoreError::Validation(errors) => {
                let ja: Vec<String> = errors.iter().map(|e| e.message(Lang::Ja)).collect();
                let en: Vec<String> = errors.iter().map(|e| e.message(Lang::En)).collect();
                Text::new(format!("入力内容に誤りがあります: {}", ja.join(" / ")), format!("The record has errors: {}", en.join(" / ")))
            }
            CoreError::ExpressionCompile { source_text, detail } => Text::new(
                format!("計算式「{source_text}」を解釈できません: {detail}"),
                format!("Expression \"{source_text}\" does not compile: {detail}"),
            ),
            CoreError::ExpressionEval { source_text, detail } => Text::new(
                format!("計算式「{source_text}」の評価に失敗しました: {detail}"),
                format!("Expression \"{source_text}\" failed: {detail}"),
            ),
            CoreError::PasswordRejected(problems) => {
                let ja: Vec<String> = problems.iter().map(|p| p.text().ja).collect();
                let en: Vec<String> = problems.iter().map(|p| p.text().en).collect();
                Text::new(ja.join(" "), en.join(" "))
            }
            CoreError::InvalidEmail(value) => {
                Text::new(format!("メールアドレスの形式が正しくありません: {value}"), format!("Not a valid e-mail address: {value}"))
            }
            CoreError::InvalidValue { field, value } => {
                Text::new(format!("{field} の値が正しくありません: {value}"), format!("Invalid value for {field}: {value}"))
            }
            CoreError::StaleVersion { expected, found } => Text::new(
                format!("この記録は他の人によって更新されています（版 {expected} を編集中、現在は版 {found}）。再読み込みしてください。"),
                format!(
                    "Someone else changed this record (you edited version {expected}, it is now version {found}). Reload and try again."
                ),
            ),
            CoreError::RoleScope { role, needs_unit: true } => Text::new(
                format!("役割「{}」は部門を指定して付与してください。", role.ja),
                format!("Grant the role \"{}\" within a unit.", role.en),
            ),
            CoreError::RoleScope { role, needs_unit: false } => Text::new(
                format!("役割「{}」は全社に対して付与します。部門は指定しないでください。", role.ja),
                format!("The role \"{}\" is held for the whole organisation; choose no unit.", role.en),
            ),
            CoreError::Encoding(detail) => {
                Text::new(format!("記録を符号化できません: {detail}"), format!("The record could not be encoded: {detail}"))
            }
        }
    }
}
