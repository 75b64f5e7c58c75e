//! The store's error type.

use mamori_core::{CoreError, Text};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use data directory {path}: {detail}")]
    DataDirectory { path: String, detail: String },
    #[error("cannot connect to the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migrate(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// From the SQLite group writer's own connection (writer.rs).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored data is malformed: {0}")]
    Corrupt(String),
    #[error("{0} was not found")]
    NotFound(&'static str),
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error("the commit failed: {0}")]
    CommitFailed(String),
    #[error("not supported: {0}")]
    Unsupported(&'static str),
    #[error(transparent)]
    Evidence(#[from] mamori_core::evidence::EvidenceError),
    /// A submission package signed with another key than the one pinned for the supplier.
    #[error("the package is signed with another key than the supplier's registered one")]
    SigningKeyMismatch,
}

impl StoreError {
    pub(crate) fn from_connect(e: sqlx::Error) -> StoreError {
        StoreError::Connect(e.to_string())
    }

    /// Whether the error is a unique-constraint violation (an email or slug already taken).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db.is_unique_violation(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            StoreError::Duplicate(_) => true,
            _ => false,
        }
    }

    /// A message for a person. Internal failures get a generic text; details go to the log.
    pub fn text(&self) -> Text {
        match self {
            StoreError::Core(e) => e.text(),
            StoreError::Evidence(e) => e.text(),
            StoreError::NotFound(what) => Text::new(format!("見つかりません（{what}）"), format!("Not found ({what})")),
            StoreError::Duplicate(what) => Text::new(format!("すでに存在します（{what}）"), format!("Already exists ({what})")),
            StoreError::SigningKeyMismatch => Text::new(
                "提出パッケージの署名鍵が、この取引先に登録済みの鍵と異なります。取引先に確認してください。",
                "The package is signed with another key than the one registered for this supplier. Check with the supplier.",
            ),
            StoreError::DataDirectory { path, detail } => Text::new(
                format!("データディレクトリ {path} を使用できません: {detail}"),
                format!("Cannot use data directory {path}: {detail}"),
            ),
            StoreError::Connect(detail) => {
                Text::new(format!("データベースに接続できません: {detail}"), format!("Cannot connect to the database: {detail}"))
            }
            _ => Text::new("内部エラーが発生しました。", "An internal error occurred."),
        }
    }
}
