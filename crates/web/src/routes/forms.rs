//! Form bodies as ordered (name, value) pairs, with a bilingual 400 for malformed bodies.
//!
//! The body is decoded strictly: a `%` not followed by two hex digits, or bytes that are not
//! UTF-8 once decoded, make the whole body malformed. A lenient decoder would keep `%ZZ` as
//! typed and turn invalid bytes into U+FFFD, so a mis-encoded submission would be saved (and
//! journaled) as text nobody wrote.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header;

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

    /// Parses an `application/x-www-form-urlencoded` body.
    pub fn parse(body: &[u8]) -> Result<FormFields, WebError> {
        body.split(|b| *b == b'&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (name, value) = match pair.iter().position(|b| *b == b'=') {
                    Some(i) => (&pair[..i], &pair[i + 1..]),
                    None => (pair, &[][..]),
                };
                Ok((decode(name)?, decode(value)?))
            })
            .collect::<Result<Vec<_>, WebError>>()
            .map(FormFields)
    }
}

/// Decodes one name or value: `+` is a space, `%XX` a byte; the result must be UTF-8.
fn decode(raw: &[u8]) -> Result<String, WebError> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut rest = raw;
    while let Some((&b, tail)) = rest.split_first() {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => match tail {
                [h, l, ..] if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    bytes.push(hex_value(*h) << 4 | hex_value(*l));
                    rest = &tail[2..];
                    continue;
                }
                _ => return Err(WebError::malformed("percent-encoding (%XX)")),
            },
            other => bytes.push(other),
        }
        rest = tail;
    }
    String::from_utf8(bytes).map_err(|_| WebError::malformed("UTF-8"))
}

fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        _ => digit - b'A' + 10,
    }
}

fn is_form(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_form(&req) {
            return Err(WebError::new(
                ErrorKind::Unsupported,
                mamori_core::Text::new(
                    "フォーム形式（application/x-www-form-urlencoded）で送信してください。",
                    "Send the form as application/x-www-form-urlencoded.",
                ),
            ));
        }
        let body = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                WebError::new(ErrorKind::TooLarge, mamori_core::Text::new("送信されたデータが大きすぎます。", "The request is too large."))
            } else {
                WebError::malformed(&rejection.body_text())
            }
        })?;
        FormFields::parse(&body)
    }
}

/// A form value refused with a message in both languages (422).
pub(crate) fn invalid(ja: impl Into<String>, en: impl Into<String>) -> WebError {
    WebError::new(ErrorKind::Invalid, mamori_core::Text::new(ja, en))
}

/// A date field as YYYY-MM-DD; empty is none.
pub(crate) fn parse_date(text: &str) -> Result<Option<time::Date>, WebError> {
    match text.trim() {
        "" => Ok(None),
        t => time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]")).map(Some).map_err(|_| {
            invalid(format!("日付「{t}」は YYYY-MM-DD で入力してください。"), format!("Enter the date \"{t}\" as YYYY-MM-DD."))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (name, body, the pairs, or `None` for malformed)
    type Case = (&'static str, &'static [u8], Option<&'static [(&'static str, &'static str)]>);

    #[test]
    fn decodes_strictly() {
        let cases: [Case; 8] = [
            ("plain pairs", b"a=1&b=2", Some(&[("a", "1"), ("b", "2")])),
            ("plus and percent", b"q=%E9%A1%A7%E5%AE%A2+a%2Bb", Some(&[("q", "顧客 a+b")])),
            ("empty value, no value, empty pair", b"a=&b&&c=%3d", Some(&[("a", ""), ("b", ""), ("c", "=")])),
            ("raw UTF-8 is kept", "n=営業".as_bytes(), Some(&[("n", "営業")])),
            ("not hex", b"a=%ZZ", None),
            ("cut short", b"a=%E", None),
            ("sign before hex", b"a=%+1", None),
            ("not UTF-8", b"a=%FF", None),
        ];
        for (name, body, expected) in cases {
            let got = FormFields::parse(body).ok().map(|f| f.0);
            let expected = expected.map(|pairs| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>());
            assert_eq!(got, expected, "{name}");
        }
    }
}
