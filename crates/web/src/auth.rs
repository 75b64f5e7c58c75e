//! Who is asking: sessions (a random token in an HttpOnly cookie; only its SHA-256 is stored),
//! personal API tokens (Bearer), Argon2id password hashes, and the [`Viewer`] every handler
//! receives. [`Viewer::authorize`] is the only way a handler checks a permission; it enforces
//! `mamori_core::authz::authorize`.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use mamori_core::Lang;
use mamori_core::authz::{Action, Decision, Resource, Visibility, authorize, visibility};
use mamori_core::ids::OrgId;
use mamori_core::journal::sha256_hex;
use mamori_core::library::RoleKey;
use mamori_core::person::{Actor, RoleAssignment};
use mamori_store::{Ctx, Organisation, Person};
use time::OffsetDateTime;

use crate::AppState;
use crate::error::WebError;
use crate::i18n::Tr;

pub const SESSION_COOKIE: &str = "mamori_session";
pub const LANG_COOKIE: &str = "mamori_lang";
pub const LOGIN_CSRF_COOKIE: &str = "mamori_login_csrf";

/// A random secret of 32 bytes, URL-safe.
pub fn random_secret() -> Result<String, WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| WebError::internal(format!("random source: {e}")))?;
    Ok(base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes))
}

pub fn secret_hash(secret: &str) -> String {
    sha256_hex(secret.as_bytes())
}

fn argon2(config: &crate::WebConfig) -> Result<Argon2<'static>, WebError> {
    let params = Params::new(config.argon2_memory_kib, config.argon2_iterations, 1, None).map_err(|e| WebError::internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password with Argon2id and a fresh salt. Runs on a blocking thread.
pub async fn hash_password(config: &crate::WebConfig, password: &str) -> Result<String, WebError> {
    let hasher = argon2(config)?;
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        // argon2 0.6 draws a fresh random salt itself.
        let hash: PasswordHash = hasher.hash_password(password.as_bytes()).map_err(|e| WebError::internal(e.to_string()))?;
        Ok(hash.to_string())
    })
    .await
    .map_err(|e| WebError::internal(e.to_string()))?
}

/// Checks a password against a stored hash (the hash carries its own parameters).
pub async fn verify_password(hash: &str, password: &str) -> bool {
    let hash = hash.to_string();
    let password = password.to_string();
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}

/// A cookie value from the `Cookie` header.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// A `Set-Cookie` value with Mamori's attributes: HttpOnly, SameSite=Lax, Path=/, Secure under TLS.
pub fn set_cookie(name: &str, value: &str, max_age_seconds: Option<i64>, secure: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_seconds {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// The language of a request before (or without) a person: the language cookie, then the
/// browser's Accept-Language, then Japanese.
pub fn request_lang(headers: &HeaderMap) -> Lang {
    cookie(headers, LANG_COOKIE)
        .as_deref()
        .and_then(Lang::parse)
        .or_else(|| headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Lang::from_accept_language))
        .unwrap_or_default()
}

/// How the viewer proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session: the token's hash and the session's CSRF token.
    Session { token_hash: String, csrf: String },
    /// A personal API token (no CSRF: it is not sent automatically by browsers).
    ApiToken,
}

/// The signed-in person making a request, with their organisation and roles.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub actor: Actor,
    pub person: Person,
    pub organisation: Organisation,
    pub lang: Lang,
    pub credential: Credential,
    pub state_library: std::sync::Arc<mamori_core::library::Library>,
}

impl Viewer {
    pub fn org(&self) -> OrgId {
        self.actor.org
    }

    pub fn tr(&self) -> Tr {
        Tr::new(self.lang)
    }

    /// The one permission check of every handler: refuses with 403 unless core allows.
    pub fn authorize(&self, action: Action, resource: &Resource<'_>) -> Result<(), WebError> {
        match authorize(&self.state_library, &self.actor, action, resource) {
            Decision::Allow => Ok(()),
            Decision::Deny => Err(WebError::forbidden()),
        }
    }

    /// Whether the viewer may do something (to show or hide a button); never a substitute for
    /// `authorize` in the handler that does it.
    pub fn may(&self, action: Action, resource: &Resource<'_>) -> bool {
        authorize(&self.state_library, &self.actor, action, resource).is_allowed()
    }

    pub fn visibility(&self, register: &str) -> Visibility {
        visibility(&self.state_library, &self.actor, register)
    }

    /// The role the viewer acts in for the journal: the first role whose grants allow the action.
    pub fn acting_role(&self, action: Action) -> Option<RoleKey> {
        self.actor
            .roles
            .iter()
            .find(|a| self.state_library.role(&a.role).is_some_and(|r| r.grants.iter().any(|g| g.action == action)))
            .or(self.actor.roles.first())
            .map(|a| a.role.clone())
    }

    /// The command context for the journal.
    pub fn ctx(&self, action: Action) -> Ctx {
        Ctx { org: self.actor.org, actor: Some(self.actor.person), role: self.acting_role(action), at: OffsetDateTime::now_utc() }
    }

    pub fn csrf_token(&self) -> &str {
        match &self.credential {
            Credential::Session { csrf, .. } => csrf,
            Credential::ApiToken => "",
        }
    }
}

/// Completes a viewer from its person, organisation and roles: their language.
fn viewer_of(
    state: &AppState,
    person: Person,
    organisation: Organisation,
    roles: Vec<RoleAssignment>,
    credential: Credential,
    headers: &HeaderMap,
) -> Result<Viewer, WebError> {
    if !person.active {
        return Err(WebError::not_signed_in());
    }
    let lang = person.lang.unwrap_or_else(|| request_lang(headers));
    Ok(Viewer {
        actor: Actor { org: person.org, person: person.id, roles },
        person,
        organisation,
        lang,
        credential,
        state_library: state.library.clone(),
    })
}

/// Paths a person who must change their password may still reach.
fn allowed_before_password_change(path: &str) -> bool {
    matches!(path, "/account/password" | "/logout") || path.starts_with("/static/")
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Viewer, WebError> {
        if let Some(v) = parts.extensions.get::<Viewer>() {
            return Ok(v.clone());
        }
        let now = OffsetDateTime::now_utc();
        let viewer = if parts.uri.path().starts_with("/api/") {
            let bearer = parts
                .headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or_else(WebError::not_signed_in)?;
            let token = state.store.use_api_token(&secret_hash(bearer), now).await?.ok_or_else(WebError::not_signed_in)?;
            let person = state.store.person(token.org, token.person).await?.ok_or_else(WebError::not_signed_in)?;
            let organisation = state.store.organisation(token.org).await?;
            let roles = state.store.roles_of(person.org, person.id).await?;
            viewer_of(state, person, organisation, roles, Credential::ApiToken, &parts.headers)?
        } else {
            let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(WebError::not_signed_in)?;
            let token_hash = secret_hash(&token);
            let signed_in = state.store.signed_in(&token_hash, now).await?.ok_or_else(WebError::not_signed_in)?;
            let credential = Credential::Session { token_hash, csrf: signed_in.session.csrf_token };
            let viewer = viewer_of(state, signed_in.person, signed_in.organisation, signed_in.roles, credential, &parts.headers)?;
            if viewer.person.must_change_password && !allowed_before_password_change(parts.uri.path()) {
                return Err(WebError::forbidden().with_redirect("/account/password"));
            }
            viewer
        };
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}
