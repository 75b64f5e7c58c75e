//! The ISMS as data: roles, their permissions and register types, declared in `library/` (YAML)
//! and compiled into the binary. This module parses and checks those files; it never reads disk.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::authz::Grant;
use crate::error::CoreError;
use crate::register::{RegisterType, RegisterTypeDef};
use crate::text::Text;

/// Largest library file accepted (an organisation's own definitions come through the same parser).
const MAX_LIBRARY_FILE: usize = 1024 * 1024;

/// A role's stable key, such as `ciso` or `department_head`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RoleKey(String);

impl RoleKey {
    pub fn parse(text: &str) -> Result<RoleKey, CoreError> {
        let ok = !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if ok {
            Ok(RoleKey(text.to_string()))
        } else {
            Err(CoreError::InvalidValue { field: "role", value: text.chars().take(64).collect() })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RoleKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a role is held within a unit (部門長 of one department) or for the whole organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleScope {
    Organisation,
    Unit,
}

/// A role as declared in `library/roles.yaml`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleDef {
    pub key: RoleKey,
    pub name: Text,
    #[serde(default)]
    pub description: Option<Text>,
    /// Seed lines the role comes from.
    #[serde(default)]
    pub source: Option<String>,
    pub scope: RoleScope,
    /// Privileged roles follow the stricter password and lockout rules (seed 003 L784-822).
    #[serde(default)]
    pub privileged: bool,
    /// Roles of people outside the organisation (委託元, 取引先).
    #[serde(default)]
    pub external: bool,
    #[serde(default)]
    pub grants: Vec<Grant>,
}

impl RoleDef {
    /// Checks that an assignment fits the role's scope: a unit role is held within a unit, an
    /// organisation role is held for the whole organisation.
    pub fn check_assignment(&self, unit: Option<crate::ids::UnitId>) -> Result<(), CoreError> {
        match (self.scope, unit) {
            (RoleScope::Unit, None) => Err(CoreError::RoleScope { role: self.name.clone(), needs_unit: true }),
            (RoleScope::Organisation, Some(_)) => Err(CoreError::RoleScope { role: self.name.clone(), needs_unit: false }),
            _ => Ok(()),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RolesFile {
    roles: Vec<RoleDef>,
}

/// Everything loaded from `library/`.
#[derive(Debug, Clone)]
pub struct Library {
    roles: Vec<RoleDef>,
    registers: BTreeMap<String, RegisterType>,
}

/// The built-in library files, embedded at compile time.
const BUILTIN_ROLES: (&str, &str) = ("library/roles.yaml", include_str!("../../../library/roles.yaml"));
const BUILTIN_REGISTERS: &[(&str, &str)] =
    &[("library/registers/information_assets.yaml", include_str!("../../../library/registers/information_assets.yaml"))];

impl Library {
    /// The library shipped with Mamori.
    pub fn builtin() -> Result<Library, CoreError> {
        Library::from_sources(BUILTIN_ROLES, BUILTIN_REGISTERS)
    }

    /// Parses and checks a roles file and register files given as (file name, content) pairs.
    pub fn from_sources(roles: (&str, &str), registers: &[(&str, &str)]) -> Result<Library, CoreError> {
        let roles_file: RolesFile = parse_yaml(roles.0, roles.1)?;
        let mut seen = std::collections::BTreeSet::new();
        for role in &roles_file.roles {
            if !seen.insert(role.key.clone()) {
                return Err(CoreError::LibraryInvalid {
                    file: roles.0.to_string(),
                    detail: format!("role {} is declared twice", role.key),
                });
            }
        }
        let mut map = BTreeMap::new();
        for (file, content) in registers {
            let def: RegisterTypeDef = parse_yaml(file, content)?;
            let register = RegisterType::compile(def, file)?;
            if map.insert(register.key().to_string(), register).is_some() {
                return Err(CoreError::LibraryInvalid { file: file.to_string(), detail: "register key declared twice".to_string() });
            }
        }
        Ok(Library { roles: roles_file.roles, registers: map })
    }

    pub fn roles(&self) -> &[RoleDef] {
        &self.roles
    }

    pub fn role(&self, key: &RoleKey) -> Option<&RoleDef> {
        self.roles.iter().find(|r| &r.key == key)
    }

    pub fn registers(&self) -> impl Iterator<Item = &RegisterType> {
        self.registers.values()
    }

    pub fn register(&self, key: &str) -> Result<&RegisterType, CoreError> {
        self.registers.get(key).ok_or_else(|| CoreError::UnknownRegister(key.chars().take(64).collect()))
    }
}

fn parse_yaml<T: serde::de::DeserializeOwned>(file: &str, content: &str) -> Result<T, CoreError> {
    if content.len() > MAX_LIBRARY_FILE {
        return Err(CoreError::LibraryInvalid { file: file.to_string(), detail: format!("larger than {MAX_LIBRARY_FILE} bytes") });
    }
    serde_saphyr::from_str(content).map_err(|e| CoreError::LibraryInvalid { file: file.to_string(), detail: e.to_string() })
}
