//! The routes. Every route is listed in [`ROUTES`] with the action that guards it, and the
//! router is built from the same list, so a route cannot exist without an entry; the test
//! `authz_matrix` walks the list for every role and compares with an explicit expected table.

mod account;
mod forms;
mod registers;
mod session;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::middleware;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{MethodRouter, get, post};
use mamori_core::authz::Action;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;

pub use forms::FormFields;

/// Who may reach a route before its handler looks at the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Anyone, signed in or not (sign-in page, health, static files).
    Public,
    /// A signed-in person; the handler authorises `Action` on the resource it touches.
    Action(Action),
}

/// One route: method, path pattern (axum syntax), and its guard.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub guard: Guard,
}

const fn route(method: &'static str, path: &'static str, guard: Guard) -> RouteSpec {
    RouteSpec {
        method,
        path,
        guard,
    }
}

use Guard::{Action as A, Public};

/// Every route of the application.
pub const ROUTES: &[RouteSpec] = &[
    route("GET", "/healthz", Public),
    route("GET", "/static/app.css", Public),
    route("GET", "/login", Public),
    route("POST", "/login", Public),
    route("POST", "/logout", A(Action::OwnAccount)),
    route("GET", "/", A(Action::OwnAccount)),
    route("GET", "/account", A(Action::OwnAccount)),
    route("GET", "/account/password", A(Action::OwnAccount)),
    route("POST", "/account/password", A(Action::OwnAccount)),
    route("POST", "/account/language", A(Action::OwnAccount)),
    route("GET", "/registers", A(Action::OwnAccount)),
    route("GET", "/registers/{register}", A(Action::RegisterView)),
    route("GET", "/registers/{register}/new", A(Action::RecordCreate)),
    route("POST", "/registers/{register}", A(Action::RecordCreate)),
    route("GET", "/registers/{register}/{id}", A(Action::RegisterView)),
    route(
        "GET",
        "/registers/{register}/{id}/edit",
        A(Action::RecordUpdate),
    ),
    route(
        "POST",
        "/registers/{register}/{id}",
        A(Action::RecordUpdate),
    ),
];

fn handler(spec: &RouteSpec) -> Option<MethodRouter<AppState>> {
    Some(match (spec.method, spec.path) {
        ("GET", "/healthz") => get(|| async { "ok" }),
        ("GET", "/static/app.css") => get(stylesheet),
        ("GET", "/login") => get(session::login_page),
        ("POST", "/login") => post(session::login),
        ("POST", "/logout") => post(session::logout),
        ("GET", "/") => get(|| async { Redirect::to("/registers") }),
        ("GET", "/account") => get(account::account_page),
        ("GET", "/account/password") => get(account::password_page),
        ("POST", "/account/password") => post(account::change_password),
        ("POST", "/account/language") => post(account::set_language),
        ("GET", "/registers") => get(registers::index),
        ("GET", "/registers/{register}") => get(registers::list),
        ("GET", "/registers/{register}/new") => get(registers::new_form),
        ("POST", "/registers/{register}") => post(registers::create),
        ("GET", "/registers/{register}/{id}") => get(registers::show),
        ("GET", "/registers/{register}/{id}/edit") => get(registers::edit_form),
        ("POST", "/registers/{register}/{id}") => post(registers::update),
        _ => return None,
    })
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

/// Builds the application from [`ROUTES`].
pub fn router(state: AppState) -> Router {
    let mut router: Router<AppState> = Router::new();
    let mut paths: Vec<&str> = ROUTES.iter().map(|r| r.path).collect();
    paths.dedup();
    let mut seen = std::collections::BTreeSet::new();
    for path in ROUTES.iter().map(|r| r.path) {
        if !seen.insert(path) {
            continue;
        }
        let mut method_router: Option<MethodRouter<AppState>> = None;
        for spec in ROUTES.iter().filter(|r| r.path == path) {
            if let Some(h) = handler(spec) {
                method_router = Some(match method_router {
                    Some(existing) => existing.merge(h),
                    None => h,
                });
            }
        }
        if let Some(mr) = method_router {
            router = router.route(path, mr);
        }
    }
    let max_body = state.config.max_body_bytes;
    router
        .fallback(|| async { crate::error::WebError::not_found() })
        .layer(middleware::from_fn(crate::csrf::same_origin))
        .layer(middleware::from_fn(crate::error::render_errors))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_handler() {
        for spec in ROUTES {
            assert!(
                handler(spec).is_some(),
                "{} {} has no handler",
                spec.method,
                spec.path
            );
        }
    }
}
