//! Register pages: the list (filter, sort, search, keyset pages), the record page with its
//! history from the journal, and the create and edit forms with field-level errors.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::authz::{Action, RecordFacts, Resource, Visibility};
use mamori_core::classification::Confidentiality;
use mamori_core::ids::{PersonId, RecordId};
use mamori_core::journal::EventKind;
use mamori_core::register::{FieldKind, IndexValue, RegisterType, Slot, ValidRecord};
use mamori_core::{CoreError, Lang};
use mamori_store::{Cursor, Filter, ListQuery, RecordRow, SortOrder};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::Viewer;
use crate::csrf::check_form_token;
use crate::error::WebError;
use crate::i18n::Tr;
use crate::routes::FormFields;
use crate::view::{Badge, Names, Nav, render, url_encode};

/// Rows per list page.
const PAGE_SIZE: u32 = 50;

pub(crate) fn register<'a>(state: &'a AppState, key: &str) -> Result<&'a RegisterType, WebError> {
    state.library.register(key).map_err(|_| WebError::not_found())
}

pub(crate) fn facts<'a>(row: &RecordRow, register: &'a str) -> RecordFacts<'a> {
    RecordFacts { org: row.org, register, classification: row.classification, unit: row.unit, owner: row.owner }
}

fn valid_facts<'a>(viewer: &Viewer, valid: &ValidRecord, register: &'a str) -> RecordFacts<'a> {
    RecordFacts { org: viewer.org(), register, classification: valid.classification, unit: valid.unit, owner: valid.owner }
}

/// Loads a record of this register that the viewer may see; anything else is "not found", so
/// that neither another organisation's records nor hidden ones reveal that they exist.
pub(crate) async fn visible_record(state: &AppState, viewer: &Viewer, register: &RegisterType, id: &str) -> Result<RecordRow, WebError> {
    let id = RecordId::parse(id).map_err(|_| WebError::not_found())?;
    let row = state.store.record(viewer.org(), id).await?.ok_or_else(WebError::not_found)?;
    if row.register != register.key() || !viewer.may(Action::RegisterView, &Resource::Record(facts(&row, register.key()))) {
        return Err(WebError::not_found());
    }
    Ok(row)
}

/// Names of the units, and of the people that the shown fields (`keys`) of some records refer to.
pub(crate) async fn names_for(
    state: &AppState,
    viewer: &Viewer,
    register: &RegisterType,
    keys: &[String],
    rows: &[&Map<String, Value>],
) -> Result<Names, WebError> {
    let person_fields: Vec<&str> =
        register.fields().iter().filter(|f| matches!(f.kind, FieldKind::Person) && keys.contains(&f.key)).map(|f| f.key.as_str()).collect();
    let mut ids = BTreeSet::new();
    for row in rows {
        for key in &person_fields {
            if let Some(id) = row.get(*key).and_then(Value::as_str).and_then(|s| PersonId::parse(s).ok()) {
                ids.insert(id);
            }
        }
    }
    let ids: Vec<PersonId> = ids.into_iter().collect();
    let people = state.store.person_names(viewer.org(), &ids).await?;
    let units = state.store.unit_names(viewer.org()).await?.iter().map(|u| (u.id, u.name.clone())).collect();
    Ok(Names { people, units })
}

pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

pub(crate) use crate::view::short_time as format_time;

#[derive(Debug)]
struct RegisterLink {
    key: String,
    name: String,
    description: String,
}

#[derive(Template)]
#[template(path = "registers.html")]
struct RegistersPage {
    t: Tr,
    nav: Nav,
    registers: Vec<RegisterLink>,
}

pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    let t = viewer.tr();
    let registers = state
        .library
        .registers()
        .filter(|r| viewer.may(Action::RegisterView, &Resource::Register { org: viewer.org(), register: r.key() }))
        .map(|r| RegisterLink {
            key: r.key().to_string(),
            name: t.text(r.name()).to_string(),
            description: r.def().description.as_ref().map(|d| t.text(d).to_string()).unwrap_or_default(),
        })
        .collect();
    Ok(render(&RegistersPage { t, nav: Nav::new(&viewer, "registers"), registers }))
}

