//! The routes. Every route is one entry of [`table`]: method, path, the action that guards it,
//! and its handler. The router is built from that list and [`routes`] exposes it, so a route
//! cannot exist without its guard; the test `authz_matrix` walks [`routes`] for every role and
//! compares with an explicit expected table.

mod account;
mod api;
mod assessments;
mod catalog_mapping;
mod catalogs;
mod forms;
mod people;
mod registers;
mod session;
mod suppliers;
mod transfer;

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
pub(crate) use registers::facts;

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
    RouteSpec { method, path, guard }
}

use Guard::{Action as A, Public};

/// Every route of the application with its guard and handler: the one list the router and the
/// authorisation tests are built from.
fn table() -> Vec<(RouteSpec, MethodRouter<AppState>)> {
    use axum::routing::put;
    vec![
        (route("GET", "/healthz", Public), get(|| async { "ok" })),
        (route("GET", "/static/app.css", Public), get(stylesheet)),
        (route("GET", "/login", Public), get(session::login_page)),
        (route("POST", "/login", Public), post(session::login)),
        (route("POST", "/logout", A(Action::OwnAccount)), post(session::logout)),
        (route("GET", "/", A(Action::OwnAccount)), get(home)),
        (route("GET", "/account", A(Action::OwnAccount)), get(account::account_page)),
        (route("GET", "/account/password", A(Action::OwnAccount)), get(account::password_page)),
        (route("POST", "/account/password", A(Action::OwnAccount)), post(account::change_password)),
        (route("POST", "/account/language", A(Action::OwnAccount)), post(account::set_language)),
        (route("GET", "/account/tokens", A(Action::OwnAccount)), get(account::tokens)),
        (route("POST", "/account/tokens", A(Action::OwnAccount)), post(account::create_token)),
        (route("POST", "/account/tokens/{id}/revoke", A(Action::OwnAccount)), post(account::revoke_token)),
        (route("GET", "/people", A(Action::PeopleView)), get(people::list)),
        (route("POST", "/people", A(Action::PeopleManage)), post(people::create)),
        (route("POST", "/people/{id}/roles", A(Action::PeopleManage)), post(people::grant)),
        (route("POST", "/people/{id}/roles/withdraw", A(Action::PeopleManage)), post(people::withdraw)),
        (route("GET", "/registers", A(Action::OwnAccount)), get(registers::index)),
        (route("GET", "/registers/{register}", A(Action::RegisterView)), get(registers::list)),
        (route("GET", "/registers/{register}/export.xlsx", A(Action::RegisterExport)), get(transfer::export_xlsx_route)),
        (route("GET", "/registers/{register}/export.csv", A(Action::RegisterExport)), get(transfer::export_csv_route)),
        (route("GET", "/registers/{register}/import", A(Action::RegisterImport)), get(transfer::import_form)),
        (route("POST", "/registers/{register}/import", A(Action::RegisterImport)), post(transfer::preview)),
        (route("POST", "/registers/{register}/import/{batch}", A(Action::RegisterImport)), post(transfer::commit)),
        (route("GET", "/registers/{register}/new", A(Action::RecordCreate)), get(registers::new_form)),
        (route("POST", "/registers/{register}", A(Action::RecordCreate)), post(registers::create)),
        (route("GET", "/registers/{register}/{id}", A(Action::RegisterView)), get(registers::show)),
        (route("GET", "/registers/{register}/{id}/edit", A(Action::RecordUpdate)), get(registers::edit_form)),
        (route("POST", "/registers/{register}/{id}", A(Action::RecordUpdate)), post(registers::update)),
        (route("GET", "/catalogs", A(Action::CatalogView)), get(catalogs::list)),
        (route("GET", "/catalogs/compare", A(Action::CatalogView)), get(catalogs::compare)),
        (route("GET", "/catalogs/import", A(Action::CatalogImport)), get(catalogs::import_form)),
        (route("POST", "/catalogs/import", A(Action::CatalogImport)), post(catalogs::import)),
        (route("GET", "/catalog-imports/{upload}", A(Action::CatalogImport)), get(catalog_mapping::show)),
        (route("POST", "/catalog-imports/{upload}", A(Action::CatalogImport)), post(catalog_mapping::confirm)),
        (route("GET", "/catalogs/{catalog}/{edition}", A(Action::CatalogView)), get(catalogs::show)),
        (route("GET", "/catalogs/{catalog}/{edition}/{ref}", A(Action::CatalogView)), get(catalogs::node)),
        (route("GET", "/assessments", A(Action::AssessmentView)), get(assessments::list)),
        (route("GET", "/assessments/new", A(Action::AssessmentManage)), get(assessments::new_form)),
        (route("POST", "/assessments", A(Action::AssessmentManage)), post(assessments::create)),
        (route("GET", "/assessments/import", A(Action::AssessmentManage)), get(assessments::import_form)),
        (route("POST", "/assessments/import", A(Action::AssessmentManage)), post(assessments::import)),
        (route("GET", "/assessments/{assessment}", A(Action::AssessmentView)), get(assessments::show)),
        (route("GET", "/assessments/{assessment}/compare", A(Action::AssessmentView)), get(assessments::compare)),
        (route("GET", "/assessments/{assessment}/workbook.xlsx", A(Action::AssessmentView)), get(assessments::export_workbook)),
        (route("GET", "/assessments/{assessment}/package.zip", A(Action::AssessmentManage)), get(assessments::package)),
        (route("GET", "/assessments/{assessment}/report.pdf", A(Action::AssessmentView)), get(assessments::report_pdf)),
        (route("POST", "/assessments/{assessment}/assign", A(Action::AssessmentManage)), post(assessments::assign)),
        (route("POST", "/assessments/{assessment}/transition", A(Action::AssessmentAnswer)), post(assessments::transition)),
        (route("POST", "/assessments/{assessment}/actions", A(Action::AssessmentManage)), post(assessments::plan_actions)),
        (route("GET", "/assessments/{assessment}/evidence/{evidence}", A(Action::AssessmentView)), get(assessments::download)),
        (route("GET", "/assessments/{assessment}/items/{ref}", A(Action::AssessmentView)), get(assessments::item)),
        (route("POST", "/assessments/{assessment}/items/{ref}/answer", A(Action::AssessmentAnswer)), post(assessments::answer)),
        (route("POST", "/assessments/{assessment}/items/{ref}/evidence", A(Action::AssessmentAnswer)), post(assessments::add_evidence)),
        (route("POST", "/assessments/{assessment}/items/{ref}/approve", A(Action::AssessmentReview)), post(assessments::approve)),
        (route("POST", "/assessments/{assessment}/items/{ref}/action", A(Action::AssessmentAnswer)), post(assessments::set_action)),
        (route("GET", "/suppliers", A(Action::SupplierOversee)), get(suppliers::dashboard)),
        (route("POST", "/suppliers", A(Action::SupplierOversee)), post(suppliers::register)),
        (route("GET", "/suppliers/export.csv", A(Action::SupplierOversee)), get(suppliers::export_csv)),
        (route("POST", "/suppliers/distribute", A(Action::SupplierOversee)), post(suppliers::distribute)),
        (route("POST", "/suppliers/remind", A(Action::SupplierOversee)), post(suppliers::remind)),
        (route("GET", "/suppliers/{supplier}", A(Action::SupplierOversee)), get(suppliers::karte)),
        (route("POST", "/suppliers/{supplier}/findings", A(Action::SupplierOversee)), post(suppliers::add_finding)),
        (route("POST", "/suppliers/{supplier}/package", A(Action::SupplierOversee)), post(suppliers::import_package)),
        (route("GET", "/api/openapi.json", Public), get(api::openapi)),
        (route("GET", "/api/me", A(Action::OwnAccount)), get(api::me)),
        (route("GET", "/api/registers", A(Action::OwnAccount)), get(api::registers)),
        (route("GET", "/api/registers/{register}/records", A(Action::RegisterView)), get(api::list)),
        (route("POST", "/api/registers/{register}/records", A(Action::RecordCreate)), post(api::create)),
        (route("GET", "/api/registers/{register}/records/{id}", A(Action::RegisterView)), get(api::show)),
        (route("PUT", "/api/registers/{register}/records/{id}", A(Action::RecordUpdate)), put(api::update)),
        (route("GET", "/api/registers/{register}/records/{id}/history", A(Action::RegisterView)), get(api::history)),
    ]
}

