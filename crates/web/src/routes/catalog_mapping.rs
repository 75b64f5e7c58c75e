//! The mapping step of a spreadsheet catalog import (catalog.import): a table uploaded on the
//! import page is kept server-side for its uploader (`Store::save_catalog_upload`, with its
//! SHA-256, for a day) and only its random id travels in the URL. The page shows the sheet, the
//! header row, the first data rows and one role per column, preselected from the mapping saved
//! for this layout or else guessed; the person may choose another sheet or header row (a GET
//! that proposes again) or change roles, and confirms. The confirmation checks the form token,
//! the right to import and the upload's organisation and person again, reads the table with the
//! chosen mapping, and stores the catalog and the mapping for its layout in one transaction.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::Text;
use mamori_core::authz::{Action, Resource};
use mamori_interop::CatalogImportLimits;
use mamori_interop::catalog_error::column_letters;
use mamori_interop::catalog_sheet::{
    ColumnMapping, ColumnRole, MappingProposal, SheetGrid, Workbook, mapping_from_roles, propose_mapping, read_workbook,
};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;

use super::FormFields;
use super::transfer::Upload;
use crate::AppState;
use crate::auth::Viewer;
use crate::catalogs_io::{self, MappedTable, SheetHeader};
use crate::error::{ErrorKind, WebError};
use crate::i18n::Tr;
use crate::view::{Nav, path_segment, render};

/// Columns the step shows at most; columns further right are not read.
const MAX_COLUMNS: usize = 100;
/// Data rows previewed below the header row.
const PREVIEW_ROWS: usize = 5;
/// Rows below the header row whose width counts for the number of columns shown.
const WIDTH_ROWS: usize = 50;
/// Characters of a cell shown in the preview.
const PREVIEW_CHARS: usize = 80;

fn limits(state: &AppState) -> CatalogImportLimits {
    CatalogImportLimits { max_bytes: state.config.max_import_bytes, ..Default::default() }
}

/// Keeps an uploaded table for the mapping step and sends the person there. The workbook was
/// read already, and a mapping can be proposed for it (a workbook with no cells at all is
/// refused here, on the import page).
pub(super) async fn start(state: &AppState, viewer: &Viewer, upload: &Upload, workbook: &Workbook) -> Result<Response, WebError> {
    viewer.authorize(Action::CatalogImport, &Resource::Organisation(viewer.org()))?;
    propose_mapping(workbook, &[], None).map_err(|e| catalogs_io::import_error(&e))?;
    let id = uuid::Uuid::now_v7().simple().to_string();
    let field = |k: &str| upload.fields.get(k).cloned().unwrap_or_default();
    let fields = json!({"key": field("key"), "name": field("name"), "edition": field("edition")});
    let staged = mamori_store::NewCatalogUpload {
        id: &id,
        file_name: &upload.filename,
        content: &upload.bytes,
        fields: &fields,
        at: OffsetDateTime::now_utc(),
    };
    state.store.save_catalog_upload(viewer.org(), viewer.person.id, &staged).await?;
    Ok(Redirect::to(&format!("/catalog-imports/{}", path_segment(&id))).into_response())
}

/// An upload of this viewer, read again; `None` when it is unknown, another person's or
/// organisation's, or expired.
struct Staged {
    file_name: String,
    workbook: Workbook,
    header: SheetHeader,
}

async fn staged(state: &AppState, viewer: &Viewer, id: &str) -> Result<Option<Staged>, WebError> {
    let Some(upload) = state.store.catalog_upload(viewer.org(), viewer.person.id, id, OffsetDateTime::now_utc()).await? else {
        return Ok(None);
    };
    let workbook = read_workbook(&upload.content, &(&limits(state)).into()).map_err(|e| catalogs_io::import_error(&e))?;
    let field = |k: &str| upload.fields.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
    let header = SheetHeader { key: field("key"), edition: field("edition"), name: field("name") };
    Ok(Some(Staged { file_name: upload.file_name, workbook, header }))
}

/// The import page again, saying the upload is gone: nothing to import, nothing stored.
async fn expired(state: &AppState, viewer: &Viewer) -> Result<Response, WebError> {
    let text = Text::new(
        "アップロードしたファイルが見つからないか、保存期間（1 日）が過ぎました。もう一度ファイルを選んでください。",
        "The uploaded file is not there or was kept longer than a day: choose the file again.",
    );
    let page = super::catalogs::import_page(state, viewer, vec![text.get(viewer.lang).to_string()], &Default::default()).await?;
    Ok((StatusCode::NOT_FOUND, render(&page)).into_response())
}

struct ColumnRow {
    column: usize,
    letter: String,
    header: String,
    /// The first non-empty value below the header, shortened.
    sample: String,
    role: &'static str,
}

