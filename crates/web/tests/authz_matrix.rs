//! Every route × every role, compared with an explicit table. A route without a row here fails
//! the test, so a new route cannot ship without its expected permissions. Record routes are
//! probed with a 社外秘 record of 営業部 and again with a 極秘 one, so clearances show.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

mod support;

use std::collections::HashMap;

use mamori_core::ids::RecordId;
use support::{TestApp, asset_fields, asset_input, csrf_of};

/// The roles probed, in the order of the table's columns ("anon" is nobody signed in).
const ROLES: [&str; 13] =
    ["anon", "ciso", "exec", "auditor", "head", "officer", "sysadmin", "emp_sales", "emp_hr", "buyer", "supplier", "nobody", "ciso_b"];

/// Outcome classes: `ok` = the handler ran (2xx, 3xx other than to sign-in, 409, 422);
/// `403`; `404`; `in` = sent to sign in (401, or a redirect to /login?next=…; signing out
/// also ends on /login, but without `next`).
fn class(status: u16, location: Option<&str>) -> &'static str {
    match status {
        401 => "in",
        303 | 302 if location.is_some_and(|l| l.starts_with("/login?next=")) => "in",
        403 => "403",
        404 => "404",
        200..=399 | 409 | 422 => "ok",
        _ => "unexpected",
    }
}

fn row(cells: &str) -> Vec<&str> {
    cells.split_whitespace().collect()
}

/// The expected table. `{id}` of record routes is the 社外秘 record in the first table, the 極秘
/// record in `SECRET_RECORD_ROWS`.
fn expected() -> HashMap<(&'static str, &'static str), Vec<&'static str>> {
    let all_ok = "ok ok ok ok ok ok ok ok ok ok ok ok ok";
    let signed_in = "in ok ok ok ok ok ok ok ok ok ok ok ok";
    let view_register = "in ok ok ok ok ok ok ok ok 403 403 403 ok";
    let create = "in ok 403 403 ok ok ok 403 403 403 403 403 ok";
    let export = "in ok ok ok ok ok ok 403 403 403 403 403 ok";
    let import = "in ok 403 403 403 403 ok 403 403 403 403 403 ok";
    let import_commit = "in 404 403 403 403 403 404 403 403 403 403 403 404";
    let show_internal = "in ok ok ok ok ok ok ok 404 404 404 404 404";
    let edit_internal = "in ok 403 403 ok ok ok 403 404 404 404 404 404";
    let people_view = "in ok ok ok ok ok ok 403 403 403 403 403 ok";
    let people_manage = "in ok 403 403 403 403 ok 403 403 403 403 403 ok";
    let people_target = "in ok 403 403 403 403 ok 403 403 403 403 403 404";
    let people_withdraw = "in 404 403 403 403 403 404 403 403 403 403 403 404";
    let rows: Vec<(&str, &str, &str)> = vec![
        ("GET", "/healthz", all_ok),
        ("GET", "/static/app.css", all_ok),
        ("GET", "/login", all_ok),
        ("POST", "/login", all_ok),
        ("POST", "/logout", signed_in),
        ("GET", "/", signed_in),
        ("GET", "/account", signed_in),
        ("GET", "/account/password", signed_in),
        ("POST", "/account/password", signed_in),
        ("POST", "/account/language", signed_in),
        ("GET", "/account/tokens", signed_in),
        ("POST", "/account/tokens", signed_in),
        ("POST", "/account/tokens/{id}/revoke", "in 404 404 404 404 404 404 404 404 404 404 404 404"),
        ("GET", "/people", people_view),
        ("POST", "/people", people_manage),
        ("POST", "/people/{id}/roles", people_target),
        ("POST", "/people/{id}/roles/withdraw", people_withdraw),
        ("GET", "/registers", signed_in),
        ("GET", "/registers/{register}", view_register),
        ("GET", "/registers/{register}/export.xlsx", export),
        ("GET", "/registers/{register}/export.csv", export),
        ("GET", "/registers/{register}/import", import),
        ("POST", "/registers/{register}/import", import),
        ("POST", "/registers/{register}/import/{batch}", import_commit),
        ("GET", "/registers/{register}/new", create),
        ("POST", "/registers/{register}", create),
        ("GET", "/registers/{register}/{id}", show_internal),
        ("GET", "/registers/{register}/{id}/edit", edit_internal),
        ("POST", "/registers/{register}/{id}", edit_internal),
        ("GET", "/api/openapi.json", all_ok),
        ("GET", "/api/me", signed_in),
        ("GET", "/api/registers", signed_in),
        ("GET", "/api/registers/{register}/records", view_register),
        ("POST", "/api/registers/{register}/records", create),
        ("GET", "/api/registers/{register}/records/{id}", show_internal),
        ("PUT", "/api/registers/{register}/records/{id}", edit_internal),
        ("GET", "/api/registers/{register}/records/{id}/history", show_internal),
    ];
    rows.into_iter().map(|(m, p, cells)| ((m, p), row(cells))).collect()
}

