//! The signed-in person's own account: password change (forced at first sign-in), language.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use mamori_core::Lang;
use mamori_core::authz::{Action, Resource, is_privileged};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::{self, Credential, LANG_COOKIE, Viewer};
use crate::csrf::check_form_token;
use crate::error::WebError;
use crate::i18n::Tr;
use crate::routes::FormFields;
use crate::view::{Nav, render};

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    t: Tr,
    nav: Nav,
    forced: bool,
    done: bool,
    errors: Vec<String>,
    rule: String,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    t: Tr,
    nav: Nav,
    email: String,
    roles: Vec<String>,
}

pub async fn account_page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    let t = viewer.tr();
    let units = state.store.units(viewer.org()).await?;
    let roles = viewer
        .actor
        .roles
        .iter()
        .map(|a| {
            let role = state.library.role(&a.role).map(|r| t.text(&r.name).to_string()).unwrap_or_else(|| a.role.to_string());
            match a.unit.and_then(|u| units.iter().find(|x| x.id == u)) {
                Some(unit) => format!("{role}（{}）", t.text(&unit.name)),
                None => role,
            }
        })
        .collect();
    Ok(render(&AccountPage { t, nav: Nav::new(&viewer, "account"), email: viewer.person.email.to_string(), roles }))
}

fn rule_text(state: &AppState, viewer: &Viewer) -> String {
    let key = if is_privileged(&state.library, &viewer.actor) { "password-rule-privileged" } else { "password-rule-general" };
    viewer.tr().get(key)
}

#[derive(Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn password_page(State(state): State<AppState>, viewer: Viewer, Query(q): Query<DoneQuery>) -> Result<Response, WebError> {
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    Ok(render(&PasswordPage {
        t: viewer.tr(),
        nav: Nav::new(&viewer, "account"),
        forced: viewer.person.must_change_password,
        done: q.done.is_some(),
        errors: Vec::new(),
        rule: rule_text(&state, &viewer),
    }))
}

pub async fn change_password(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    let t = viewer.tr();
    let (current, new, confirm) = (form.text("current"), form.text("new"), form.text("confirm"));
    let mut errors = Vec::new();
    let record = state.store.sign_in_record_by_id(viewer.org(), viewer.person.id).await?.ok_or_else(WebError::not_found)?;
    if !auth::verify_password(&record.password_hash, &current).await {
        errors.push(t.get("password-wrong-current"));
    } else if new != confirm {
        errors.push(t.get("password-mismatch"));
    } else {
        let policy = &state.config.password_policy;
        let local = viewer.person.email.as_str().split('@').next().unwrap_or_default().to_string();
        match policy.check_new(&new, is_privileged(&state.library, &viewer.actor), &local) {
            Err(e) => errors.push(e.message(viewer.lang)),
            Ok(()) => {
                let now = OffsetDateTime::now_utc();
                for old in state.store.password_hashes_since(viewer.org(), viewer.person.id, policy.reuse_cutoff(now)).await? {
                    if auth::verify_password(&old, &new).await {
                        errors.push(policy.reuse_error().message(viewer.lang));
                        break;
                    }
                }
            }
        }
    }
    if !errors.is_empty() {
        let page = PasswordPage {
            t,
            nav: Nav::new(&viewer, "account"),
            forced: viewer.person.must_change_password,
            done: false,
            errors,
            rule: rule_text(&state, &viewer),
        };
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, render(&page)).into_response());
    }
    let hash = auth::hash_password(&state.config, &new).await?;
    state.store.set_password(&viewer.ctx(Action::OwnAccount), viewer.person.id, &hash, false).await?;
    if let Credential::Session { token_hash, .. } = &viewer.credential {
        state.store.end_other_sessions(viewer.org(), viewer.person.id, token_hash).await?;
    }
    Ok(Redirect::to("/account/password?done=1").into_response())
}

pub async fn set_language(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    let lang = Lang::parse(&form.text("lang")).ok_or_else(|| WebError::malformed("lang"))?;
    state.store.set_language(&viewer.ctx(Action::OwnAccount), viewer.person.id, Some(lang)).await?;
    // Back to the page the switch was pressed on, if it is ours.
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".to_string());
    let mut response = Redirect::to(&back).into_response();
    if let Ok(v) = auth::set_cookie(LANG_COOKIE, lang.as_str(), Some(365 * 24 * 3600), state.config.secure_cookies).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

struct TokenRow {
    id: String,
    name: String,
    created: String,
    last_used: String,
    revoked: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    t: Tr,
    nav: Nav,
    tokens: Vec<TokenRow>,
    created: Option<String>,
}

async fn tokens_page(state: &AppState, viewer: &Viewer, created: Option<String>) -> Result<Response, WebError> {
    let tokens = state
        .store
        .api_tokens_of(viewer.org(), viewer.person.id)
        .await?
        .into_iter()
        .map(|tk| TokenRow {
            id: tk.id.to_string(),
            name: tk.name,
            created: crate::routes::registers::format_time(tk.created_at),
            last_used: tk.last_used_at.map(crate::routes::registers::format_time).unwrap_or_default(),
            revoked: tk.revoked_at.is_some(),
        })
        .collect();
    Ok(render(&TokensPage { t: viewer.tr(), nav: Nav::new(viewer, "account"), tokens, created }))
}

pub async fn tokens(State(state): State<AppState>, viewer: Viewer) -> Result<Response, WebError> {
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    tokens_page(&state, &viewer, None).await
}

/// Creates a personal API token and shows it once; only its hash is stored.
pub async fn create_token(State(state): State<AppState>, viewer: Viewer, form: FormFields) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    let name: String = form.text("name").trim().chars().take(100).collect();
    if name.is_empty() {
        return Err(WebError::malformed("name"));
    }
    let secret = format!("mmr_{}", auth::random_secret()?);
    let id = mamori_core::ids::TokenId::from_uuid(uuid::Uuid::now_v7());
    state.store.create_api_token(&viewer.ctx(Action::OwnAccount), id, &name, &auth::secret_hash(&secret)).await?;
    tokens_page(&state, &viewer, Some(secret)).await
}

pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    axum::extract::Path(id): axum::extract::Path<String>,
    form: FormFields,
) -> Result<Response, WebError> {
    check_form_token(&viewer, &form.text("csrf"))?;
    viewer.authorize(Action::OwnAccount, &Resource::OwnAccount)?;
    let id = mamori_core::ids::TokenId::parse(&id).map_err(|_| WebError::not_found())?;
    state.store.revoke_api_token(&viewer.ctx(Action::OwnAccount), id).await?;
    Ok(Redirect::to("/account/tokens").into_response())
}
