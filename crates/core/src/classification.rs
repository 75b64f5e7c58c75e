//! Information classification and the C/I/A valuation scales of seed 003 chapter 3 (L299-361).
//!
//! Confidentiality has three levels, integrity and availability two; they are separate types so
//! that an integrity of 3 cannot be written down anywhere.

use serde::{Deserialize, Serialize};

use crate::text::Text;

/// 機密性 (confidentiality) and the classification label shown on every record: 3 極秘, 2 社外秘, 1 公開.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub enum Confidentiality {
    /// 1 公開: leakage has almost no effect on the business (003 L327).
    Public = 1,
    /// 2 社外秘: leakage may hinder the business (003 L325).
    Internal = 2,
    /// 3 極秘: legally protected, under confidentiality duty, trade secret, or grave on leakage (003 L307-323).
    Secret = 3,
}

impl Confidentiality {
    pub const ALL: [Confidentiality; 3] = [Self::Public, Self::Internal, Self::Secret];

    pub fn from_level(level: i64) -> Option<Confidentiality> {
        match level {
            1 => Some(Self::Public),
            2 => Some(Self::Internal),
            3 => Some(Self::Secret),
            _ => None,
        }
    }

    pub fn level(self) -> i64 {
        self as i64
    }

    pub fn label(self) -> Text {
        match self {
            Self::Public => Text::new("公開", "Public"),
            Self::Internal => Text::new("社外秘", "Internal"),
            Self::Secret => Text::new("極秘", "Secret"),
        }
    }
}

impl TryFrom<i64> for Confidentiality {
    type Error = String;
    fn try_from(level: i64) -> Result<Self, Self::Error> {
        Self::from_level(level).ok_or_else(|| format!("confidentiality must be 1, 2 or 3, not {level}"))
    }
}

impl From<Confidentiality> for i64 {
    fn from(c: Confidentiality) -> i64 {
        c.level()
    }
}

macro_rules! two_level {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "i64", into = "i64")]
        pub enum $name {
            /// 1: almost no effect on the business.
            Low = 1,
            /// 2: may hinder the continuity or promotion of the business.
            High = 2,
        }

        impl $name {
            pub fn from_level(level: i64) -> Option<$name> {
                match level {
                    1 => Some(Self::Low),
                    2 => Some(Self::High),
                    _ => None,
                }
            }

            pub fn level(self) -> i64 {
                self as i64
            }
        }

        impl TryFrom<i64> for $name {
            type Error = String;
            fn try_from(level: i64) -> Result<Self, Self::Error> {
                Self::from_level(level).ok_or_else(|| format!(concat!($what, " must be 1 or 2, not {}"), level))
            }
        }

        impl From<$name> for i64 {
            fn from(v: $name) -> i64 {
                v.level()
            }
        }
    };
}

two_level!(
    /// 完全性 (integrity), 2 or 1 (003 L339-347).
    Integrity, "integrity");
two_level!(
    /// 可用性 (availability), 2 or 1 (003 L351-361).
    Availability, "availability");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrity_cannot_be_three() {
        assert!(Integrity::from_level(3).is_none());
        assert!(serde_json::from_str::<Integrity>("3").is_err());
        assert_eq!(serde_json::from_str::<Integrity>("2").ok(), Some(Integrity::High));
        assert_eq!(serde_json::from_str::<Confidentiality>("3").ok(), Some(Confidentiality::Secret));
        assert!(serde_json::from_str::<Availability>("0").is_err());
    }

    #[test]
    fn confidentiality_orders_by_level() {
        assert!(Confidentiality::Secret > Confidentiality::Internal);
        assert_eq!(Confidentiality::Internal.label().ja, "社外秘");
    }
}
