//! The ISMS as data: roles, their permissions and register types, declared in `library/` (YAML)
//! and compiled into the binary. This module parses and checks those files; it never reads disk.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::assessment::{AnswerScale, AssessmentLibraryDef, ScoringRules, ScoringRulesDef};
use crate::authz::Grant;
use crate::catalog::{Catalog, CatalogDef, CatalogLimits, MappingDef, check_mapping, parse_catalog_ref};
use crate::error::CoreError;
use crate::register::{RegisterType, RegisterTypeDef};
use crate::text::Text;

/// The gap rule of a library without an assessments file.
const DEFAULT_GAP_RULE: &str = r#"mandatory && (!answered || meaning == "not_met")"#;

/// Largest library file accepted (an organisation's own definitions come through the same parser).
const MAX_LIBRARY_FILE: usize = 4 * 1024 * 1024;

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
    catalogs: Vec<std::sync::Arc<Catalog>>,
    mappings: Vec<MappingDef>,
    scales: Vec<AnswerScale>,
    scoring: ScoringRules,
}

/// The built-in library files, embedded at compile time.
const BUILTIN_ROLES: (&str, &str) = ("library/roles.yaml", include_str!("../../../library/roles.yaml"));
const BUILTIN_REGISTERS: &[(&str, &str)] =
    &[("library/registers/information_assets.yaml", include_str!("../../../library/registers/information_assets.yaml"))];

/// Answer scales and scoring rules (`library/assessments.yaml`).
const BUILTIN_ASSESSMENTS: (&str, &str) = ("library/assessments.yaml", include_str!("../../../library/assessments.yaml"));

/// The built-in catalogs (`library/catalogs/`), one file per edition.
const BUILTIN_CATALOGS: &[(&str, &str)] = &[
    ("library/catalogs/kubota-supplier-2.0.yaml", include_str!("../../../library/catalogs/kubota-supplier-2.0.yaml")),
    ("library/catalogs/abs-operation-rules-2025.yaml", include_str!("../../../library/catalogs/abs-operation-rules-2025.yaml")),
    ("library/catalogs/space-contractor-checklist-9-1.yaml", include_str!("../../../library/catalogs/space-contractor-checklist-9-1.yaml")),
    ("library/catalogs/seed003-regulations.yaml", include_str!("../../../library/catalogs/seed003-regulations.yaml")),
    ("library/catalogs/seed001-regulations.yaml", include_str!("../../../library/catalogs/seed001-regulations.yaml")),
    ("library/catalogs/iso27001-2013.yaml", include_str!("../../../library/catalogs/iso27001-2013.yaml")),
    ("library/catalogs/iso27001-2022.yaml", include_str!("../../../library/catalogs/iso27001-2022.yaml")),
    ("library/catalogs/nist-csf-2.0.yaml", include_str!("../../../library/catalogs/nist-csf-2.0.yaml")),
];

/// The built-in mappings between catalogs (`library/mappings/`).
const BUILTIN_MAPPINGS: &[(&str, &str)] = &[
    ("library/mappings/iso27001-2013-to-2022.yaml", include_str!("../../../library/mappings/iso27001-2013-to-2022.yaml")),
    (
        "library/mappings/seed003-chapters-to-nist-csf-2.0.yaml",
        include_str!("../../../library/mappings/seed003-chapters-to-nist-csf-2.0.yaml"),
    ),
];

impl Library {
    /// The library shipped with Mamori.
    pub fn builtin() -> Result<Library, CoreError> {
        Library::from_sources(BUILTIN_ROLES, BUILTIN_REGISTERS)?
            .with_assessments(BUILTIN_ASSESSMENTS)?
            .with_catalogs(BUILTIN_CATALOGS, BUILTIN_MAPPINGS)
    }