/// The record routes again, with a 極秘 record of 営業部: the security officer, the system
/// administrator (clearance 社外秘) and the employee no longer see it.
fn secret_record_rows() -> HashMap<(&'static str, &'static str), Vec<&'static str>> {
    let show = "in ok ok ok ok 404 404 404 404 404 404 404 404";
    let edit = "in ok 403 403 ok 404 404 404 404 404 404 404 404";
    [
        (("GET", "/registers/{register}/{id}"), show),
        (("GET", "/registers/{register}/{id}/edit"), edit),
        (("POST", "/registers/{register}/{id}"), edit),
        (("GET", "/api/registers/{register}/records/{id}"), show),
        (("PUT", "/api/registers/{register}/records/{id}"), edit),
        (("GET", "/api/registers/{register}/records/{id}/history"), show),
    ]
    .into_iter()
    .map(|(k, cells)| (k, row(cells)))
    .collect()
}

/// Sends one probe of `method path` as `role` and returns its outcome class.
async fn probe(app: &TestApp, role: &str, method: &str, path: &str, record: RecordId, confidentiality: i64) -> &'static str {
    let is_api = path.starts_with("/api/");
    let (client, csrf, token) = if role == "anon" {
        (app.client(), String::new(), None)
    } else if is_api {
        (app.client(), String::new(), Some(app.token(role).await))
    } else {
        let (client, csrf) = app.login(role).await;
        (client, csrf, None)
    };
    let target = &app.people["emp_hr"];
    let url = app.url(
        &path
            .replace("{register}", "information_assets")
            .replace("/people/{id}", &format!("/people/{}", target.id))
            .replace("/tokens/{id}", &format!("/tokens/{}", uuid::Uuid::now_v7()))
            .replace("{batch}", &uuid::Uuid::now_v7().simple().to_string())
            .replace("{id}", &record.to_string()),
    );
    let current = app.store.record(app.org_a, record).await.unwrap().map(|r| r.version).unwrap_or(1);
    let mut fields = asset_fields(&format!("probe {role}"), app.sales, confidentiality);
    let with_csrf = |mut f: Vec<(String, String)>| {
        f.push(("csrf".into(), csrf.clone()));
        f
    };
    let request = match (method, path) {
        ("GET", _) => client.get(&url),
        ("POST", "/login") => {
            let page = client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
            client.post(&url).form(&[("csrf", csrf_of(&page)), ("email", "nobody@nowhere.example".into()), ("password", "wrong".into())])
        }
        ("POST", "/account/password") => client.post(&url).form(&with_csrf(vec![
            ("current".into(), "wrong".into()),
            ("new".into(), "x".into()),
            ("confirm".into(), "x".into()),
        ])),
        ("POST", "/account/language") => client.post(&url).form(&with_csrf(vec![("lang".into(), "ja".into())])),
        ("POST", "/account/tokens") => client.post(&url).form(&with_csrf(vec![("name".into(), "probe".into())])),
        ("POST", "/people") => client.post(&url).form(&with_csrf(vec![
            ("name".into(), format!("追加 {role}")),
            ("email".into(), format!("added-{role}-{}@a.example", uuid::Uuid::now_v7().simple())),
            ("role".into(), "employee".into()),
            ("unit".into(), app.sales.to_string()),
        ])),
        ("POST", "/people/{id}/roles") => {
            client.post(&url).form(&with_csrf(vec![("role".into(), "education_manager".into()), ("unit".into(), String::new())]))
        }
        ("POST", "/people/{id}/roles/withdraw") => {
            client.post(&url).form(&with_csrf(vec![("role".into(), "auditor".into()), ("unit".into(), String::new())]))
        }
        ("POST", "/registers/{register}") => client.post(&url).form(&with_csrf(fields)),
        ("POST", "/registers/{register}/{id}") => {
            fields.push(("_version".into(), current.to_string()));
            client.post(&url).form(&with_csrf(fields))
        }
        ("POST", "/registers/{register}/import") => {
            let csv =
                "業務分類,情報資産名称,管理部署,個人情報の種類,機密性,完全性,可用性,登録日\n営業,取込,営業部,含まない,1,1,1,2026-04-01\n";
            let form = reqwest::multipart::Form::new()
                .text("csrf", csrf.clone())
                .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("probe.csv"));
            client.post(&url).multipart(form)
        }
        ("POST", "/api/registers/{register}/records") => {
            client.post(&url).json(&serde_json::json!({"fields": asset_input("api probe", app.sales, confidentiality)}))
        }
        ("PUT", _) => {
            client.put(&url).json(&serde_json::json!({"fields": asset_input("api probe", app.sales, confidentiality), "version": current}))
        }
        ("POST", _) => client.post(&url).form(&with_csrf(vec![])),
        _ => panic!("no probe for {method} {path}"),
    };
    let request = match token {
        Some(t) => request.bearer_auth(t),
        None => request,
    };
    let response = request.send().await.unwrap();
    let location = response.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_string);
    class(response.status().as_u16(), location.as_deref())
}

