//! Page models and the templates that render them (askama, checked at compile time), and the
//! display of record values: enum and classification labels, names of people and units.

use std::collections::HashMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use mamori_core::classification::Confidentiality;
use mamori_core::ids::{PersonId, UnitId};
use mamori_core::register::{FieldKind, RegisterType};
use mamori_core::{Lang, Text};
use serde_json::Value;

use crate::auth::Viewer;
use crate::i18n::Tr;

/// Renders a template, or a plain 500 if rendering itself fails (a programming error).
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "内部エラー / Internal error").into_response()
        }
    }
}

/// Percent-encodes a query-string value.
pub fn url_encode(text: &str) -> String {
    percent_encode(text, true)
}

/// Percent-encodes one path segment (a catalog key, an edition such as 2025年度版, a ref): a `/`
/// is encoded too.
pub fn path_segment(text: &str) -> String {
    percent_encode(text, false)
}

fn percent_encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Japan Standard Time, the zone of Mamori's users.
fn jst() -> time::UtcOffset {
    time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

/// A time as pages show it: minutes, in Japan Standard Time.
pub fn short_time(at: time::OffsetDateTime) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    at.to_offset(jst()).format(&format).unwrap_or_default()
}

/// Today's date in Japan Standard Time (what "overdue" is measured against).
pub fn today() -> time::Date {
    time::OffsetDateTime::now_utc().to_offset(jst()).date()
}

/// A file sent to the browser: shown inline or downloaded under `name` (UTF-8), never cached.
pub fn file_response(mime: &str, inline: bool, name: &str, bytes: Vec<u8>) -> Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let disposition = format!("{}; filename*=UTF-8''{}", if inline { "inline" } else { "attachment" }, url_encode(name));
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The header every signed-in page shows.
#[derive(Debug, Clone)]
pub struct Nav {
    pub org_name: String,
    pub person_name: String,
    pub csrf: String,
    pub may_people: bool,
    pub may_catalogs: bool,
    pub may_assessments: bool,
    pub may_suppliers: bool,
    pub current: &'static str,
}

impl Nav {
    pub fn new(viewer: &Viewer, current: &'static str) -> Nav {
        use mamori_core::authz::{Action, Resource};
        Nav {
            org_name: viewer.organisation.name.clone(),
            person_name: viewer.person.display_name.clone(),
            csrf: viewer.csrf_token().to_string(),
            may_people: viewer.may(Action::PeopleView, &Resource::Organisation(viewer.org())),
            may_catalogs: viewer.may(Action::CatalogView, &Resource::Organisation(viewer.org())),
            may_assessments: viewer.may(Action::AssessmentView, &Resource::Organisation(viewer.org())),
            may_suppliers: viewer.may(Action::SupplierOversee, &Resource::Organisation(viewer.org())),
            current,
        }
    }
}

/// Names of an organisation's people and units, loaded once per page.
#[derive(Debug, Default, Clone)]
pub struct Names {
    pub people: HashMap<PersonId, String>,
    pub units: HashMap<UnitId, Text>,
}

impl Names {
    /// How a stored value reads on a page or in an export.
    pub fn display(&self, register: &RegisterType, key: &str, value: &Value, lang: Lang) -> String {
        if value.is_null() {
            return String::new();
        }
        let Some(field) = register.field(key) else {
            return mamori_core::register::display_plain(value);
        };
        match &field.kind {
            FieldKind::Enum { .. } => register
                .option_label(key, value)
                .map(|t| t.get(lang).to_string())
                .unwrap_or_else(|| mamori_core::register::display_plain(value)),
            FieldKind::Classification => value
                .as_i64()
                .and_then(Confidentiality::from_level)
                .map(|c| format!("{} {}", c.level(), c.label().get(lang)))
                .unwrap_or_default(),
            FieldKind::Boolean => match (value.as_bool(), lang) {
                (Some(true), Lang::Ja) => "はい".into(),
                (Some(false), Lang::Ja) => "いいえ".into(),
                (Some(true), Lang::En) => "Yes".into(),
                (Some(false), Lang::En) => "No".into(),
                (None, _) => String::new(),
            },
            FieldKind::Person => value
                .as_str()
                .and_then(|s| PersonId::parse(s).ok())
                .and_then(|id| self.people.get(&id).cloned())
                .unwrap_or_else(|| mamori_core::register::display_plain(value)),
            FieldKind::Unit => value
                .as_str()
                .and_then(|s| UnitId::parse(s).ok())
                .and_then(|id| self.units.get(&id).map(|t| t.get(lang).to_string()))
                .unwrap_or_else(|| mamori_core::register::display_plain(value)),
            _ => mamori_core::register::display_plain(value),
        }
    }
}

/// The classification badge shown wherever a record appears.
#[derive(Debug, Clone)]
pub struct Badge {
    pub level: i64,
    pub label: String,
}

impl Badge {
    pub fn new(c: Confidentiality, lang: Lang) -> Badge {
        Badge { level: c.level(), label: c.label().get(lang).to_string() }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub t: Tr,
    pub status: u16,
    pub message: String,
    pub request_id: Option<String>,
}