/// Every route's method, path and guard.
pub fn routes() -> Vec<RouteSpec> {
    table().into_iter().map(|(spec, _)| spec).collect()
}

/// The start page: the registers, for a signed-in person; sign-in for anyone else.
async fn home(viewer: crate::auth::Viewer) -> Result<Redirect, crate::error::WebError> {
    viewer.authorize(Action::OwnAccount, &mamori_core::authz::Resource::OwnAccount)?;
    Ok(Redirect::to("/registers"))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
}

/// Builds the application from [`table`].
pub fn router(state: AppState) -> Router {
    let mut by_path: Vec<(&'static str, MethodRouter<AppState>)> = Vec::new();
    for (spec, handler) in table() {
        match by_path.iter_mut().find(|(p, _)| *p == spec.path) {
            Some((_, existing)) => *existing = std::mem::take(existing).merge(handler),
            None => by_path.push((spec.path, handler)),
        }
    }
    let mut router: Router<AppState> = Router::new();
    for (path, handler) in by_path {
        router = router.route(path, handler);
    }
    let max_body = state.config.max_body_bytes;
    router
        .fallback(|| async { crate::error::WebError::not_found() })
        .layer(middleware::from_fn(crate::csrf::same_origin))
        .layer(middleware::from_fn(crate::error::render_errors))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::if_not_present(header::REFERRER_POLICY, HeaderValue::from_static("same-origin")))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'self'; form-action 'self'; frame-ancestors 'none'"),
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_unique() {
        let specs = routes();
        for (i, a) in specs.iter().enumerate() {
            assert!(!specs[..i].iter().any(|b| b.method == a.method && b.path == a.path), "{} {} is declared twice", a.method, a.path);
        }
    }
}
