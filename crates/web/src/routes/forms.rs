//! Form bodies as ordered (name, value) pairs, with a bilingual 400 for malformed bodies.

use axum::extract::{FromRequest, Request};

use crate::error::{ErrorKind, WebError};

/// A URL-encoded form body.
#[derive(Debug, Clone, Default)]
pub struct FormFields(pub Vec<(String, String)>);

impl FormFields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_string()
    }
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(pairs)) => Ok(FormFields(pairs)),
            Err(rejection) => {
                let status = rejection.status();
                if status == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    Err(WebError::new(
                        ErrorKind::TooLarge,
                        mamori_core::Text::new("送信されたデータが大きすぎます。", "The request is too large."),
                    ))
                } else if status == axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE {
                    Err(WebError::new(
                        ErrorKind::Unsupported,
                        mamori_core::Text::new(
                            "フォーム形式（application/x-www-form-urlencoded）で送信してください。",
                            "Send the form as application/x-www-form-urlencoded.",
                        ),
                    ))
                } else {
                    Err(WebError::malformed(&rejection.body_text()))
                }
            }
        }
    }
}
