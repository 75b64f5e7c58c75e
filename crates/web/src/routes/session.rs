//! Sign-in and sign-out. Failed and successful sign-ins are journaled; repeated failures lock
//! the account for the time the password policy sets (seed 003 L585-589, L818-856).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::Lang;
use mamori_core::authz::{Action, Resource, is_privileged};
use mamori_core::person::{Actor, Email};
use mamori_store::{Ctx, NewSession};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use crate::AppState;
use crate::auth::{self, LANG_COOKIE, LOGIN_CSRF_COOKIE, SESSION_COOKIE, Viewer};
use crate::csrf::{check_form_token, constant_time_eq};
use crate::error::WebError;
use crate::i18n::Tr;
use crate::routes::FormFields;
use crate::view::render;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    t: Tr,
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
}

/// Only local paths are followed after sign-in, never another site.
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') { next.to_string() } else { "/".to_string() }
}

fn login_form(state: &AppState, lang: Lang, email: &str, next: &str, error: Option<String>) -> Result<Response, WebError> {
    let csrf = auth::random_secret()?;
    let page = LoginPage { t: Tr::new(lang), csrf: csrf.clone(), email: email.to_string(), next: safe_next(next), error };
    let mut response = render(&page);
    if let Ok(v) = auth::set_cookie(LOGIN_CSRF_COOKIE, &csrf, Some(3600), state.config.secure_cookies).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

pub async fn login_page(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<LoginQuery>) -> Result<Response, WebError> {
    let chosen = q.lang.as_deref().and_then(Lang::parse);
    let lang = chosen.unwrap_or_else(|| auth::request_lang(&headers));
    let mut response = login_form(&state, lang, "", q.next.as_deref().unwrap_or("/"), None)?;
    if let Some(l) = chosen
        && let Ok(v) = auth::set_cookie(LANG_COOKIE, l.as_str(), Some(365 * 24 * 3600), state.config.secure_cookies).parse()
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

pub async fn login(State(state): State<AppState>, headers: HeaderMap, form: FormFields) -> Result<Response, WebError> {
    let lang = auth::request_lang(&headers);
    let t = Tr::new(lang);
    let submitted = form.text("csrf");
    let expected = auth::cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !constant_time_eq(submitted.as_bytes(), expected.as_bytes()) {
        return Err(WebError::csrf());
    }
    let email_text = form.text("email");
    let next = form.text("next");
    let password = form.text("password");
    let failed = || login_form(&state, lang, &email_text, &next, Some(t.get("login-failed")));
    let Ok(email) = Email::parse(&email_text) else {
        return failed();
    };
    let now = OffsetDateTime::now_utc();
    let Some(record) = state.store.sign_in_record(&email).await? else {
        // Spend the same time as a real check, so response times do not reveal which
        // addresses have accounts.
        let _ = auth::verify_password(state.dummy_hash().await?, &password).await;
        return failed();
    };
    let person = &record.person;
    let roles = state.store.roles_of(person.org, person.id).await?;
    let actor = Actor { org: person.org, person: person.id, roles };
    let rules = state.config.password_policy.rules(is_privileged(&state.library, &actor)).clone();
    let ctx = Ctx { org: person.org, actor: Some(person.id), role: None, at: now };
    if person.lockout.is_locked(now) || !person.active {
        state.store.record_sign_in_failure(&ctx, person.id, &person.lockout, false).await?;
        return login_form(&state, lang, &email_text, &next, Some(t.get("login-locked")));
    }
    if !auth::verify_password(&record.password_hash, &password).await {
        let after = person.lockout.after_failure(&rules, now);
        state.store.record_sign_in_failure(&ctx, person.id, &after.state, after.locked_now).await?;
        let message = if after.locked_now { t.get("login-locked") } else { t.get("login-failed") };
        return login_form(&state, lang, &email_text, &next, Some(message));
    }
    let token = auth::random_secret()?;
    let session = NewSession {
        token_hash: auth::secret_hash(&token),
        csrf_token: auth::random_secret()?,
        expires_at: now + Duration::hours(state.config.session_hours),
    };
    state.store.record_sign_in_success(&ctx, person.id, &session).await?;
    let target = if person.must_change_password { "/account/password".to_string() } else { safe_next(&next) };
    let mut response = Redirect::to(&target).into_response();
    let secure = state.config.secure_cookies;
    let max_age = state.config.session_hours * 3600;
    for cookie in
        [auth::set_cookie(SESSION_COOKIE, &token, Some(max_age), secure), auth::set_cookie(LOGIN_CSRF_COOKIE, "", Some(0), secure)]
    {
        if let Ok(v) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    if let Some(l) = person.lang
        && let Ok(v) = auth::set_cookie(LANG_COOKIE, l.as_str(), Some(365 * 24 * 3600), secure).parse()
    {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

pub async fn logout(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    if let auth::Credential::Session { token_hash, .. } = &viewer.credential {
        state.store.end_session(&viewer.ctx(Action::OwnAccount), token_hash).await?;
    }
    let mut response = Redirect::to("/login").into_response();
    if let Ok(v) = auth::set_cookie(SESSION_COOKIE, "", Some(0), state.config.secure_cookies).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}
