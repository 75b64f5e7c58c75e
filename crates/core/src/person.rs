//! People, e-mail addresses and the roles they hold within units.

use serde::{Deserialize, Serialize};

use crate::error::CoreError;
use crate::ids::{OrgId, PersonId, UnitId};
use crate::library::RoleKey;

/// An e-mail address, trimmed and lower-cased; used as the login name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Email, CoreError> {
        let value = text.trim().to_lowercase();
        let invalid = || CoreError::InvalidEmail(text.chars().take(120).collect());
        if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = value.split_once('@').ok_or_else(invalid)?;
        let domain_ok =
            !domain.is_empty() && !domain.contains('@') && !domain.starts_with('.') && !domain.ends_with('.') && !domain.contains("..");
        if local.is_empty() || local.len() > 64 || !domain_ok {
            return Err(invalid());
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = CoreError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}

impl std::fmt::Display for Email {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One role held by a person, within a unit (a 部門長 of 営業部) or organisation-wide (unit `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleAssignment {
    pub role: RoleKey,
    pub unit: Option<UnitId>,
}

/// The person acting in a request, with everything authorisation needs to decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub org: OrgId,
    pub person: PersonId,
    pub roles: Vec<RoleAssignment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_parsing() {
        let cases = [
            ("Taro.Yamada@Example.co.jp", Some("taro.yamada@example.co.jp")),
            ("  a@b.jp ", Some("a@b.jp")),
            ("no-at-sign", None),
            ("a@@b.jp", None),
            ("@b.jp", None),
            ("a@", None),
            ("a b@c.jp", None),
            ("a@b..jp", None),
        ];
        for (input, expected) in cases {
            assert_eq!(Email::parse(input).ok().as_ref().map(Email::as_str), expected, "input {input:?}");
        }
    }
}