    /// Replaces the answer scales and scoring rules with those of an assessments file. Scale
    /// keys are unique and every scale passes its check.
    pub fn with_assessments(mut self, (file, content): (&str, &str)) -> Result<Library, CoreError> {
        let def: AssessmentLibraryDef = parse_yaml(file, content)?;
        let invalid = |detail: String| CoreError::LibraryInvalid { file: file.to_string(), detail };
        let mut keys = std::collections::BTreeSet::new();
        for scale in &def.scales {
            scale.check().map_err(|e| invalid(e.to_string()))?;
            if !keys.insert(scale.key.clone()) {
                return Err(invalid(format!("answer scale {} is declared twice", scale.key)));
            }
        }
        self.scoring = ScoringRules::compile(&def.scoring).map_err(|e| invalid(e.to_string()))?;
        self.scales = def.scales;
        Ok(self)
    }

    /// The answer scales, in file order.
    pub fn scales(&self) -> &[AnswerScale] {
        &self.scales
    }

    pub fn scale(&self, key: &str) -> Option<&AnswerScale> {
        self.scales.iter().find(|s| s.key == key)
    }

    /// The scale an assessment of `catalog` starts with: the catalog's own choice, else the
    /// first scale of the library.
    pub fn scale_for(&self, catalog: &Catalog) -> Option<&AnswerScale> {
        catalog.def().answer_scale.as_deref().and_then(|k| self.scale(k)).or_else(|| self.scales.first())
    }

    pub fn scoring(&self) -> &ScoringRules {
        &self.scoring
    }

    /// Adds catalogs and mappings given as (file name, content) pairs. Every mapping must name
    /// catalogs of this library and refs that exist in them.
    pub fn with_catalogs(mut self, catalogs: &[(&str, &str)], mappings: &[(&str, &str)]) -> Result<Library, CoreError> {
        for (file, content) in catalogs {
            let def: CatalogDef = parse_yaml(file, content)?;
            let catalog = Catalog::check(def, &CatalogLimits::default())
                .map_err(|e| CoreError::LibraryInvalid { file: file.to_string(), detail: e.to_string() })?;
            if self.catalog(catalog.key(), Some(catalog.edition())).is_some() {
                return Err(CoreError::LibraryInvalid { file: file.to_string(), detail: "catalog edition declared twice".to_string() });
            }
            if let Some(scale) = &catalog.def().answer_scale
                && !self.scales.is_empty()
                && self.scale(scale).is_none()
            {
                return Err(CoreError::LibraryInvalid { file: file.to_string(), detail: format!("unknown answer scale {scale}") });
            }
            self.catalogs.push(std::sync::Arc::new(catalog));
        }
        for (file, content) in mappings {
            let def: MappingDef = parse_yaml(file, content)?;
            let side = |text: &str| {
                let (key, edition) = parse_catalog_ref(text);
                self.catalog(key, edition).ok_or_else(|| CoreError::LibraryInvalid {
                    file: file.to_string(),
                    detail: format!("mapping names catalog {text:?}, which the library does not have"),
                })
            };
            let (source, target) = (side(&def.source)?, side(&def.target)?);
            check_mapping(&def, source, target).map_err(|e| CoreError::LibraryInvalid { file: file.to_string(), detail: e.to_string() })?;
            self.mappings.push(def);
        }
        Ok(self)
    }

    /// The built-in catalogs, in file order.
    pub fn catalogs(&self) -> &[std::sync::Arc<Catalog>] {
        &self.catalogs
    }

    /// A catalog by key, and edition when given (else the last edition declared).
    pub fn catalog(&self, key: &str, edition: Option<&str>) -> Option<&std::sync::Arc<Catalog>> {
        self.catalogs.iter().rev().find(|c| c.key() == key && edition.is_none_or(|e| c.edition() == e))
    }

    pub fn mappings(&self) -> &[MappingDef] {
        &self.mappings
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
        let scoring = ScoringRules::compile(&ScoringRulesDef { gap: DEFAULT_GAP_RULE.to_string() })?;
        Ok(Library { roles: roles_file.roles, registers: map, catalogs: Vec::new(), mappings: Vec::new(), scales: Vec::new(), scoring })
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