#[derive(Template)]
#[template(path = "catalog_mapping.html")]
struct MappingPage {
    t: Tr,
    nav: Nav,
    id: String,
    file_name: String,
    errors: Vec<String>,
    /// (name, label) of every sheet.
    sheets: Vec<(String, String)>,
    sheet: String,
    header_row: usize,
    /// Rows of the chosen sheet.
    rows: usize,
    saved: bool,
    unrecognised: bool,
    /// (key, label) of every role.
    roles: Vec<(&'static str, String)>,
    columns: Vec<ColumnRow>,
    /// (row number, cells) of the first data rows.
    preview: Vec<(usize, Vec<String>)>,
    key: String,
    name: String,
    edition: String,
}

fn shorten(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > PREVIEW_CHARS { format!("{}…", flat.chars().take(PREVIEW_CHARS).collect::<String>()) } else { flat }
}

/// How many columns the step shows for a header row: the widest of the header row and the rows
/// below it, at most [`MAX_COLUMNS`]. The page and its confirmation count them the same way.
fn width(sheet: &SheetGrid, header_row: usize) -> usize {
    let from = header_row.saturating_sub(1);
    sheet.rows.iter().skip(from).take(WIDTH_ROWS + 1).map(Vec::len).max().unwrap_or(0).min(MAX_COLUMNS)
}

/// What the page shows besides the upload: the sheet, header row and roles in play.
struct Choice<'a> {
    sheet: &'a SheetGrid,
    header_row: usize,
    roles: Vec<ColumnRole>,
    saved: bool,
    unrecognised: bool,
}

impl<'a> Choice<'a> {
    fn of(workbook: &'a Workbook, proposal: MappingProposal) -> Option<Choice<'a>> {
        let m: &ColumnMapping = &proposal.mapping;
        let sheet = workbook.sheet(&m.sheet)?;
        let roles = (1..=width(sheet, m.header_row)).map(|c| m.role_of_column(c)).collect();
        Some(Choice { sheet, header_row: m.header_row, roles, saved: proposal.saved, unrecognised: proposal.unrecognised })
    }
}

/// The rows below the header row that have a value.
fn data_rows(sheet: &SheetGrid, header_row: usize) -> impl Iterator<Item = usize> + '_ {
    (header_row + 1..=sheet.rows.len()).filter(|&r| sheet.rows[r - 1].iter().any(|c| !c.trim().is_empty()))
}

fn page(viewer: &Viewer, id: &str, staged: &Staged, choice: &Choice<'_>, errors: Vec<String>, header: &SheetHeader) -> MappingPage {
    let t = viewer.tr();
    let lang = t.lang;
    let sheet = choice.sheet;
    let hidden = t.get("catalog-mapping-hidden-sheet");
    let sheets = staged
        .workbook
        .sheets
        .iter()
        .map(|s| (s.name.clone(), if s.hidden { format!("{} {hidden}", s.name) } else { s.name.clone() }))
        .collect();
    let data_rows = || data_rows(sheet, choice.header_row);
    let columns = choice
        .roles
        .iter()
        .enumerate()
        .map(|(j, role)| {
            let c = j + 1;
            let sample = data_rows().map(|r| sheet.cell(r, c)).find(|v| !v.trim().is_empty()).unwrap_or_default();
            ColumnRow {
                column: c,
                letter: column_letters(c),
                header: shorten(sheet.cell(choice.header_row, c)),
                sample: shorten(sample),
                role: role.key(),
            }
        })
        .collect();
    let preview =
        data_rows().take(PREVIEW_ROWS).map(|r| (r, (1..=choice.roles.len()).map(|c| shorten(sheet.cell(r, c))).collect())).collect();
    let roles = ColumnRole::ALL
        .into_iter()
        .map(|r| {
            let (ja, en) = r.names();
            (r.key(), Text::new(ja, en).get(lang).to_string())
        })
        .collect();
    MappingPage {
        t,
        nav: Nav::new(viewer, "catalogs"),
        id: id.to_string(),
        file_name: staged.file_name.clone(),
        errors,
        sheets,
        sheet: sheet.name.clone(),
        header_row: choice.header_row,
        rows: sheet.rows.len(),
        saved: choice.saved,
        unrecognised: choice.unrecognised,
        roles,
        columns,
        preview,
        key: header.key.clone(),
        name: header.name.clone(),
        edition: header.edition.clone(),
    }
}

#[derive(Debug, Deserialize)]
pub struct MappingQuery {
    #[serde(default)]
    sheet: Option<String>,
    #[serde(default)]
    header_row: Option<String>,
}

/// A header row as typed: a positive number, else a clear error.
fn parse_row(text: &str) -> Result<usize, WebError> {
    text.trim().parse::<usize>().ok().filter(|&r| r > 0).ok_or_else(|| {
        let text: String = text.chars().take(20).collect();
        WebError::new(
            ErrorKind::Invalid,
            Text::new(
                format!("見出し行「{text}」は 1 以上の行番号で指定してください。"),
                format!("The header row \"{text}\" must be a row number from 1."),
            ),
        )
    })
}