struct Column {
    label: String,
    sort_link: Option<String>,
    arrow: Option<&'static str>,
    arrow_label: String,
}

struct ListRow {
    id: String,
    badge: Badge,
    cells: Vec<String>,
}

struct SelectOption {
    value: String,
    label: String,
    selected: bool,
}

struct FilterControl {
    key: String,
    label: String,
    options: Vec<SelectOption>,
}

#[derive(Template)]
#[template(path = "register_list.html")]
struct ListPage {
    t: Tr,
    nav: Nav,
    key: String,
    name: String,
    q: String,
    sort: String,
    columns: Vec<Column>,
    filters: Vec<FilterControl>,
    rows: Vec<ListRow>,
    next_link: Option<String>,
    first_link: Option<String>,
    may_create: bool,
    may_export: bool,
    may_import: bool,
    imported: Option<usize>,
    /// Whether any filter is set (the filter box then starts open).
    filtered: bool,
}

/// The list query as it arrives in the URL: `q`, `sort` (`key` or `-key`), `f.KEY`, `after`.
pub(crate) struct ListParams {
    q: String,
    sort: String,
    filters: Vec<(String, String)>,
    after: Option<String>,
}

impl ListParams {
    pub(crate) fn parse(pairs: &[(String, String)]) -> ListParams {
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        ListParams {
            q: get("q").unwrap_or_default().chars().take(200).collect(),
            sort: get("sort").unwrap_or_default(),
            filters: pairs
                .iter()
                .filter_map(|(k, v)| k.strip_prefix("f.").filter(|_| !v.is_empty()).map(|k| (k.to_string(), v.clone())))
                .collect(),
            after: get("after").filter(|a| !a.is_empty()),
        }
    }

    /// The sort field and direction: `key` ascending, `-key` descending.
    pub(crate) fn sort_key(&self) -> (String, SortOrder) {
        match self.sort.strip_prefix('-') {
            Some(k) => (k.to_string(), SortOrder::Descending),
            None => (self.sort.clone(), SortOrder::Ascending),
        }
    }

    /// The store query these parameters ask for, within the viewer's visibility. Filters and
    /// sorts on fields that are not indexed are ignored.
    pub(crate) fn query<'a>(&self, register: &'a RegisterType, visibility: &'a Visibility, limit: u32) -> ListQuery<'a> {
        let (sort_key, order) = self.sort_key();
        ListQuery {
            visibility,
            register: register.key(),
            filters: self.filters.iter().filter_map(|(k, v)| filter_value(register, k, v)).collect(),
            sort: register.slot_of(&sort_key).map(|slot| (slot, order)),
            search: self.q.split_whitespace().map(mamori_core::search::term_list).filter(|w| !w.is_empty()).collect(),
            after: self.after.as_deref().and_then(Cursor::decode),
            limit,
        }
    }

    /// The query string without the cursor, with `sort` replaced.
    fn link(&self, key: &str, sort: &str, after: Option<&str>) -> String {
        let mut parts = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!("q={}", url_encode(&self.q)));
        }
        for (k, v) in &self.filters {
            parts.push(format!("f.{}={}", url_encode(k), url_encode(v)));
        }
        if !sort.is_empty() {
            parts.push(format!("sort={}", url_encode(sort)));
        }
        if let Some(a) = after {
            parts.push(format!("after={}", url_encode(a)));
        }
        if parts.is_empty() { format!("/registers/{key}") } else { format!("/registers/{key}?{}", parts.join("&")) }
    }
}

/// Turns a filter value from the URL into the index value of its slot.
fn filter_value(register: &RegisterType, key: &str, raw: &str) -> Option<Filter> {
    let slot = register.slot_of(key)?;
    let value = match slot {
        Slot::Number(_) => match register.field(key).map(|f| &f.kind) {
            Some(FieldKind::Boolean) => IndexValue::Number(if matches!(raw, "true" | "1") { 1.0 } else { 0.0 }),
            _ => IndexValue::Number(raw.trim().parse::<f64>().ok()?),
        },
        Slot::Text(_) => IndexValue::Text(raw.trim().to_lowercase()),
    };
    Some(Filter { slot, value })
}

