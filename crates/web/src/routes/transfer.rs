//! Register export (xlsx, CSV with BOM) and import pages (xlsx or CSV, UTF-8 or Shift_JIS): a
//! preview shows every row's problems and nothing is written until the person confirms; the
//! confirmed import is checked again and written in one transaction. The checks themselves are
//! in `registers_io`, shared with the CLI.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::authz::{Action, Resource};
use mamori_core::register::RegisterType;
use mamori_core::{CoreError, Lang, Text};
use mamori_interop::register_export::{export_csv, export_xlsx};
use mamori_interop::register_import::{ImportLimits, MappedRow, map_to_register, read_table};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::Viewer;
use crate::csrf::check_form_token;
use crate::error::{ErrorKind, WebError};
use crate::i18n::Tr;
use crate::registers_io::{CheckedImport, check_import, export_table};
use crate::routes::FormFields;
use crate::routes::registers::register;
use crate::view::{Nav, render, url_encode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Xlsx,
    Csv,
}

async fn export(state: AppState, viewer: Viewer, key: String, format: Format) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    viewer.authorize(Action::RegisterExport, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let table = export_table(&state.store, &state.library, &viewer.actor, register, viewer.lang).await?;
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

impl ImportPage {
    fn new(viewer: &Viewer, register: &RegisterType) -> ImportPage {
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

    fn with_checked(mut self, checked: CheckedImport, lang: Lang) -> ImportPage {
        self.ok = checked.rows.len() - checked.bad;
        self.bad = checked.bad;
        self.rows = checked
            .rows
            .into_iter()
            .map(|r| PreviewRow { number: r.number, action: r.action.label(lang), title: r.title, errors: r.errors })
            .collect();
        self
    }
}

pub async fn import_form(State(state): State<AppState>, viewer: Viewer, Path(key): Path<String>) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    viewer.authorize(Action::RegisterImport, &Resource::Register { org: viewer.org(), register: register.key() })?;
    Ok(render(&ImportPage::new(&viewer, register)))
}

/// A multipart form with one file: the file's name and bytes and the other (short) fields.
pub(crate) struct Upload {
    pub csrf: String,
    /// The file's name without folder separators: a label for the journal.
    pub filename: String,
    /// The name as the browser sent it (at most 255 characters), for checks that must refuse
    /// a name with folders or `..` rather than repair it.
    pub raw_filename: String,
    pub bytes: Vec<u8>,
    pub fields: std::collections::BTreeMap<String, String>,
}

/// Most text fields, and characters per field, an upload form may carry besides its file.
const MAX_UPLOAD_FIELDS: usize = 32;
const MAX_UPLOAD_FIELD_CHARS: usize = 2_000;

/// Reads a multipart body: the file (at most `limit` bytes), the form token and other fields.
pub(crate) async fn read_upload(mut multipart: Multipart, limit: usize) -> Result<Upload, WebError> {
    let too_large = || WebError::new(ErrorKind::TooLarge, Text::new("ファイルが大きすぎます。", "The file is too large."));
    let (mut csrf, mut filename, mut raw_filename, mut bytes) = (String::new(), String::new(), String::new(), Vec::new());
    let mut fields = std::collections::BTreeMap::new();
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
                // The name is only a label for the journal; keep it short and free of paths.
                filename = field.file_name().unwrap_or("upload").chars().filter(|c| !matches!(c, '/' | '\\' | '\0')).take(200).collect();
                raw_filename = field.file_name().unwrap_or_default().chars().take(255).collect();
                let data = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { WebError::malformed(&e.body_text()) }
                })?;
                if data.len() > limit {
                    return Err(too_large());
                }
                bytes = data.to_vec();
            }
            Some(name) if fields.len() < MAX_UPLOAD_FIELDS => {
                let name = name.chars().take(64).collect::<String>();
                let value = field.text().await.map_err(|e| WebError::malformed(&e.body_text()))?;
                fields.insert(name, value.chars().take(MAX_UPLOAD_FIELD_CHARS).collect());
            }
            Some(_) => return Err(WebError::malformed("too many form fields")),
            None => {}
        }
    }
    Ok(Upload { csrf, filename, raw_filename, bytes, fields })
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

pub async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    multipart: Multipart,
) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    let Upload { csrf, filename, bytes, .. } = read_upload(multipart, state.config.max_import_bytes).await?;
    check_form_token(&viewer, &csrf)?;
    viewer.authorize(Action::RegisterImport, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let mut page = ImportPage::new(&viewer, register);
    let limits = ImportLimits { max_bytes: state.config.max_import_bytes, ..ImportLimits::default() };
    let rows = match read_table(&bytes, &limits) {
        Err(e) => Err(vec![e.text().get(viewer.lang).to_string()]),
        Ok(table) => map_to_register(register, &table)
            .map_err(|problems| problems.iter().map(|p| describe(p.row, p.column.as_deref(), &p.text, viewer.lang)).collect()),
    };
    let rows = match rows {
        Ok(rows) => rows,
        Err(messages) => {
            page.file_errors = messages;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
        }
    };
    let checked = check_import(&state.store, &state.library, &viewer.actor, viewer.lang, register, &rows).await?;
    let all_good = checked.bad == 0 && !rows.is_empty();
    let mut page = page.with_checked(checked, viewer.lang);
    if all_good {
        let batch = uuid::Uuid::now_v7().simple().to_string();
        let stored: Vec<Value> = rows.iter().map(|r| json!({"number": r.number, "id": r.id, "input": r.input})).collect();
        let pending = mamori_store::ImportBatch { register: register.key().to_string(), source: filename, rows: Value::Array(stored) };
        state.store.save_import_batch(viewer.org(), viewer.person.id, &batch, &pending, OffsetDateTime::now_utc()).await?;
        page.batch = Some(batch);
    }
    let status = if page.bad == 0 { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, render(&page)).into_response())
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
    let checked = check_import(&state.store, &state.library, &viewer.actor, viewer.lang, register, &rows).await?;
    if checked.bad > 0 {
        let page = ImportPage::new(&viewer, register).with_checked(checked, viewer.lang);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let count = match state.store.import_records(&viewer.ctx(Action::RegisterImport), register, &checked.writes, &stored.source).await {
        Ok(n) => n,
        Err(mamori_store::StoreError::Core(CoreError::StaleVersion { .. })) => {
            let mut page = ImportPage::new(&viewer, register);
            page.file_errors.push(viewer.tr().get("import-stale"));
            return Ok((StatusCode::CONFLICT, render(&page)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    state.store.delete_import_batch(viewer.org(), viewer.person.id, &batch).await?;
    Ok(Redirect::to(&format!("/registers/{key}?imported={count}")).into_response())
}
