//! Mamori's ISMS domain: the value types, rules and decisions that every other crate relies on.
//!
//! This crate is pure. It does no I/O, holds no clock and draws no random numbers: time, ids and
//! salts are passed in. Everything a seed document says that can become a rule becomes one here,
//! so that `store` only records and `web` only enforces what `core` decided.

pub mod assessment;
pub mod authz;
pub mod catalog;
pub mod classification;
pub mod error;
pub mod evidence;
pub mod expr;
pub mod ids;
pub mod journal;
pub mod library;
pub mod password;
pub mod person;
pub mod register;
pub mod search;
pub mod text;

pub use error::CoreError;
pub use text::{Lang, Text};