fn filter_controls(register: &RegisterType, params: &ListParams, names: &Names, lang: Lang) -> Vec<FilterControl> {
    let chosen = |key: &str| params.filters.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_default();
    let mut controls = Vec::new();
    for f in register.fields().iter().filter(|f| f.indexed) {
        let current = chosen(&f.key);
        let options: Vec<(String, String)> = match &f.kind {
            FieldKind::Enum { options } => {
                options.iter().map(|o| (mamori_core::register::display_plain(&o.value), o.label.get(lang).to_string())).collect()
            }
            FieldKind::Classification => Confidentiality::ALL
                .iter()
                .rev()
                .map(|c| (c.level().to_string(), format!("{} {}", c.level(), c.label().get(lang))))
                .collect(),
            FieldKind::Unit => {
                let mut units: Vec<(String, String)> =
                    names.units.iter().map(|(id, n)| (id.to_string(), n.get(lang).to_string())).collect();
                units.sort_by(|a, b| a.1.cmp(&b.1));
                units
            }
            FieldKind::Boolean => vec![
                ("true".into(), if lang == Lang::Ja { "はい" } else { "Yes" }.into()),
                ("false".into(), if lang == Lang::Ja { "いいえ" } else { "No" }.into()),
            ],
            _ => continue,
        };
        controls.push(FilterControl {
            key: f.key.clone(),
            label: f.label.get(lang).to_string(),
            options: options.into_iter().map(|(value, label)| SelectOption { selected: value == current, value, label }).collect(),
        });
    }
    if let Some(c) = register.computed_defs().find(|c| c.indexed) {
        let current = chosen(&c.key);
        controls.push(FilterControl {
            key: c.key.clone(),
            label: c.label.get(lang).to_string(),
            options: (1..=3)
                .rev()
                .map(|n| SelectOption { value: n.to_string(), label: n.to_string(), selected: n.to_string() == current })
                .collect(),
        });
    }
    controls
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    viewer.authorize(Action::RegisterView, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let t = viewer.tr();
    let params = ListParams::parse(&pairs);
    let visibility = viewer.visibility(register.key());
    let (sort_key, order) = params.sort_key();
    let columns_keys = register.list_columns();
    let page = state.store.list_summaries(&params.query(register, &visibility, PAGE_SIZE), &columns_keys).await?;
    let docs: Vec<&Map<String, Value>> = page.rows.iter().map(|r| &r.fields).collect();
    let names = names_for(&state, &viewer, register, &columns_keys, &docs).await?;
    let columns = columns_keys
        .iter()
        .map(|c| {
            let sortable = register.slot_of(c).is_some();
            let (next_sort, arrow, arrow_label) = if *c == sort_key {
                match order {
                    SortOrder::Ascending => (format!("-{c}"), Some("▲"), t.get("sort-ascending")),
                    SortOrder::Descending => (c.clone(), Some("▼"), t.get("sort-descending")),
                }
            } else {
                (c.clone(), None, String::new())
            };
            Column {
                label: register.label_of(c).map(|l| t.text(l).to_string()).unwrap_or_else(|| c.clone()),
                sort_link: sortable.then(|| params.link(&key, &next_sort, None)),
                arrow,
                arrow_label,
            }
        })
        .collect();
    let rows = page
        .rows
        .iter()
        .map(|r| ListRow {
            id: r.id.to_string(),
            badge: Badge::new(r.classification, viewer.lang),
            cells: columns_keys
                .iter()
                .map(|c| {
                    let v = r.fields.get(c).or_else(|| r.computed.get(c)).cloned().unwrap_or(Value::Null);
                    names.display(register, c, &v, viewer.lang)
                })
                .collect(),
        })
        .collect();
    let next_link = page.next.as_ref().map(|c| params.link(&key, &params.sort, Some(&c.encode())));
    let first_link = params.after.as_ref().map(|_| params.link(&key, &params.sort, None));
    let org = viewer.org();
    let reg = Resource::Register { org, register: register.key() };
    let page = ListPage {
        filters: filter_controls(register, &params, &names, viewer.lang),
        t,
        nav: Nav::new(&viewer, "registers"),
        key: key.clone(),
        name: t.text(register.name()).to_string(),
        q: params.q.clone(),
        sort: params.sort.clone(),
        columns,
        rows,
        next_link,
        first_link,
        may_create: viewer.may(Action::RecordCreate, &reg),
        may_export: viewer.may(Action::RegisterExport, &reg),
        may_import: viewer.may(Action::RegisterImport, &reg),
        imported: pairs.iter().find(|(k, _)| k == "imported").and_then(|(_, v)| v.parse().ok()),
        filtered: !params.filters.is_empty(),
    };
    Ok(render(&page))
}

struct HistoryRow {
    kind: String,
    at: String,
    actor: String,
    role: String,
    changes: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "record.html")]
