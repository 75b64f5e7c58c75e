//! The JSON API: the same operations as the register pages, authenticated by personal API tokens
//! (`Authorization: Bearer …`), described by the OpenAPI document at `/api/openapi.json`.
//! Errors are JSON with a code, both languages' messages and field errors (see `error.rs`).

use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use mamori_core::Text;
use mamori_core::authz::{Action, RecordFacts, Resource};
use mamori_core::ids::RecordId;
use mamori_store::RecordRow;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::auth::Viewer;
use crate::error::{ErrorKind, WebError};
use crate::routes::registers::{ListParams, facts, register, visible_record};

/// Most records one API page returns.
const MAX_PAGE: u32 = 200;

/// A JSON request body, with bilingual errors for malformed or mistyped bodies.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(JsonBody(v)),
            Err(rejection) => Err(match rejection.status() {
                StatusCode::UNSUPPORTED_MEDIA_TYPE => WebError::new(
                    ErrorKind::Unsupported,
                    Text::new("Content-Type: application/json で送信してください。", "Send the body as Content-Type: application/json."),
                ),
                StatusCode::PAYLOAD_TOO_LARGE => {
                    WebError::new(ErrorKind::TooLarge, Text::new("送信されたデータが大きすぎます。", "The request is too large."))
                }
                _ => WebError::malformed(&rejection.body_text()),
            }),
        }
    }
}

fn record_json(row: &RecordRow) -> Value {
    let label = row.classification.label();
    json!({
        "id": row.id,
        "register": row.register,
        "version": row.version,
        "title": row.title,
        "classification": {"level": row.classification.level(), "label_ja": label.ja, "label_en": label.en},
        "unit": row.unit,
        "owner": row.owner,
        "fields": row.fields,
        "computed": row.computed,
        "created_at": crate::routes::registers::rfc3339(row.created_at),
        "updated_at": crate::routes::registers::rfc3339(row.updated_at),
    })
}

pub async fn me(viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    Ok(Json(json!({
        "id": viewer.person.id,
        "email": viewer.person.email,
        "display_name": viewer.person.display_name,
        "organisation": {"id": viewer.organisation.id, "slug": viewer.organisation.slug, "name": viewer.organisation.name},
        "roles": viewer.actor.roles,
        "lang": viewer.lang,
    }))
    .into_response())
}

pub async fn registers(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    let items: Vec<Value> = state
        .library
        .registers()
        .filter(|r| viewer.may(Action::RegisterView, &Resource::Register { org: viewer.org(), register: r.key() }))
        .map(|r| json!({"key": r.key(), "name": r.name(), "fields": r.fields(), "computed": r.computed_defs().collect::<Vec<_>>()}))
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    viewer.authorize(Action::RegisterView, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let params = ListParams::parse(&pairs);
    let limit = pairs.iter().find(|(k, _)| k == "limit").and_then(|(_, v)| v.parse::<u32>().ok()).unwrap_or(50).clamp(1, MAX_PAGE);
    let visibility = viewer.visibility(register.key());
    let page = state.store.list_records(&params.query(register, &visibility, limit)).await?;
    Ok(Json(json!({
        "items": page.rows.iter().map(record_json).collect::<Vec<_>>(),
        "next": page.next.map(|c| c.encode()),
    }))
    .into_response())
}

/// A record as the API accepts it: its field values, and for updates the version it edits.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordInput {
    pub fields: Map<String, Value>,
    #[serde(default)]
    pub version: Option<i64>,
}

pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
    JsonBody(input): JsonBody<RecordInput>,
) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    viewer.authorize(Action::RecordCreate, &Resource::Register { org: viewer.org(), register: register.key() })?;
    let directory = state.store.directory(viewer.org()).await?;
    let valid = register.validate(&input.fields, &directory)?;
    let facts = RecordFacts {
        org: viewer.org(),
        register: register.key(),
        classification: valid.classification,
        unit: valid.unit,
        owner: valid.owner,
    };
    viewer.authorize(Action::RecordCreate, &Resource::Record(facts))?;
    let id = RecordId::from_uuid(uuid::Uuid::now_v7());
    let row = state.store.create_record(&viewer.ctx(Action::RecordCreate), register, id, &valid).await?;
    Ok((StatusCode::CREATED, Json(record_json(&row))).into_response())
}

pub async fn show(State(state): State<AppState>, viewer: Viewer, Path((key, id)): Path<(String, String)>) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    let row = visible_record(&state, &viewer, register, &id).await?;
    viewer.authorize(Action::RegisterView, &Resource::Record(facts(&row, register.key())))?;
    Ok(Json(record_json(&row)).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, id)): Path<(String, String)>,
    JsonBody(input): JsonBody<RecordInput>,
) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    let row = visible_record(&state, &viewer, register, &id).await?;
    viewer.authorize(Action::RecordUpdate, &Resource::Record(facts(&row, register.key())))?;
    let version = input.version.ok_or_else(|| WebError::malformed("version is required for an update / 更新には version が必要です"))?;
    let directory = state.store.directory(viewer.org()).await?;
    let valid = register.validate(&input.fields, &directory)?;
    let after = RecordFacts {
        org: viewer.org(),
        register: register.key(),
        classification: valid.classification,
        unit: valid.unit,
        owner: valid.owner,
    };
    viewer.authorize(Action::RecordUpdate, &Resource::Record(after))?;
    let row = state.store.update_record(&viewer.ctx(Action::RecordUpdate), register, row.id, version, &valid).await?;
    Ok(Json(record_json(&row)).into_response())
}

pub async fn history(State(state): State<AppState>, viewer: Viewer, Path((key, id)): Path<(String, String)>) -> Result<Response, WebError> {
    let register = register(&state, &key)?;
    let row = visible_record(&state, &viewer, register, &id).await?;
    viewer.authorize(Action::RegisterView, &Resource::Record(facts(&row, register.key())))?;
    let events = state.store.history(viewer.org(), "record", &row.id.to_string()).await?;
    let items: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "seq": e.seq, "at": e.header.at, "kind": e.header.kind, "actor": e.header.actor,
                "actor_name": e.actor_name, "role": e.header.role, "payload": e.payload,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

pub async fn openapi(State(state): State<AppState>) -> Response {
    Json(crate::openapi::document(&state.library)).into_response()
}