async fn run_matrix(
    app: &TestApp,
    table: &HashMap<(&'static str, &'static str), Vec<&'static str>>,
    record: RecordId,
    confidentiality: i64,
    only_listed: bool,
) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut probes = 0;
    for spec in mamori_web::routes::routes() {
        let Some(expected) = table.get(&(spec.method, spec.path)) else {
            if !only_listed {
                failures.push(format!("{} {} has no row in the expected table", spec.method, spec.path));
            }
            continue;
        };
        for (role, want) in ROLES.iter().zip(expected) {
            probes += 1;
            let got = probe(app, role, spec.method, spec.path, record, confidentiality).await;
            if got != *want {
                failures.push(format!("{} {} as {role}: expected {want}, got {got}", spec.method, spec.path));
            }
        }
    }
    (probes, failures)
}

#[tokio::test]
async fn every_route_for_every_role() {
    let app = TestApp::spawn().await;
    let internal = app.asset(app.org_a, &asset_input("社外秘の資産", app.sales, 2)).await;
    let (probes, mut failures) = run_matrix(&app, &expected(), internal, 2, false).await;
    let secret = app.asset(app.org_a, &asset_input("極秘の資産", app.sales, 3)).await;
    let (more, secret_failures) = run_matrix(&app, &secret_record_rows(), secret, 3, true).await;
    failures.extend(secret_failures);
    eprintln!(
        "authz matrix: {} probes ({} routes × {} roles, plus {} on a 極秘 record)",
        probes + more,
        mamori_web::routes::routes().len(),
        ROLES.len(),
        more
    );
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
