//! Cross-site request forgery protection, two layers:
//! 1. every state-changing request whose `Origin` (or `Sec-Fetch-Site`) shows another site is
//!    refused before any handler runs;
//! 2. every form carries the session's synchronizer token (`csrf` field), checked by
//!    [`check_form_token`]; the sign-in form, which has no session yet, carries a token that
//!    must match a cookie set with the form.
//!
//! The JSON API accepts only Bearer tokens, which browsers never send on their own.

use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::{Credential, Viewer};
use crate::error::WebError;

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Refuses cross-site state-changing requests.
pub async fn same_origin(request: Request, next: Next) -> Response {
    if !is_safe(request.method()) {
        let headers = request.headers();
        let cross_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).is_some_and(|v| v == "cross-site");
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin_mismatch = match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
            (Some("null"), _) => true,
            (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
            _ => false,
        };
        if cross_site || origin_mismatch {
            return WebError::csrf().into_response();
        }
    }
    next.run(request).await
}

/// Compares a submitted form token with the session's, in constant time.
pub fn check_form_token(viewer: &Viewer, submitted: &str) -> Result<(), WebError> {
    match &viewer.credential {
        Credential::Session { csrf, .. } if constant_time_eq(csrf.as_bytes(), submitted.as_bytes()) => Ok(()),
        Credential::ApiToken => Ok(()),
        _ => Err(WebError::csrf()),
    }
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() || a.is_empty() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
