//! Typed identifiers: one type per aggregate, so a `RecordId` can never be passed as a `PersonId`.
//!
//! Ids are UUIDv7 (time-ordered, so new rows append to the end of an index) created by the caller
//! and stored as text by both database engines.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

use crate::error::CoreError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a freshly generated UUID; callers outside `core` supply it (core has no randomness).
            pub fn from_uuid(uuid: Uuid) -> Self {
                $name(uuid)
            }

            pub fn as_uuid(&self) -> Uuid {
                self.0
            }

            pub fn parse(text: &str) -> Result<Self, CoreError> {
                Uuid::try_parse(text.trim())
                    .map($name)
                    .map_err(|_| CoreError::InvalidId { kind: $kind, value: text.chars().take(64).collect() })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = CoreError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

id_type!(
    /// An organisation (tenant). Every row, session, file and decision carries one.
    OrgId, "organisation");
id_type!(
    /// A person: an employee, auditor, a buyer's or supplier's staff member.
    PersonId, "person");
id_type!(
    /// An organisational unit (部門).
    UnitId, "unit");
id_type!(
    /// A record in a register (an asset, a training record, ...).
    RecordId, "record");
id_type!(
    /// A personal API token.
    TokenId, "token");