struct RecordPage {
    t: Tr,
    nav: Nav,
    key: String,
    register_name: String,
    id: String,
    title: String,
    badge: Badge,
    fields: Vec<(String, String)>,
    version: i64,
    updated: String,
    history: Vec<HistoryRow>,
    may_edit: bool,
    saved: bool,
}

/// The changed fields between two stored documents, labelled and displayed.
fn changes(
    register: &RegisterType,
    names: &Names,
    lang: Lang,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Vec<(String, String, String)> {
    let part = |doc: Option<&Value>, section: &str, key: &str| {
        doc.and_then(|d| d.get(section)).and_then(|s| s.get(key)).cloned().unwrap_or(Value::Null)
    };
    let mut keys: Vec<(String, &str)> = register.fields().iter().map(|f| (f.key.clone(), "fields")).collect();
    keys.extend(register.computed_defs().map(|c| (c.key.clone(), "computed")));
    keys.into_iter()
        .filter_map(|(key, section)| {
            let (b, a) = (part(before, section, &key), part(after, section, &key));
            (b != a).then(|| {
                let label = register.label_of(&key).map(|l| l.get(lang).to_string()).unwrap_or_else(|| key.clone());
                (label, names.display(register, &key, &b, lang), names.display(register, &key, &a, lang))
            })
        })
        .collect()
}

#[derive(serde::Deserialize)]
pub struct SavedQuery {
    saved: Option<String>,
}

pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, String)>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    let row = visible_record(&state, &viewer, register, &id).await?;
    viewer.authorize(Action::RegisterView, &Resource::Record(facts(&row, register.key())))?;
    let t = viewer.tr();
    let history = state.store.history(viewer.org(), "record", &row.id.to_string()).await?;
    let mut docs: Vec<&Map<String, Value>> = vec![&row.fields];
    let history_docs: Vec<Map<String, Value>> = history
        .iter()
        .flat_map(|h| {
            ["before", "after"]
                .map(|k| h.payload.as_ref().and_then(|p| p.get(k)).and_then(|d| d.get("fields")).and_then(Value::as_object).cloned())
        })
        .flatten()
        .collect();
    docs.extend(history_docs.iter());
    let all_keys: Vec<String> = register.fields().iter().map(|f| f.key.clone()).collect();
    let names = names_for(&state, &viewer, register, &all_keys, &docs).await?;
    let mut fields: Vec<(String, String)> = register
        .fields()
        .iter()
        .map(|f| {
            (t.text(&f.label).to_string(), names.display(register, &f.key, row.fields.get(&f.key).unwrap_or(&Value::Null), viewer.lang))
        })
        .collect();
    fields.extend(
        register.computed_defs().map(|c| {
            (t.text(&c.label).to_string(), mamori_core::register::display_plain(row.computed.get(&c.key).unwrap_or(&Value::Null)))
        }),
    );
    let history = history
        .iter()
        .rev()
        .map(|h| HistoryRow {
            kind: t.text(&h.header.kind.label()).to_string(),
            at: time::OffsetDateTime::parse(&h.header.at, &time::format_description::well_known::Rfc3339)
                .map(format_time)
                .unwrap_or_else(|_| h.header.at.clone()),
            actor: h.actor_name.clone().unwrap_or_default(),
            role: h.header.role.as_ref().and_then(|r| state.library.role(r)).map(|r| t.text(&r.name).to_string()).unwrap_or_default(),
            changes: match (&h.header.kind, &h.payload) {
                (EventKind::RecordCreated | EventKind::RecordUpdated, Some(p)) => {
                    changes(register, &names, viewer.lang, p.get("before"), p.get("after"))
                }
                _ => Vec::new(),
            },
        })
        .collect();
    let page = RecordPage {
        t,
        nav: Nav::new(&viewer, "registers"),
        key: key.clone(),
        register_name: t.text(register.name()).to_string(),
        id: row.id.to_string(),
        title: row.title.clone(),
        badge: Badge::new(row.classification, viewer.lang),
        fields,
        version: row.version,
        updated: format_time(row.updated_at),
        history,
        may_edit: viewer.may(Action::RecordUpdate, &Resource::Record(facts(&row, register.key()))),
        saved: q.saved.is_some(),
    };
    Ok(render(&page))
}

