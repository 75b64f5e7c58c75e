//! Register export (xlsx, CSV with BOM) and import (xlsx or CSV, UTF-8 or Shift_JIS) with a
//! preview that shows every row's problems and writes nothing until the person confirms. The
//! confirmed import is validated again and written in one transaction.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::authz::{Action, RecordFacts, Resource};
use mamori_core::ids::{PersonId, RecordId, UnitId};
use mamori_core::register::{FieldKind, NameLookup, RegisterType};
use mamori_core::{CoreError, Lang, Text};
use mamori_interop::register_export::{RowForExport, export_csv, export_xlsx, register_table};
use mamori_interop::register_import::{ImportLimits, MappedRow, map_to_register, read_table};
use mamori_store::ImportRow;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::Viewer;
use crate::csrf::check_form_token;
use crate::error::{ErrorKind, WebError};
use crate::i18n::Tr;
use crate::routes::FormFields;
use crate::routes::registers::{facts, register};
use crate::view::{Nav, render, url_encode};

/// Most rows one export writes.
const MAX_EXPORT_ROWS: usize = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Csv,
}

async fn export(state: AppState, viewer: Viewer, key: String, format: Format) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    viewer.authorize(Action::RegisterExport, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let visibility = viewer.visibility(register.key());
    let rows = state.store.all_records(&visibility, register.key(), MAX_EXPORT_ROWS).await?;
    let units: HashMap<UnitId, Text> = state.store.units(viewer.org()).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let person_fields: Vec<&str> =
        register.fields().iter().filter(|f| matches!(f.kind, FieldKind::Person)).map(|f| f.key.as_str()).collect();
    let person_ids: Vec<PersonId> = rows
        .iter()
        .flat_map(|r| person_fields.iter().filter_map(|k| r.fields.get(*k).and_then(Value::as_str).and_then(|s| PersonId::parse(s).ok())))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let people = state.store.person_names(viewer.org(), &person_ids).await?;
    let export_rows: Vec<RowForExport> = rows
        .iter()
        .map(|r| {
            let mut display = BTreeMap::new();
            for f in register.fields() {
                let Some(text) = r.fields.get(&f.key).and_then(Value::as_str) else { continue };
                let name = match f.kind {
                    FieldKind::Unit => UnitId::parse(text).ok().and_then(|u| units.get(&u)).map(|t| t.get(viewer.lang).to_string()),
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
    let table = register_table(register, viewer.lang, &export_rows);
    let name = register.name().get(viewer.lang);
    let date = OffsetDateTime::now_utc().date();
    let (bytes, content_type, extension) = match format {
        Format::Xlsx => (
            export_xlsx(name, &table).map_err(|e| WebError::internal(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        Format::Csv => (export_csv(&table), "text/csv; charset=utf-8", "csv"),
    };
    let filename = format!("{name}_{date}.{extension}");
    let disposition = format!("attachment; filename=\"{}.{extension}\"; filename*=UTF-8''{}", register.key(), url_encode(&filename));
    Ok(([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

pub async fn export_xlsx_route(State(state): State<AppState>, viewer: Viewer, Path(key): Path<String>) -> Result<Response, WebError> {
    export(state, viewer, key, Format::Xlsx).await
}

pub async fn export_csv_route(State(state): State<AppState>, viewer: Viewer, Path(key): Path<String>) -> Result<Response, WebError> {
    export(state, viewer, key, Format::Csv).await
}

struct PreviewRow {
    number: usize,
    action: String,
    title: String,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    t: Tr,
    nav: Nav,
    key: String,
    name: String,
    file_errors: Vec<String>,
    rows: Vec<PreviewRow>,
    ok: usize,
    bad: usize,
    batch: Option<String>,
}

fn import_page(viewer: &Viewer, register: &RegisterType) -> ImportPage {
    let t = viewer.tr();
    ImportPage {
        t,
        nav: Nav::new(viewer, "registers"),
        key: register.key().to_string(),
        name: t.text(register.name()).to_string(),
        file_errors: Vec::new(),
        rows: Vec::new(),
        ok: 0,
        bad: 0,
        batch: None,
    }
}

pub async fn import_form(State(state): State<AppState>, viewer: Viewer, Path(key): Path<String>) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    viewer.authorize(Action::RegisterImport, &Resource::Register { org: viewer.org(), register: register.key() })?;
    Ok(render(&import_page(&viewer, register)))
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

/// What checking the rows of a file found: the preview rows and, when all are good, the writes.
struct Checked {
    preview: Vec<PreviewRow>,
    writes: Vec<ImportRow>,
    bad: usize,
}

/// Resolves, validates and authorises every row. Used for the preview and again on commit.
async fn check_rows(state: &AppState, viewer: &Viewer, register: &RegisterType, rows: &[MappedRow]) -> Result<Checked, WebError> {
    let t = viewer.tr();
    let lang = viewer.lang;
    let org = viewer.org();
    let names = Names {
        units: state
            .store
            .units(org)
            .await?
            .into_iter()
            .map(|u| (u.id, vec![u.code.clone(), u.name.ja.clone(), u.name.en.clone()]))
            .collect(),
        people: state.store.people(org).await?.into_iter().map(|p| (p.id, p.email.to_string(), p.display_name)).collect(),
    };
    let directory = state.store.directory(org).await?;
    let mut checked = Checked { preview: Vec::new(), writes: Vec::new(), bad: 0 };
    for row in rows {
        let mut input = row.input.clone();
        register.resolve_names(&mut input, &names);
        let mut errors = Vec::new();
        let existing = match &row.id {
            None => None,
            Some(text) => match RecordId::parse(text) {
                Ok(id) => match state.store.record(org, id).await? {
                    Some(r)
                        if r.register == register.key()
                            && viewer.may(Action::RecordUpdate, &Resource::Record(facts(&r, register.key()))) =>
                    {
                        Some(r)
                    }
                    _ => {
                        errors.push(t.get("import-unknown-id"));
                        None
                    }
                },
                Err(_) => {
                    errors.push(t.get("import-unknown-id"));
                    None
                }
            },
        };
        let mut unchanged = false;
        let title = input.get(&register.def().title_field).map(mamori_core::register::display_plain).unwrap_or_default();
        match register.validate(&input, &directory) {
            Ok(valid) => {
                let action = if existing.is_some() { Action::RecordUpdate } else { Action::RecordCreate };
                let facts = RecordFacts {
                    org,
                    register: register.key(),
                    classification: valid.classification,
                    unit: valid.unit,
                    owner: valid.owner,
                };
                if !viewer.may(action, &Resource::Record(facts)) {
                    errors.push(t.get("import-denied"));
                } else if errors.is_empty() {
                    match &existing {
                        // A row identical to its record changes nothing and journals nothing.
                        Some(r) if r.fields == valid.fields => unchanged = true,
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
        checked.preview.push(PreviewRow {
            number: row.number,
            action: t.get(match (&existing, unchanged) {
                (_, true) => "import-unchanged",
                (Some(_), false) => "import-update",
                (None, false) => "import-create",
            }),
            title,
            errors,
        });
    }
    Ok(checked)
}

/// The uploaded file and the form token from a multipart body.
async fn read_upload(mut multipart: Multipart, limit: usize) -> Result<(String, String, Vec<u8>), WebError> {
    let too_large = || WebError::new(ErrorKind::TooLarge, Text::new("ファイルが大きすぎます。", "The file is too large."));
    let (mut csrf, mut filename, mut bytes) = (String::new(), String::new(), Vec::new());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => return Err(WebError::malformed(&e.body_text())),
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|e| WebError::malformed(&e.body_text()))?,
            Some("file") => {
                filename = field.file_name().unwrap_or("upload").chars().filter(|c| !matches!(c, '/' | '\\' | '\0')).take(200).collect();
                let data = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { WebError::malformed(&e.body_text()) }
                })?;
                if data.len() > limit {
                    return Err(too_large());
                }
                bytes = data.to_vec();
            }
            _ => {}
        }
    }
    Ok((csrf, filename, bytes))
}

pub async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    let (csrf, filename, bytes) = read_upload(multipart, state.config.max_import_bytes).await?;
    check_form_token(&viewer, &csrf)?;
    viewer.authorize(Action::RegisterImport, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let mut page = import_page(&viewer, register);
    let limits = ImportLimits { max_bytes: state.config.max_import_bytes, ..ImportLimits::default() };
    let table = match read_table(&bytes, &limits) {
        Ok(t) => t,
        Err(e) => {
            page.file_errors.push(e.text().get(viewer.lang).to_string());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
    };
    let rows = match map_to_register(register, &table) {
        Ok(rows) => rows,
        Err(problems) => {
            page.file_errors = problems.iter().map(|p| describe(p.row, p.column.as_deref(), &p.text, viewer.lang)).collect();
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
    };
    let checked = check_rows(&state, &viewer, register, &rows).await?;
    page.ok = checked.preview.len() - checked.bad;
    page.bad = checked.bad;
    if checked.bad == 0 && !rows.is_empty() {
        let batch = uuid::Uuid::now_v7().simple().to_string();
        let stored: Vec<Value> = rows.iter().map(|r| json!({"number": r.number, "id": r.id, "input": r.input})).collect();
        let pending =
            mamori_store::ImportBatch { register: register.key().to_string(), source: filename.clone(), rows: Value::Array(stored) };
        state.store.save_import_batch(viewer.org(), viewer.person.id, &batch, &pending, OffsetDateTime::now_utc()).await?;
        page.batch = Some(batch);
    }
    page.rows = checked.preview;
    let status = if page.bad == 0 { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&page)).into_response())
}

fn describe(row: Option<usize>, column: Option<&str>, text: &Text, lang: Lang) -> String {
    let place = match (row, column, lang) {
        (Some(r), Some(c), Lang::Ja) => format!("{r} 行目・列「{c}」: "),
        (Some(r), None, Lang::Ja) => format!("{r} 行目: "),
        (Some(r), Some(c), Lang::En) => format!("Row {r}, column \"{c}\": "),
        (Some(r), None, Lang::En) => format!("Row {r}: "),
        _ => String::new(),
    };
    format!("{place}{}", text.get(lang))
}

pub async fn commit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, batch)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    let register = register(&state, &key)?;
    viewer.authorize(Action::RegisterImport, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let stored = state.store.import_batch(viewer.org(), viewer.person.id, &batch).await?.ok_or_else(WebError::not_found)?;
    if stored.register != register.key() {
        return Err(WebError::not_found());
    }
    let rows: Vec<MappedRow> = stored
        .rows
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| MappedRow {
                    number: r.get("number").and_then(Value::as_u64).unwrap_or(0) as usize,
                    id: r.get("id").and_then(Value::as_str).map(str::to_string),
                    input: r.get("input").and_then(Value::as_object).cloned().unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default();
    // Things may have changed since the preview: check everything again.
    let checked = check_rows(&state, &viewer, register, &rows).await?;
    if checked.bad > 0 {
        let mut page = import_page(&viewer, register);
        page.ok = checked.preview.len() - checked.bad;
        page.bad = checked.bad;
        page.rows = checked.preview;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let count = match state.store.import_records(&viewer.ctx(Action::RegisterImport), register, &checked.writes, &stored.source).await {
        Ok(n) => n,
        Err(mamori_store::StoreError::Core(CoreError::StaleVersion { .. })) => {
            let mut page = import_page(&viewer, register);
            page.file_errors.push(viewer.tr().get("import-stale"));
            return Ok((StatusCode::CONFLICT, render(&page)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    state.store.delete_import_batch(viewer.org(), viewer.person.id, &batch).await?;
    Ok(Redirect::to(&format!("/registers/{key}?imported={count}")).into_response())
}
