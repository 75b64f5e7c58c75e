//! Register export and import as commands, shared by the pages and the CLI: which rows a person
//! may export, and what an import file's rows would do (resolve names, validate in core,
//! authorise each row in core) before anything is written.

use std::collections::{BTreeMap, HashMap};

use mamori_core::authz::{Action, Decision, RecordFacts, Resource, authorize, visibility};
use mamori_core::ids::{PersonId, RecordId, UnitId};
use mamori_core::library::Library;
use mamori_core::person::Actor;
use mamori_core::register::{FieldKind, NameLookup, RegisterType};
use mamori_core::{CoreError, Lang, Text};
use mamori_interop::register_export::{ExportTable, RowForExport, register_table};
use mamori_interop::register_import::MappedRow;
use mamori_store::{ImportRow, Store};
use serde_json::Value;

use crate::error::WebError;
use crate::i18n::Tr;

/// Most rows one export writes.
pub const MAX_EXPORT_ROWS: usize = 1_000_000;

fn allowed(library: &Library, actor: &Actor, action: Action, resource: &Resource<'_>) -> bool {
    authorize(library, actor, action, resource) == Decision::Allow
}

/// The rows of a register that `actor` may see, as a table with labels in `lang`.
pub async fn export_table(
    store: &Store,
    library: &Library,
    actor: &Actor,
    register: &RegisterType,
    lang: Lang,
) -> Result<ExportTable, WebError> {
    if !allowed(library, actor, Action::RegisterExport, &Resource::Register { org: actor.org, register: register.key() }) {
        return Err(WebError::forbidden());
    }
    let rows = store.all_records(&visibility(library, actor, register.key()), register.key(), MAX_EXPORT_ROWS).await?;
    let units: HashMap<UnitId, Text> = store.units(actor.org).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let person_fields: Vec<&str> =
        register.fields().iter().filter(|f| matches!(f.kind, FieldKind::Person)).map(|f| f.key.as_str()).collect();
    let person_ids: Vec<PersonId> = rows
        .iter()
        .flat_map(|r| person_fields.iter().filter_map(|k| r.fields.get(*k).and_then(Value::as_str).and_then(|s| PersonId::parse(s).ok())))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let people = store.person_names(actor.org, &person_ids).await?;
    let export_rows: Vec<RowForExport> = rows
        .iter()
        .map(|r| {
            let mut display = BTreeMap::new();
            for f in register.fields() {
                let Some(text) = r.fields.get(&f.key).and_then(Value::as_str) else { continue };
                let name = match f.kind {
                    FieldKind::Unit => UnitId::parse(text).ok().and_then(|u| units.get(&u)).map(|t| t.get(lang).to_string()),
                    FieldKind::Person => PersonId::parse(text).ok().and_then(|p| people.get(&p).cloned()),
                    _ => None,
                };
                if let Some(name) = name {
                    display.insert(f.key.clone(), name);
                }
            }
            RowForExport { id: r.id.to_string(), version: r.version, fields: r.fields.clone(), computed: r.computed.clone(), display }
        })
        .collect();
    Ok(register_table(register, lang, &export_rows))
}

/// What an import row would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    Create,
    Update,
    Unchanged,
}

impl RowAction {
    pub fn label(self, lang: Lang) -> String {
        Tr::new(lang).get(match self {
            RowAction::Create => "import-create",
            RowAction::Update => "import-update",
            RowAction::Unchanged => "import-unchanged",
        })
    }
}

/// One row of a checked import, as the preview shows it.
#[derive(Debug, Clone)]
pub struct CheckedRow {
    pub number: usize,
    pub action: RowAction,
    pub title: String,
    /// Problems in the requested language; empty when the row is good.
    pub errors: Vec<String>,
}

/// The result of checking an import: every row's outcome and, for good rows, the writes.
#[derive(Debug, Clone)]
pub struct CheckedImport {
    pub rows: Vec<CheckedRow>,
    pub writes: Vec<ImportRow>,
    pub bad: usize,
}

/// Unit and person names of one organisation, for resolving names in a file.
struct Names {
    units: Vec<(UnitId, Vec<String>)>,
    people: Vec<(PersonId, String, String)>,
}

