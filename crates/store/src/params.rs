//! A statement's values independent of the driver that runs it: the same list binds to a sqlx
//! query (PostgreSQL, and SQLite commands through the pool) and to a rusqlite statement (the
//! SQLite group writer's direct commands, writer.rs), so the SQL text and the order of its values
//! are written once.

use sqlx::any::AnyArguments;
use sqlx::query::Query;

/// One bound value: the three column kinds Mamori's schema uses.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Int(i64),
    Real(Option<f64>),
    Text(Option<String>),
}

impl Param {
    pub(crate) fn text(value: impl ToString) -> Param {
        Param::Text(Some(value.to_string()))
    }

    pub(crate) fn opt_text(value: Option<impl ToString>) -> Param {
        Param::Text(value.map(|v| v.to_string()))
    }
}

/// Binds `params` to a sqlx query, in order.
pub(crate) fn bind_all<'q>(mut q: Query<'q, sqlx::Any, AnyArguments>, params: Vec<Param>) -> Query<'q, sqlx::Any, AnyArguments> {
    for p in params {
        q = match p {
            Param::Int(i) => q.bind(i),
            Param::Real(r) => q.bind(r),
            Param::Text(t) => q.bind(t),
        };
    }
    q
}

impl rusqlite::ToSql for Param {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        match self {
            Param::Int(i) => i.to_sql(),
            Param::Real(r) => r.to_sql(),
            Param::Text(t) => t.to_sql(),
        }
    }
}
