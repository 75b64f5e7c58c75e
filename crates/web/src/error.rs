//! The one mapping from errors to HTTP responses (STYLE.md, "Types and errors"): malformed → 400,
//! not signed in → 401 (pages redirect to sign-in), forbidden → 403, not found → 404 (also for
//! another organisation's record), stale → 409, too large → 413, unsupported type → 415,
//! invalid → 422, rate-limited → 429, the rest → 500 with a generic bilingual message and a
//! request id. A handler returns `WebError`; the `render_errors` middleware turns it into a page
//! or JSON in the request's language and logs it. The mapping itself logs nothing.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::{CoreError, Lang, Text};
use mamori_store::StoreError;

use crate::i18n::Tr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Malformed,
    NotSignedIn,
    Forbidden,
    NotFound,
    Stale,
    TooLarge,
    Unsupported,
    Invalid,
    RateLimited,
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> StatusCode {
        match self {
            ErrorKind::Malformed => StatusCode::BAD_REQUEST,
            ErrorKind::NotSignedIn => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Stale => StatusCode::CONFLICT,
            ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::Unsupported => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::Malformed => "malformed",
            ErrorKind::NotSignedIn => "not_signed_in",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Stale => "stale",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Unsupported => "unsupported_media_type",
            ErrorKind::Invalid => "invalid",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::Internal => "internal",
        }
    }
}

/// An error on its way to becoming a response.
#[derive(Debug, Clone)]
pub struct WebError {
    pub kind: ErrorKind,
    /// What the person reads. For internal errors this is generic; `detail` goes to the log only.
    pub text: Text,
    pub detail: Option<String>,
    /// Field errors (422), for the JSON API.
    pub fields: Vec<mamori_core::register::FieldError>,
    /// Pages only: send the browser here instead of showing the error.
    pub redirect: Option<String>,
}

impl WebError {
    pub fn new(kind: ErrorKind, text: Text) -> WebError {
        WebError { kind, text, detail: None, fields: Vec::new(), redirect: None }
    }

    /// Marks an error as "go there instead" on pages (the forced password change).
    pub fn with_redirect(mut self, to: &str) -> WebError {
        self.redirect = Some(to.to_string());
        self
    }

    pub fn not_found() -> WebError {
        WebError::new(
            ErrorKind::NotFound,
            Text::new("お探しのページまたは記録は見つかりません。", "The page or record you asked for does not exist."),
        )
    }

    pub fn forbidden() -> WebError {
        WebError::new(ErrorKind::Forbidden, Text::new("この操作を行う権限がありません。", "You do not have permission to do this."))
    }

    pub fn not_signed_in() -> WebError {
        WebError::new(ErrorKind::NotSignedIn, Text::new("ログインしてください。", "Please sign in."))
    }

    pub fn malformed(what: &str) -> WebError {
        WebError::new(
            ErrorKind::Malformed,
            Text::new(format!("リクエストの形式が正しくありません: {what}"), format!("The request is malformed: {what}")),
        )
    }

    pub fn csrf() -> WebError {
        WebError::new(
            ErrorKind::Forbidden,
            Text::new(
                "フォームの有効期限が切れたか、別のサイトから送信されました。ページを再読み込みしてやり直してください。",
                "The form expired or was sent from another site. Reload the page and try again.",
            ),
        )
    }

    pub fn internal(detail: impl Into<String>) -> WebError {
        WebError {
            kind: ErrorKind::Internal,
            text: Text::new(
                "内部エラーが発生しました。時間をおいて再度お試しください。",
                "An internal error occurred. Please try again later.",
            ),
            detail: Some(detail.into()),
            fields: Vec::new(),
            redirect: None,
        }
    }
}

impl From<CoreError> for WebError {
    fn from(e: CoreError) -> WebError {
        let kind = match &e {
            CoreError::StaleVersion { .. } => ErrorKind::Stale,
            CoreError::InvalidId { .. } => ErrorKind::NotFound,
            CoreError::UnknownRegister(_) => ErrorKind::NotFound,
            CoreError::Encoding(_) | CoreError::LibraryInvalid { .. } => {
                return WebError::internal(e.to_string());
            }
            _ => ErrorKind::Invalid,
        };
        let fields = match &e {
            CoreError::Validation(f) => f.clone(),
            _ => Vec::new(),
        };
        WebError { kind, text: e.text(), detail: None, fields, redirect: None }
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> WebError {
        match e {
            StoreError::Core(core) => core.into(),
            StoreError::NotFound(_) => WebError::not_found(),
            StoreError::Duplicate(_) | StoreError::SigningKeyMismatch => WebError::new(ErrorKind::Invalid, e.text()),
            // A stored file that no longer matches its hash: an internal fault, told as such.
            StoreError::Evidence(ref inner) => WebError { detail: Some(inner.to_string()), ..WebError::new(ErrorKind::Internal, e.text()) },
            other => WebError::internal(other.to_string()),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = Response::new(Body::empty());
        *response.status_mut() = self.kind.status();
        response.extensions_mut().insert(self);
        response
    }
}

/// Renders any `WebError` a handler returned, as JSON under `/api/` and as a page elsewhere, and
/// logs it. Pages that need sign-in redirect there instead of showing 401.
pub async fn render_errors(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let lang = crate::auth::request_lang(request.headers());
    let path = request.uri().path().to_string();
    let method = request.method().clone();
    let mut response = next.run(request).await;
    let Some(error) = response.extensions_mut().remove::<WebError>() else {
        return response;
    };
    let request_id = uuid::Uuid::now_v7().simple().to_string();
    match error.kind {
        ErrorKind::Internal => {
            tracing::error!(%method, %path, request_id, detail = ?error.detail, "request failed")
        }
        ErrorKind::Forbidden | ErrorKind::NotSignedIn => {
            tracing::info!(%method, %path, code = error.kind.code(), "request refused")
        }
        _ => tracing::debug!(%method, %path, code = error.kind.code(), "request rejected"),
    }
    if is_api {
        let fields: Vec<serde_json::Value> = error
            .fields
            .iter()
            .map(|f| serde_json::json!({"field": f.field, "message_ja": f.message(Lang::Ja), "message_en": f.message(Lang::En), "problem": f.problem}))
            .collect();
        let body = serde_json::json!({
            "error": {
                "code": error.kind.code(),
                "message_ja": error.text.ja,
                "message_en": error.text.en,
                "fields": fields,
                "request_id": if error.kind == ErrorKind::Internal { Some(request_id) } else { None },
            }
        });
        return (error.kind.status(), [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response();
    }
    if let Some(to) = &error.redirect {
        return Redirect::to(to).into_response();
    }
    if error.kind == ErrorKind::NotSignedIn {
        let next = if method == axum::http::Method::GET { path } else { "/".to_string() };
        return Redirect::to(&format!("/login?next={}", crate::view::url_encode(&next))).into_response();
    }
    let page = crate::view::ErrorPage {
        t: Tr::new(lang),
        status: error.kind.status().as_u16(),
        message: error.text.get(lang).to_string(),
        request_id: if error.kind == ErrorKind::Internal { Some(request_id) } else { None },
    };
    (error.kind.status(), crate::view::render(&page)).into_response()
}