impl NameLookup for Names {
    fn unit_named(&self, name: &str) -> Option<UnitId> {
        self.units.iter().find(|(_, names)| names.iter().any(|n| n == name)).map(|(id, _)| *id)
    }

    fn person_named(&self, name: &str) -> Option<PersonId> {
        let lower = name.to_lowercase();
        if let Some((id, _, _)) = self.people.iter().find(|(_, email, _)| *email == lower) {
            return Some(*id);
        }
        let mut by_name = self.people.iter().filter(|(_, _, n)| n == name);
        match (by_name.next(), by_name.next()) {
            (Some((id, _, _)), None) => Some(*id),
            _ => None,
        }
    }
}

/// Resolves, validates and authorises every row, writing nothing. Rows with an ID update their
/// record (when it changed); rows without one create a record.
pub async fn check_import(
    store: &Store,
    library: &Library,
    actor: &Actor,
    lang: Lang,
    register: &RegisterType,
    rows: &[MappedRow],
) -> Result<CheckedImport, WebError> {
    if !allowed(library, actor, Action::RegisterImport, &Resource::Register { org: actor.org, register: register.key() }) {
        return Err(WebError::forbidden());
    }
    let t = Tr::new(lang);
    let org = actor.org;
    let names = Names {
        units: store.units(org).await?.into_iter().map(|u| (u.id, vec![u.code.clone(), u.name.ja.clone(), u.name.en.clone()])).collect(),
        people: store.people(org).await?.into_iter().map(|p| (p.id, p.email.to_string(), p.display_name)).collect(),
    };
    let directory = store.directory(org).await?;
    let seeing = visibility(library, actor, register.key());
    let mut checked = CheckedImport { rows: Vec::new(), writes: Vec::new(), bad: 0 };
    for row in rows {
        let mut input = row.input.clone();
        register.resolve_names(&mut input, &names);
        let mut errors = Vec::new();
        let existing = match &row.id {
            None => None,
            Some(text) => {
                let found = match RecordId::parse(text) {
                    Ok(id) => store.record(org, id).await?,
                    Err(_) => None,
                };
                match found {
                    Some(r) if r.register == register.key() && seeing.admits(&crate::routes::facts(&r, register.key())) => Some(r),
                    _ => {
                        errors.push(t.get("import-unknown-id"));
                        None
                    }
                }
            }
        };
        let title = input.get(&register.def().title_field).map(mamori_core::register::display_plain).unwrap_or_default();
        let mut action = if existing.is_some() { RowAction::Update } else { RowAction::Create };
        match register.validate(&input, &directory) {
            Ok(valid) => {
                let needed = if existing.is_some() { Action::RecordUpdate } else { Action::RecordCreate };
                let after = RecordFacts {
                    org,
                    register: register.key(),
                    classification: valid.classification,
                    unit: valid.unit,
                    owner: valid.owner,
                };
                let before_allowed = existing
                    .as_ref()
                    .is_none_or(|r| allowed(library, actor, needed, &Resource::Record(crate::routes::facts(r, register.key()))));
                if !before_allowed || !allowed(library, actor, needed, &Resource::Record(after)) {
                    errors.push(t.get("import-denied"));
                } else if errors.is_empty() {
                    match &existing {
                        // A row identical to its record changes nothing and journals nothing.
                        Some(r) if r.fields == valid.fields => action = RowAction::Unchanged,
                        Some(r) => checked.writes.push(ImportRow::Update { id: r.id, version: r.version, valid }),
                        None => checked.writes.push(ImportRow::Create { id: RecordId::from_uuid(uuid::Uuid::now_v7()), valid }),
                    }
                }
            }
            Err(CoreError::Validation(field_errors)) => errors.extend(field_errors.iter().map(|e| e.message(lang))),
            Err(e) => errors.push(e.message(lang)),
        }
        if !errors.is_empty() {
            checked.bad += 1;
        }
        checked.rows.push(CheckedRow { number: row.number, action, title, errors });
    }
    Ok(checked)
}
