//! Every route × every role, compared with an explicit table. A route of
//! `mamori_web::routes::routes()` without a row here fails the test, so a new route cannot ship
//! without its expected permissions; a row for a route that no longer exists fails it too.
//! Record routes are probed with a 社外秘 record of 営業部 and again with a 極秘 one, so that
//! clearances show.
//!
//! Each probe signs in afresh (signing out is one of the routes) and sends a minimal valid
//! request, so that the outcome is the authorisation decision, not a validation error:
//! records, people and import rows name the 営業部 of the prober's own organisation; the
//! stateful targets (a token to revoke, a role to grant or withdraw, an import batch, a table
//! waiting on the catalog mapping step) are prepared before each probe.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

mod support;

use std::collections::BTreeMap;

use mamori_core::ids::{OrgId, RecordId, TokenId};
use mamori_core::library::RoleKey;
use mamori_core::person::RoleAssignment;
use mamori_store::{Ctx, ImportBatch, NewCatalogUpload};
use serde_json::json;
use support::{TestApp, asset_fields, asset_input, csrf_of, location};
use time::OffsetDateTime;

/// The roles probed, in the order of the table's columns ("anon" is nobody signed in).
const ROLES: [&str; 13] =
    ["anon", "ciso", "exec", "auditor", "head", "officer", "sysadmin", "emp_sales", "emp_hr", "buyer", "supplier", "nobody", "ciso_b"];