struct FormField {
    key: String,
    label: String,
    help: Option<String>,
    required: bool,
    input: &'static str,
    value: String,
    options: Vec<SelectOption>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "record_form.html")]
struct FormPage {
    t: Tr,
    nav: Nav,
    heading: String,
    action: String,
    cancel: String,
    version: i64,
    fields: Vec<FormField>,
    errors: Vec<(String, String)>,
}

/// Values of a form as the person typed them (strings), keyed by field.
type Entered = Map<String, Value>;

fn entered_from_row(row: &RecordRow) -> Entered {
    row.fields.iter().map(|(k, v)| (k.clone(), Value::String(mamori_core::register::display_plain(v)))).collect()
}

fn entered_from_form(register: &RegisterType, form: &FormFields) -> Entered {
    register.fields().iter().filter_map(|f| form.get(&f.key).map(|v| (f.key.clone(), Value::String(v.to_string())))).collect()
}

async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    register: &RegisterType,
    record: Option<&RecordRow>,
    entered: &Entered,
    errors: &[mamori_core::register::FieldError],
) -> Result<FormPage, WebError> {
    let t = viewer.tr();
    let lang = viewer.lang;
    let units = state.store.units(viewer.org()).await?;
    let people = if register.fields().iter().any(|f| matches!(f.kind, FieldKind::Person)) {
        state.store.people(viewer.org()).await?
    } else {
        Vec::new()
    };
    let fields = register
        .fields()
        .iter()
        .map(|f| {
            let value = entered.get(&f.key).map(mamori_core::register::display_plain).unwrap_or_default();
            let options_of = |pairs: Vec<(String, String)>| {
                pairs.into_iter().map(|(v, l)| SelectOption { selected: v == value, value: v, label: l }).collect::<Vec<_>>()
            };
            let (input, options) = match &f.kind {
                FieldKind::Text { .. } | FieldKind::Reference { .. } => ("text", Vec::new()),
                FieldKind::LongText { .. } => ("textarea", Vec::new()),
                FieldKind::Number { .. } => ("number", Vec::new()),
                FieldKind::Date => ("date", Vec::new()),
                FieldKind::Boolean => ("select", options_of(vec![("true".into(), t.get("yes")), ("false".into(), t.get("no"))])),
                FieldKind::Enum { options } => (
                    "select",
                    options_of(
                        options.iter().map(|o| (mamori_core::register::display_plain(&o.value), o.label.get(lang).to_string())).collect(),
                    ),
                ),
                FieldKind::Classification => (
                    "select",
                    options_of(
                        Confidentiality::ALL
                            .iter()
                            .rev()
                            .map(|c| (c.level().to_string(), format!("{} {}", c.level(), c.label().get(lang))))
                            .collect(),
                    ),
                ),
                FieldKind::Unit => ("select", options_of(units.iter().map(|u| (u.id.to_string(), u.name.get(lang).to_string())).collect())),
                FieldKind::Person => {
                    ("select", options_of(people.iter().filter(|p| p.active).map(|p| (p.id.to_string(), p.display_name.clone())).collect()))
                }
            };
            FormField {
                key: f.key.clone(),
                label: f.label.get(lang).to_string(),
                help: f.help.as_ref().map(|h| h.get(lang).to_string()),
                required: f.required,
                input,
                value,
                options,
                error: errors.iter().find(|e| e.field == f.key).map(|e| e.message(lang)),
            }
        })
        .collect();
    let name = t.text(register.name()).to_string();
    let (heading, action, cancel, version) = match record {
        Some(r) => (
            format!("{} {}", t.get("edit-record-of"), r.title),
            format!("/registers/{}/{}", register.key(), r.id),
            format!("/registers/{}/{}", register.key(), r.id),
            r.version,
        ),
        None => (
            format!("{} {name}", t.get("new-record-of")),
            format!("/registers/{}", register.key()),
            format!("/registers/{}", register.key()),
            0,
        ),
    };
    Ok(FormPage {
        t,
        nav: Nav::new(viewer, "registers"),
        heading,
        action,
        cancel,
        version,
        fields,
        errors: errors.iter().map(|e| (e.field.clone(), e.message(lang))).collect(),
    })
}