/// The mapping step: the upload's proposal, or the proposal for the sheet and header row the
/// person chose (an unknown sheet or a row outside it is shown as an error above the first
/// proposal).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<MappingQuery>,
) -> Result<Response, WebError> {
    viewer.authorize(Action::CatalogImport, &Resource::Organisation(viewer.org()))?;
    let Some(staged) = staged(&state, &viewer, &id).await? else { return expired(&state, &viewer).await };
    let saved = catalogs_io::saved_mappings(&state.store, viewer.org()).await?;
    let lang = viewer.lang;
    let chosen = match (query.sheet.as_deref(), query.header_row.as_deref().map(str::trim).filter(|r| !r.is_empty())) {
        (None, None) => Ok(None),
        (sheet, row) => {
            let sheet = sheet.map(str::to_string).or_else(|| staged.workbook.sheets.first().map(|s| s.name.clone())).unwrap_or_default();
            row.map(parse_row).transpose().map(|r| Some((sheet, r)))
        }
    };
    let mut errors = Vec::new();
    let proposal = match chosen {
        Ok(Some((sheet, row))) => propose_mapping(&staged.workbook, &saved, Some((&sheet, row))).map_err(|e| catalogs_io::import_error(&e)),
        Ok(None) => propose_mapping(&staged.workbook, &saved, None).map_err(|e| catalogs_io::import_error(&e)),
        Err(e) => Err(e),
    };
    let proposal = match proposal {
        Ok(p) => p,
        Err(e) if e.kind == ErrorKind::Invalid => {
            errors.push(e.text.get(lang).to_string());
            propose_mapping(&staged.workbook, &saved, None).map_err(|e| catalogs_io::import_error(&e))?
        }
        Err(e) => return Err(e),
    };
    let choice = Choice::of(&staged.workbook, proposal).ok_or_else(|| WebError::internal("a proposal names a sheet the workbook lacks"))?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let header = staged.header.clone();
    Ok((status, render(&page(&viewer, &id, &staged, &choice, errors, &header))).into_response())
}

/// Confirms the mapping step: the catalog is imported with the chosen roles and the mapping
/// saved for the layout; any problem shows the page again with the person's choices and
/// nothing stored.
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    crate::csrf::check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::CatalogImport, &Resource::Organisation(viewer.org()))?;
    let Some(staged) = staged(&state, &viewer, &id).await? else { return expired(&state, &viewer).await };
    let header = SheetHeader { key: form.text("key"), edition: form.text("edition"), name: form.text("name") };
    let invalid = |e: &mamori_interop::CatalogImportError| catalogs_io::import_error(e);
    // The sheet and header row the page showed; without them nothing can be shown again.
    let sheet_name = form.text("sheet");
    let Some(sheet) = staged.workbook.sheet(&sheet_name) else {
        let e = invalid(&mamori_interop::CatalogImportError::SheetNotFound { sheet: sheet_name });
        return again(&state, &viewer, &id, &staged, None, e, &header).await;
    };
    let header_row = match parse_row(&form.text("header_row")) {
        Ok(r) => r,
        Err(e) => return again(&state, &viewer, &id, &staged, None, e, &header).await,
    };
    let mut roles = Vec::new();
    for c in 1..=width(sheet, header_row) {
        let value = form.text(&format!("role-{c}"));
        let role = if value.is_empty() { Some(ColumnRole::Ignore) } else { ColumnRole::parse(&value) };
        roles.push(role.ok_or_else(|| WebError::malformed("an unknown column role"))?);
    }
    let shown = Choice { sheet, header_row, roles: roles.clone(), saved: false, unrecognised: false };
    let mapping = match mapping_from_roles(sheet, header_row, &roles) {
        Ok(m) => m,
        Err(e) => {
            let shown = (header_row <= sheet.rows.len()).then_some(shown);
            return again(&state, &viewer, &id, &staged, shown, invalid(&e), &header).await;
        }
    };
    let table = MappedTable { workbook: &staged.workbook, mapping: &mapping, header: &header, source: &staged.file_name };
    match catalogs_io::import_mapped(&state.store, &state.library, &viewer.actor, table, &limits(&state)).await {
        Ok(stored) => {
            state.store.delete_catalog_upload(viewer.org(), viewer.person.id, &id).await?;
            let c = &stored.catalog;
            Ok(Redirect::to(&format!("/catalogs/{}/{}?imported=1", path_segment(c.key()), path_segment(c.edition()))).into_response())
        }
        Err(e) if matches!(e.kind, ErrorKind::Invalid | ErrorKind::Stale) => {
            again(&state, &viewer, &id, &staged, Some(shown), e, &header).await
        }
        Err(e) => Err(e),
    }
}

/// The mapping step again with an error: the person's choices when they can be shown, else the
/// upload's first proposal.
async fn again(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    staged: &Staged,
    shown: Option<Choice<'_>>,
    error: WebError,
    header: &SheetHeader,
) -> Result<Response, WebError> {
    let errors = vec![error.text.get(viewer.lang).to_string()];
    let page = match shown {
        Some(choice) => page(viewer, id, staged, &choice, errors, header),
        None => {
            let saved = catalogs_io::saved_mappings(&state.store, viewer.org()).await?;
            let proposal = propose_mapping(&staged.workbook, &saved, None).map_err(|e| catalogs_io::import_error(&e))?;
            let choice =
                Choice::of(&staged.workbook, proposal).ok_or_else(|| WebError::internal("a proposal names a sheet the workbook lacks"))?;
            page(viewer, id, staged, &choice, errors, header)
        }
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response())
}