/// The expected outcome of every route for every role, with a 社外秘 record of 営業部 in
/// organisation A (owned by nobody) as `{id}`.
///
/// Outcomes: `ok` = allowed (2xx, or 3xx other than to sign-in); `in` = sent to sign in (401,
/// or a redirect to /login?next=…); `403`; `404`; `422` = allowed, and the body refused.
///
/// Columns: anon ciso exec auditor head officer sysadmin emp_sales emp_hr buyer supplier nobody ciso_b
/// (head = 部門長 of 営業部, officer = 情報セキュリティ担当者 of 営業部, emp_* = 従業員 of 営業部 / 人事部,
/// nobody = no role, ciso_b = the ciso of organisation B).
#[rustfmt::skip]
const EXPECTED: &[(&str, &str, &str)] = &[
    //                                                            anon ciso exec aud  head off  sys  emp_s emp_h buy  sup  none cisoB
    ("GET", "/healthz",                                           "ok   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/static/app.css",                                    "ok   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/login",                                             "ok   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("POST", "/login",                                            "ok   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("POST", "/logout",                                           "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/",                                                  "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/account",                                           "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/account/password",                                  "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("POST", "/account/password",                                 "in   422  422  422  422  422  422  422   422   422  422  422  422"),
    ("POST", "/account/language",                                 "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/account/tokens",                                    "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("POST", "/account/tokens",                                   "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("POST", "/account/tokens/{id}/revoke",                       "in   ok   404  404  404  404  404  404   404   404  404  404  404"),
    ("GET", "/people",                                            "in   ok   ok   ok   ok   ok   ok   403   403   403  403  403  ok"),
    ("POST", "/people",                                           "in   ok   403  403  403  403  ok   403   403   403  403  403  ok"),
    ("POST", "/people/{id}/roles",                                "in   ok   403  403  403  403  ok   403   403   403  403  403  404"),
    ("POST", "/people/{id}/roles/withdraw",                       "in   ok   403  403  403  403  ok   403   403   403  403  403  404"),
    ("GET", "/registers",                                         "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/registers/{register}",                              "in   ok   ok   ok   ok   ok   ok   ok    ok    403  403  403  ok"),
    ("GET", "/registers/{register}/export.xlsx",                  "in   ok   ok   ok   ok   ok   ok   403   403   403  403  403  ok"),
    ("GET", "/registers/{register}/export.csv",                   "in   ok   ok   ok   ok   ok   ok   403   403   403  403  403  ok"),
    ("GET", "/registers/{register}/import",                       "in   ok   403  403  403  403  ok   403   403   403  403  403  ok"),
    ("POST", "/registers/{register}/import",                      "in   ok   403  403  403  403  ok   403   403   403  403  403  ok"),
    ("POST", "/registers/{register}/import/{batch}",              "in   ok   403  403  403  403  ok   403   403   403  403  403  ok"),
    ("GET", "/registers/{register}/new",                          "in   ok   403  403  ok   ok   ok   403   403   403  403  403  ok"),
    ("POST", "/registers/{register}",                             "in   ok   403  403  ok   ok   ok   403   403   403  403  403  ok"),
    ("GET", "/registers/{register}/{id}",                         "in   ok   ok   ok   ok   ok   ok   ok    404   404  404  404  404"),
    ("GET", "/registers/{register}/{id}/edit",                    "in   ok   403  403  ok   ok   ok   403   404   404  404  404  404"),
    ("POST", "/registers/{register}/{id}",                        "in   ok   403  403  ok   ok   ok   403   404   404  404  404  404"),
    ("GET", "/catalogs",                                          "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   403  ok"),
    ("GET", "/catalogs/compare",                                  "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   403  ok"),
    ("GET", "/catalogs/import",                                   "in   ok   403  403  403  403  403  403   403   403  403  403  ok"),
    ("POST", "/catalogs/import",                                  "in   ok   403  403  403  403  403  403   403   403  403  403  ok"),
    ("GET", "/catalog-imports/{upload}",                          "in   ok   403  403  403  403  403  403   403   403  403  403  ok"),
    ("POST", "/catalog-imports/{upload}",                         "in   ok   403  403  403  403  403  403   403   403  403  403  ok"),
    ("GET", "/catalogs/{catalog}/{edition}",                      "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   403  ok"),
    ("GET", "/catalogs/{catalog}/{edition}/{ref}",                "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   403  ok"),
    ("GET", "/assessments",                                       "in   ok   ok   ok   ok   ok   ok   403   403   403  ok   403  ok"),
    ("GET", "/assessments/new",                                   "in   ok   403  403  403  403  403  403   403   403  ok   403  ok"),
    ("POST", "/assessments",                                      "in   ok   403  403  403  403  403  403   403   403  ok   403  ok"),
    ("GET", "/assessments/import",                                "in   ok   403  403  403  403  403  403   403   403  403  403  ok"),
    ("POST", "/assessments/import",                               "in   422  403  403  403  403  403  403   403   403  403  403  422"),
    ("GET", "/assessments/{assessment}/workbook.xlsx",            "in   404  404  404  404  404  404  404   404   404  404  404  404"),
    ("GET", "/assessments/{assessment}/report.pdf",               "in   ok   ok   ok   ok   ok   ok   404   404   404  ok   404  404"),
    ("GET", "/assessments/{assessment}",                          "in   ok   ok   ok   ok   ok   ok   404   404   404  ok   404  404"),
    ("GET", "/assessments/{assessment}/compare",                  "in   ok   ok   ok   ok   ok   ok   404   404   404  ok   404  404"),
    ("POST", "/assessments/{assessment}/assign",                  "in   ok   403  403  403  403  403  404   404   404  ok   404  404"),
    ("GET", "/assessments/{assessment}/package.zip",              "in   422  403  403  403  403  403  404   404   404  422  404  404"),
    ("POST", "/assessments/{assessment}/transition",              "in   422  422  403  422  403  403  404   404   404  422  404  404"),
    ("POST", "/assessments/{assessment}/actions",                 "in   ok   403  403  403  403  403  404   404   404  ok   404  404"),
    ("GET", "/assessments/{assessment}/evidence/{evidence}",      "in   ok   ok   ok   ok   ok   ok   404   404   404  ok   404  404"),
    ("GET", "/assessments/{assessment}/items/{ref}",              "in   ok   ok   ok   ok   ok   ok   404   404   404  ok   404  404"),
    ("POST", "/assessments/{assessment}/items/{ref}/answer",      "in   ok   403  403  ok   ok   ok   404   404   404  ok   404  404"),
    ("POST", "/assessments/{assessment}/items/{ref}/evidence",    "in   ok   403  403  ok   ok   ok   404   404   404  ok   404  404"),
    ("POST", "/assessments/{assessment}/items/{ref}/approve",     "in   422  422  403  422  403  403  404   404   404  422  404  404"),
    ("POST", "/assessments/{assessment}/items/{ref}/action",      "in   ok   403  403  ok   ok   ok   404   404   404  ok   404  404"),
    ("GET", "/suppliers",                                         "in   403  403  403  403  403  403  403   403   ok   403  403  403"),
    ("POST", "/suppliers",                                        "in   403  403  403  403  403  403  403   403   ok   403  403  403"),
    ("GET", "/suppliers/export.csv",                              "in   403  403  403  403  403  403  403   403   ok   403  403  403"),
    ("POST", "/suppliers/distribute",                             "in   403  403  403  403  403  403  403   403   ok   403  403  403"),
    ("POST", "/suppliers/remind",                                 "in   403  403  403  403  403  403  403   403   ok   403  403  403"),
    ("GET", "/suppliers/{supplier}",                              "in   403  403  403  403  403  403  403   403   ok   403  403  403"),
    ("POST", "/suppliers/{supplier}/findings",                    "in   403  403  403  403  403  403  403   403   ok   403  403  403"),
    ("POST", "/suppliers/{supplier}/package",                     "in   403  403  403  403  403  403  403   403   422  403  403  403"),
    ("GET", "/api/openapi.json",                                  "ok   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/api/me",                                            "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/api/registers",                                     "in   ok   ok   ok   ok   ok   ok   ok    ok    ok   ok   ok   ok"),
    ("GET", "/api/registers/{register}/records",                  "in   ok   ok   ok   ok   ok   ok   ok    ok    403  403  403  ok"),
    ("POST", "/api/registers/{register}/records",                 "in   ok   403  403  ok   ok   ok   403   403   403  403  403  ok"),
    ("GET", "/api/registers/{register}/records/{id}",             "in   ok   ok   ok   ok   ok   ok   ok    404   404  404  404  404"),
    ("PUT", "/api/registers/{register}/records/{id}",             "in   ok   403  403  ok   ok   ok   403   404   404  404  404  404"),
    ("GET", "/api/registers/{register}/records/{id}/history",     "in   ok   ok   ok   ok   ok   ok   ok    404   404  404  404  404"),
];

/// The record routes again, with a 極秘 record of 営業部 as `{id}`: the security officer and
/// the system administrator (clearance 社外秘) and the 営業部 employee no longer see it.
#[rustfmt::skip]
const EXPECTED_SECRET_RECORD: &[(&str, &str, &str)] = &[
    //                                                            anon ciso exec aud  head off  sys  emp_s emp_h buy  sup  none cisoB
    ("GET", "/registers/{register}/{id}",                         "in   ok   ok   ok   ok   404  404  404   404   404  404  404  404"),
    ("GET", "/registers/{register}/{id}/edit",                    "in   ok   403  403  ok   404  404  404   404   404  404  404  404"),
    ("POST", "/registers/{register}/{id}",                        "in   ok   403  403  ok   404  404  404   404   404  404  404  404"),
    ("GET", "/api/registers/{register}/records/{id}",             "in   ok   ok   ok   ok   404  404  404   404   404  404  404  404"),
    ("PUT", "/api/registers/{register}/records/{id}",             "in   ok   403  403  ok   404  404  404   404   404  404  404  404"),
    ("GET", "/api/registers/{register}/records/{id}/history",     "in   ok   ok   ok   ok   404  404  404   404   404  404  404  404"),
];

/// The catalog routes again with a built-in catalog its owner marks 社外秘 (the ABS rules):
/// the external roles, whose grant reaches 公開 only, do not find it.
#[rustfmt::skip]
const EXPECTED_INTERNAL_CATALOG: &[(&str, &str, &str)] = &[
    //                                                            anon ciso exec aud  head off  sys  emp_s emp_h buy  sup  none cisoB
    ("GET", "/catalogs/{catalog}/{edition}",                      "in   ok   ok   ok   ok   ok   ok   ok    ok    404  404  403  ok"),
    ("GET", "/catalogs/{catalog}/{edition}/{ref}",                "in   ok   ok   ok   ok   ok   ok   ok    ok    404  404  403  ok"),
];

type Table = BTreeMap<(&'static str, &'static str), Vec<&'static str>>;

/// The table as a map, checking that every row has a cell per role.
fn table(rows: &[(&'static str, &'static str, &'static str)]) -> Table {
    rows.iter()
        .map(|(method, path, cells)| {
            let cells: Vec<&str> = cells.split_whitespace().collect();
            assert_eq!(cells.len(), ROLES.len(), "{method} {path}: one cell per role");
            ((*method, *path), cells)
        })
        .collect()
}

/// The outcome class of a response.
fn class(status: u16, location: Option<&str>) -> String {
    match status {
        401 => "in".into(),
        302 | 303 if location.is_some_and(|l| l.starts_with("/login?next=")) => "in".into(),
        200..=399 => "ok".into(),
        other => other.to_string(),
    }
}

fn ctx(org: OrgId) -> Ctx {
    Ctx { org, actor: None, role: None, at: OffsetDateTime::now_utc() }
}

/// What a probe acts on: the record, and its confidentiality (an update keeps it).
#[derive(Clone, Copy)]
struct Target {
    record: RecordId,
    confidentiality: i64,
    /// The catalog, edition and ref of the catalog routes.
    catalog: (&'static str, &'static str, &'static str),
    /// An assessment of Kubota's standard for 営業部 of organisation A, and a file attached to
    /// its item 72.
    assessment: (&'static str, &'static str),
    /// A supplier organisation of organisation A's buyer.
    supplier: &'static str,
}

/// A public built-in catalog and one of its requirements.
const PUBLIC_CATALOG: (&str, &str, &str) = ("kubota-supplier", "2.0", "72");

/// The matrix run: the app, an API token per role, and the collected results.
struct Matrix<'a> {
    app: &'a TestApp,
    tokens: BTreeMap<&'static str, String>,
    probes: usize,
    failures: Vec<String>,
}

impl Matrix<'_> {
    /// Runs every route of the application that `table` lists (all of them when `complete`).
    async fn run(&mut self, table: &Table, target: Target, complete: bool, label: &str) {
        let routes = mamori_web::routes::routes();
        if complete {
            for spec in &routes {
                if !table.contains_key(&(spec.method, spec.path)) {
                    self.failures.push(format!("{} {} has no row in the expected table", spec.method, spec.path));
                }
            }
        }
        for (method, path) in table.keys() {
            if !routes.iter().any(|r| r.method == *method && r.path == *path) {
                self.failures.push(format!("{method} {path} ({label}) is in the table but is not a route"));
            }
        }
        for spec in routes {
            let Some(expected) = table.get(&(spec.method, spec.path)) else { continue };
            for (role, want) in ROLES.iter().zip(expected) {
                self.probes += 1;
                let got = self.probe(role, spec.method, spec.path, target).await;
                if got != *want {
                    self.failures.push(format!("{} {} as {role} ({label}): expected {want}, got {got}", spec.method, spec.path));
                }
            }
        }
    }

    /// Prepares what the route acts on, sends one request of `method path` as `role`, and
    /// returns its outcome class.
    async fn probe(&self, role: &str, method: &str, path: &str, target: Target) -> String {
        let app = self.app;
        let person = app.people.get(role);
        let org = person.map_or(app.org_a, |p| p.org);
        let sales = if org == app.org_a { app.sales } else { app.sales_b };
        let is_api = path.starts_with("/api/");
        let (client, csrf) = if role == "anon" || is_api { (app.client(), String::new()) } else { app.login_as(role).await };

        let target_person = &app.people["target"];
        let id = match path {
            p if p.starts_with("/people/") => target_person.id.to_string(),
            p if p.starts_with("/account/tokens/") => {
                // A fresh token of the ciso of A: only its owner may revoke it.
                let ciso = &app.people["ciso"];
                let token = TokenId::from_uuid(uuid::Uuid::now_v7());
                let ctx = Ctx { actor: Some(ciso.id), ..ctx(app.org_a) };
                app.store.create_api_token(&ctx, token, "probe", &mamori_web::auth::secret_hash(&token.to_string())).await.unwrap();
                token.to_string()
            }
            _ => target.record.to_string(),
        };
        let role_of_target = |key: &str| RoleAssignment { role: RoleKey::parse(key).unwrap(), unit: None };
        let holds = |key: &'static str| async move {
            app.store.roles_of(app.org_a, target_person.id).await.unwrap().contains(&role_of_target(key))
        };
        match path {
            "/people/{id}/roles" if holds("incident_manager").await => {
                app.store.withdraw_role(&ctx(app.org_a), target_person.id, &role_of_target("incident_manager")).await.unwrap();
            }
            "/people/{id}/roles/withdraw" if !holds("privacy_contact").await => {
                app.store.grant_role(&ctx(app.org_a), target_person.id, &role_of_target("privacy_contact")).await.unwrap();
            }
            _ => {}
        }
        let batch = uuid::Uuid::now_v7().simple().to_string();
        if path.ends_with("/import/{batch}")
            && let Some(p) = person
        {
            let rows = json!([{"number": 2, "id": null, "input": asset_input(&format!("取込 {role}"), sales, 1)}]);
            let pending = ImportBatch { register: "information_assets".into(), source: "probe.csv".into(), rows };
            app.store.save_import_batch(p.org, p.id, &batch, &pending, OffsetDateTime::now_utc()).await.unwrap();
        }

        // A table the prober uploaded for a catalog import, waiting on the mapping step.
        let upload = uuid::Uuid::now_v7().simple().to_string();
        let catalog_key = format!("probe-{}-{upload}", role.replace('_', "-"));
        if path.starts_with("/catalog-imports/")
            && let Some(p) = person
        {
            let csv = "No.,要求事項\n1,プローブ\n";
            let staged = NewCatalogUpload {
                id: &upload,
                file_name: "probe.csv",
                content: csv.as_bytes(),
                fields: &json!({"key": catalog_key, "name": "", "edition": ""}),
                at: OffsetDateTime::now_utc(),
            };
            app.store.save_catalog_upload(p.org, p.id, &staged).await.unwrap();
        }

        let (catalog, edition, node) = target.catalog;
        let url = app.url(
            &path
                .replace("{register}", "information_assets")
                .replace("{batch}", &batch)
                .replace("{upload}", &upload)
                .replace("{id}", &id)
                .replace("{catalog}", catalog)
                .replace("{edition}", edition)
                .replace("{ref}", node)
                .replace("{assessment}", target.assessment.0)
                .replace("{evidence}", target.assessment.1)
                .replace("{supplier}", target.supplier),
        );
        let version = app.store.record(app.org_a, target.record).await.unwrap().map_or(1, |r| r.version);
        let record_form = |name: &str, confidentiality: i64, extra: &[(&str, String)]| {
            let mut fields = asset_fields(name, sales, confidentiality);
            fields.push(("csrf".into(), csrf.clone()));
            fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
            fields
        };
        let with_csrf = |extra: &[(&str, &str)]| {
            let mut fields = vec![("csrf".to_string(), csrf.clone())];
            fields.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
            fields
        };
        let request = match (method, path) {
            ("GET", "/assessments/{assessment}/compare") => client.get(format!("{url}?with={}", target.assessment.0)),
            ("GET", _) => client.get(&url),
            ("POST", "/login") => {
                let page = client.get(app.url("/login")).send().await.unwrap().text().await.unwrap();
                client.post(&url).form(&[("csrf", csrf_of(&page).as_str()), ("email", "nobody@nowhere.example"), ("password", "wrong")])
            }
            ("POST", "/account/language") => client.post(&url).form(&with_csrf(&[("lang", "ja")])),
            ("POST", "/account/tokens") => client.post(&url).form(&with_csrf(&[("name", "probe")])),
            ("POST", "/people") => {
                let email = format!("added-{role}-{}@example.com", uuid::Uuid::now_v7().simple());
                let unit = sales.to_string();
                client.post(&url).form(&with_csrf(&[("name", "追加"), ("email", &email), ("role", "employee"), ("unit", &unit)]))
            }
            ("POST", "/people/{id}/roles") => client.post(&url).form(&with_csrf(&[("role", "incident_manager"), ("unit", "")])),
            ("POST", "/people/{id}/roles/withdraw") => client.post(&url).form(&with_csrf(&[("role", "privacy_contact"), ("unit", "")])),
            ("POST", "/registers/{register}") => client.post(&url).form(&record_form(&format!("probe {role}"), 2, &[])),
            ("POST", "/registers/{register}/{id}") => {
                client.post(&url).form(&record_form(&format!("probe {role}"), target.confidentiality, &[("_version", version.to_string())]))
            }
            ("POST", "/registers/{register}/import") => {
                let csv = "業務分類,情報資産名称,管理部署,個人情報の種類,機密性,完全性,可用性,登録日\n営業,取込,営業部,含まない,1,1,1,2026-04-01\n";
                let form = reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .part("file", reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("probe.csv"));
                client.post(&url).multipart(form)
            }
            ("POST", "/catalogs/import") => {
                // A one-control OSCAL catalog, a new edition for every probe.
                let edition = format!("probe-{role}-{}", uuid::Uuid::now_v7().simple());
                let oscal = json!({"catalog": {"uuid": uuid::Uuid::now_v7().to_string(), "metadata": {
                    "title": "Probe catalog", "version": edition, "oscal-version": "1.1.2", "last-modified": "2026-12-01T00:00:00Z"},
                    "controls": [{"id": "p-1", "title": "Probe control", "parts": [{"id": "p-1_smt", "name": "statement", "prose": "Do it."}]}]}});
                let form = reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .text("format", "auto")
                    .part("file", reqwest::multipart::Part::bytes(oscal.to_string().into_bytes()).file_name("probe.json"));
                client.post(&url).multipart(form)
            }
            // The mapping step confirmed as proposed: No. and the text.
            ("POST", "/catalog-imports/{upload}") => client.post(&url).form(&with_csrf(&[
                ("sheet", "CSV"),
                ("header_row", "1"),
                ("role-1", "ref"),
                ("role-2", "text"),
                ("key", &catalog_key),
            ])),
            ("POST", "/assessments") => {
                let unit = sales.to_string();
                client.post(&url).form(&with_csrf(&[
                    ("catalog", "kubota-supplier@2.0"),
                    ("name", "probe"),
                    ("period", "2026年度"),
                    ("unit", &unit),
                    ("group", "L1"),
                ]))
            }
            // An empty upload: refused (422) for those who may import a checklist.
            ("POST", "/assessments/import") => {
                let form = reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .text("period", "2026年度")
                    .part("file", reqwest::multipart::Part::bytes(Vec::new()).file_name("empty.xlsx"));
                client.post(&url).multipart(form)
            }
            ("POST", "/suppliers") => {
                let tag = uuid::Uuid::now_v7().simple().to_string();
                let slug = format!("probe-{}", &tag[tag.len() - 12..]);
                let email = format!("{slug}@supplier.example");
                client.post(&url).form(&with_csrf(&[("name", "プローブ取引先"), ("slug", &slug), ("email", &email)]))
            }
            ("POST", "/suppliers/distribute") => client.post(&url).form(&with_csrf(&[
                ("catalog", "kubota-supplier@2.0"),
                ("name", "probe"),
                ("period", "2026年度"),
                ("due", "2026-01-31"),
            ])),
            ("POST", "/assessments/{assessment}/items/{ref}/action") => {
                client.post(&url).form(&with_csrf(&[("text", "probe"), ("owner", ""), ("due", ""), ("status", "open")]))
            }
            // Not a package: refused (422) for the buyer, nothing stored.
            ("POST", "/suppliers/{supplier}/package") => {
                let form = reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .text("fingerprint", "")
                    .part("file", reqwest::multipart::Part::bytes(b"not a zip".to_vec()).file_name("package.zip"));
                client.post(&url).multipart(form)
            }
            ("POST", "/suppliers/{supplier}/findings") => {
                client.post(&url).form(&with_csrf(&[("kind", "inspection"), ("on", "2026-11-01"), ("text", "probe")]))
            }
            ("POST", "/assessments/{assessment}/assign") => {
                client.post(&url).form(&with_csrf(&[("group", node), ("assignee", ""), ("due", "")]))
            }
            // Submitting an assessment that is in progress: refused (422) for those who may review.
            ("POST", "/assessments/{assessment}/transition") => {
                let version = app.store.assessment(app.org_a, target.assessment.0).await.unwrap().map_or(1, |a| a.version).to_string();
                client.post(&url).form(&with_csrf(&[("transition", "submit"), ("version", &version)]))
            }
            // An empty answer to the unanswered item 72 changes nothing, so approving it stays
            // refused (422) for reviewers.
            ("POST", "/assessments/{assessment}/items/{ref}/answer") => {
                let items = app.store.assessment_items(app.org_a, target.assessment.0).await.unwrap();
                let version = items.get(node).map(|i| i.version.to_string()).unwrap_or_default();
                client.post(&url).form(&with_csrf(&[("version", &version), ("answerer", "primary"), ("value", ""), ("comment", "")]))
            }
            ("POST", "/assessments/{assessment}/items/{ref}/evidence") => {
                let form = reqwest::multipart::Form::new()
                    .text("csrf", csrf.clone())
                    .text("url", format!("https://intra.example.jp/probe/{role}"))
                    .text("title", "probe");
                client.post(&url).multipart(form)
            }
            ("POST", "/api/registers/{register}/records") => client.post(&url).json(&json!({"fields": asset_input("api probe", sales, 2)})),
            ("PUT", "/api/registers/{register}/records/{id}") => {
                client.put(&url).json(&json!({"fields": asset_input("api probe", sales, target.confidentiality), "version": version}))
            }
            // Sign-out, the password change, revoking, committing an import: the token only.
            ("POST", _) => client.post(&url).form(&with_csrf(&[])),
            _ => panic!("no probe for {method} {path}: add one"),
        };
        let request = match self.tokens.get(role) {
            Some(token) if is_api => request.bearer_auth(token),
            _ => request,
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        if status >= 500 {
            let body = response.text().await.unwrap_or_default();
            return format!("{status} ({})", body.chars().take(200).collect::<String>());
        }
        class(status, location(&response).as_deref())
    }
}

/// A supplier organisation linked to organisation A (whose buyer role oversees it).
async fn probe_supplier(app: &TestApp) -> String {
    let supplier = OrgId::from_uuid(uuid::Uuid::now_v7());
    app.store.create_organisation(&ctx(supplier), "probe-supplier", "プローブ取引先株式会社").await.unwrap();
    let buyer = &app.people["buyer"];
    app.store.link_supplier(&Ctx { actor: Some(buyer.id), ..ctx(app.org_a) }, supplier).await.unwrap();
    supplier.to_string()
}

/// An assessment of Kubota's standard for 営業部 of organisation A with a PDF attached to its item
/// 72 (which stays unanswered), made through the same commands the pages use.
async fn probe_assessment(app: &TestApp) -> (String, String) {
    use mamori_web::assessments_io;
    let ciso = &app.people["ciso"];
    let roles = app.store.roles_of(app.org_a, ciso.id).await.unwrap();
    let actor = mamori_core::person::Actor { org: app.org_a, person: ciso.id, roles };
    let c = Ctx { actor: Some(ciso.id), ..ctx(app.org_a) };
    let catalog = app.library.catalog("kubota-supplier", Some("2.0")).unwrap().clone();
    let scale = app.library.scale_for(&catalog).unwrap().clone();
    let new = assessments_io::NewAssessment {
        catalog,
        name: "権限確認".into(),
        period: "2026年度".into(),
        unit: Some(app.sales),
        scale,
        scope: None,
        previous: None,
        due: None,
        workbook: None,
        initial: Default::default(),
    };
    let row = assessments_io::create(&app.store, &app.library, &actor, &c, new).await.unwrap();
    let name = mamori_core::evidence::FileName::parse("probe.pdf").unwrap();
    let file = app.store.add_evidence_file(&c, &name, mamori_core::evidence::MediaType::Pdf, b"%PDF-1.4 probe".to_vec()).await.unwrap();
    let loaded =
        assessments_io::load(&app.store, &app.library, &actor, &row.id, mamori_core::authz::Action::AssessmentAnswer).await.unwrap();
    assessments_io::attach(&app.store, &app.library, &c, &loaded, "72", &file.id).await.unwrap();
    (row.id, file.id)
}

#[tokio::test]
async fn every_route_for_every_role() {
    let app = TestApp::spawn().await;
    let mut tokens = BTreeMap::new();
    for role in ROLES.iter().filter(|r| **r != "anon") {
        tokens.insert(*role, app.token(role).await);
    }
    let mut matrix = Matrix { app: &app, tokens, probes: 0, failures: Vec::new() };

    let internal = app.asset(app.org_a, &asset_input("社外秘の資産", app.sales, 2)).await;
    let (assessment, evidence) = probe_assessment(&app).await;
    let assessment: &'static str = Box::leak(assessment.into_boxed_str());
    let evidence: &'static str = Box::leak(evidence.into_boxed_str());
    let supplier: &'static str = Box::leak(probe_supplier(&app).await.into_boxed_str());
    matrix
        .run(
            &table(EXPECTED),
            Target { record: internal, confidentiality: 2, catalog: PUBLIC_CATALOG, assessment: (assessment, evidence), supplier },
            true,
            "社外秘 record of 営業部",
        )
        .await;
    let first_run = matrix.probes;
    let secret = app.asset(app.org_a, &asset_input("極秘の資産", app.sales, 3)).await;
    matrix
        .run(
            &table(EXPECTED_SECRET_RECORD),
            Target { record: secret, confidentiality: 3, catalog: PUBLIC_CATALOG, assessment: (assessment, evidence), supplier },
            false,
            "極秘 record of 営業部",
        )
        .await;
    let abs = Target {
        record: internal,
        confidentiality: 2,
        catalog: ("abs-operation-rules", "2025年度版", "18.9"),
        assessment: (assessment, evidence),
        supplier,
    };
    matrix.run(&table(EXPECTED_INTERNAL_CATALOG), abs, false, "社外秘 catalog").await;

    // The records kept their organisation, unit and classification through every update.
    for (record, level) in [(internal, 2), (secret, 3)] {
        let row = app.store.record(app.org_a, record).await.unwrap().unwrap();
        assert_eq!((row.classification.level(), row.unit), (level, Some(app.sales)), "probed record {record}");
    }
    let routes = mamori_web::routes::routes().len();
    eprintln!(
        "authz matrix: {} (route, role) probes: {routes} routes × {} roles = {first_run}, plus {} on the record routes with a 極秘 record",
        matrix.probes,
        ROLES.len(),
        matrix.probes - first_run,
    );
    assert!(matrix.failures.is_empty(), "{} mismatches:\n{}", matrix.failures.len(), matrix.failures.join("\n"));
}

#[test]
fn the_tables_have_one_cell_per_role_and_known_outcomes() {
    for rows in [EXPECTED, EXPECTED_SECRET_RECORD, EXPECTED_INTERNAL_CATALOG] {
        for (method, path, cells) in table(rows).into_iter().map(|((m, p), c)| (m, p, c)) {
            for cell in cells {
                assert!(["ok", "in", "403", "404", "422"].contains(&cell), "{method} {path}: unknown outcome {cell}");
            }
        }
    }
}