/// Form defaults for a new record: today's date for date fields, the viewer's unit and self
/// for unit and person fields.
fn defaults(register: &RegisterType, viewer: &Viewer) -> Entered {
    let mut entered = Map::new();
    let today = OffsetDateTime::now_utc().to_offset(time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC)).date();
    let unit = viewer.actor.roles.iter().find_map(|a| a.unit);
    for f in register.fields() {
        match f.kind {
            FieldKind::Date if f.required => {
                entered.insert(f.key.clone(), Value::String(today.to_string()));
            }
            FieldKind::Unit => {
                if let Some(u) = unit {
                    entered.insert(f.key.clone(), Value::String(u.to_string()));
                }
            }
            _ => {}
        }
    }
    entered
}

pub async fn new_form(State(state): State<AppState>, viewer: Viewer, Path(key): Path<String>) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    viewer.authorize(Action::RecordCreate, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let page = form_page(&state, &viewer, register, None, &defaults(register, &viewer), &[]).await?;
    Ok(render(&page))
}

fn invalid_form(page: FormPage) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response()
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    let register = register(&state, &key)?;
    viewer.authorize(Action::RecordCreate, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let entered = entered_from_form(register, &form);
    let directory = state.store.directory(viewer.org()).await?;
    let valid = match register.validate(&entered, &directory) {
        Ok(v) => v,
        Err(CoreError::Validation(errors)) => {
            return Ok(invalid_form(form_page(&state, &viewer, register, None, &entered, &errors).await?));
        }
        Err(e) => return Err(e.into()),
    };
    viewer.authorize(Action::RecordCreate, &Resource::Record(valid_facts(&viewer, &valid, register.key())))?;
    let id = RecordId::from_uuid(uuid::Uuid::now_v7());
    let row = state.store.create_record(&viewer.ctx(Action::RecordCreate), register, id, &valid).await?;
    Ok(Redirect::to(&format!("/registers/{key}/{}?saved=1", row.id)).into_response())
}

pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    let row = visible_record(&state, &viewer, register, &id).await?;
    viewer.authorize(Action::RecordUpdate, &Resource::Record(facts(&row, register.key())))?;
    let page = form_page(&state, &viewer, register, Some(&row), &entered_from_row(&row), &[]).await?;
    Ok(render(&page))
}

pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, String)>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    let register = register(&state, &key)?;
    let row = visible_record(&state, &viewer, register, &id).await?;
    viewer.authorize(Action::RecordUpdate, &Resource::Record(facts(&row, register.key())))?;
    let version: i64 = form.text("_version").parse().map_err(|_| WebError::malformed("_version"))?;
    let entered = entered_from_form(register, &form);
    let directory = state.store.directory(viewer.org()).await?;
    let valid = match register.validate(&entered, &directory) {
        Ok(v) => v,
        Err(CoreError::Validation(errors)) => {
            return Ok(invalid_form(form_page(&state, &viewer, register, Some(&row), &entered, &errors).await?));
        }
        Err(e) => return Err(e.into()),
    };
    // The record after the change must still be one the viewer may change (no moving a record
    // to another unit or classification beyond one's reach).
    viewer.authorize(Action::RecordUpdate, &Resource::Record(valid_facts(&viewer, &valid, register.key())))?;
    state.store.update_record(&viewer.ctx(Action::RecordUpdate), register, row.id, version, &valid).await?;
    Ok(Redirect::to(&format!("/registers/{key}/{}?saved=1", row.id)).into_response())
}
