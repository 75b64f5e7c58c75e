//! The test harness: a real Mamori server on 127.0.0.1:0 over a fresh SQLite store, two
//! organisations (A with units 営業部 and 人事部, B), one person per role of interest, and
//! helpers to sign in and submit forms like a browser.

#![allow(dead_code)] // each test file uses part of the harness

use std::collections::HashMap;

use mamori_core::Text;
use mamori_core::ids::{OrgId, PersonId, RecordId, UnitId};
use mamori_core::library::{Library, RoleKey};
use mamori_core::person::{Email, RoleAssignment};
use mamori_store::{Ctx, NewPerson, NewUnit, Store};
use mamori_web::{AppState, WebConfig};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

pub const PASSWORD: &str = "Test-Password-2026!";

/// The people of the fixture, by a short name: (organisation, person, e-mail).
pub struct Person {
    pub org: OrgId,
    pub id: PersonId,
    pub email: String,
}

pub struct TestApp {
    pub base: String,
    pub store: Store,
    pub library: Library,
    pub org_a: OrgId,
    pub org_b: OrgId,
    pub sales: UnitId,
    pub hr: UnitId,
    pub unit_b: UnitId,
    pub people: HashMap<&'static str, Person>,
    _dir: tempfile::TempDir,
}

/// (name, role, unit: "sales" | "hr" | "", organisation "a" | "b")
pub const PEOPLE: &[(&str, &str, &str, &str)] = &[
    ("ciso", "ciso", "", "a"),
    ("exec", "executive", "", "a"),
    ("auditor", "auditor", "", "a"),
    ("head", "department_head", "sales", "a"),
    ("officer", "security_officer", "sales", "a"),
    ("sysadmin", "system_admin", "", "a"),
    ("emp_sales", "employee", "sales", "a"),
    ("emp_hr", "employee", "hr", "a"),
    ("buyer", "buyer", "", "a"),
    ("supplier", "supplier", "", "a"),
    ("nobody", "", "", "a"),
    ("ciso_b", "ciso", "", "b"),
];

fn ctx(org: OrgId) -> Ctx {
    Ctx { org, actor: None, role: None, at: OffsetDateTime::now_utc() }
}

fn id<T>(f: fn(uuid::Uuid) -> T) -> T {
    f(uuid::Uuid::now_v7())
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(WebConfig::default()).await
    }

    pub async fn spawn_with(config: WebConfig) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).await.unwrap();
        let library = Library::builtin().unwrap();
        let config = WebConfig { argon2_memory_kib: 256, argon2_iterations: 1, ..config };
        let (org_a, org_b) = (id(OrgId::from_uuid), id(OrgId::from_uuid));
        store.create_organisation(&ctx(org_a), "org-a", "A 株式会社").await.unwrap();
        store.create_organisation(&ctx(org_b), "org-b", "B 株式会社").await.unwrap();
        let unit = |org: OrgId, code: &str, ja: &str, en: &str| {
            let u = NewUnit { id: id(UnitId::from_uuid), parent: None, code: code.into(), name: Text::new(ja, en) };
            let store = store.clone();
            async move {
                store.create_unit(&ctx(org), &u).await.unwrap();
                u.id
            }
        };
        let sales = unit(org_a, "sales", "営業部", "Sales").await;
        let hr = unit(org_a, "hr", "人事部", "HR").await;
        let unit_b = unit(org_b, "ops", "業務部", "Operations").await;
        let hash = mamori_web::auth::hash_password(&config, PASSWORD).await.unwrap();
        let mut people = HashMap::new();
        for (name, role, unit_code, org_code) in PEOPLE {
            let org = if *org_code == "a" { org_a } else { org_b };
            let unit = match *unit_code {
                "sales" => Some(sales),
                "hr" => Some(hr),
                _ => None,
            };
            let roles = if role.is_empty() { vec![] } else { vec![RoleAssignment { role: RoleKey::parse(role).unwrap(), unit }] };
            let email = format!("{name}@{org_code}.example");
            let person = NewPerson {
                id: id(PersonId::from_uuid),
                email: Email::parse(&email).unwrap(),
                display_name: format!("{name} さん"),
                password_hash: hash.clone(),
                must_change_password: false,
                roles,
            };
            store.create_person(&ctx(org), &person).await.unwrap();
            people.insert(*name, Person { org, id: person.id, email });
        }
        let state = AppState::new(store.clone(), Library::builtin().unwrap(), config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(mamori_web::serve(listener, state));
        TestApp { base, store, library, org_a, org_b, sales, hr, unit_b, people, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: cookies kept, redirects not followed.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// Signs in through the form; returns the client and the final response status.
    pub async fn sign_in(&self, email: &str, password: &str) -> (reqwest::Client, reqwest::Response) {
        let client = self.client();
        let page = client.get(self.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_of(&page);
        let response = client
            .post(self.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("email", email), ("password", password), ("next", "/registers")])
            .send()
            .await
            .unwrap();
        (client, response)
    }

    /// A signed-in client for a fixture person, and its form token.
    pub async fn login(&self, who: &str) -> (reqwest::Client, String) {
        let email = &self.people[who].email;
        let (client, response) = self.sign_in(email, PASSWORD).await;
        assert_eq!(response.status(), 303, "{who} signs in");
        let page = client.get(self.url("/account")).send().await.unwrap().text().await.unwrap();
        (client, csrf_of(&page))
    }

    /// A personal API token for a fixture person.
    pub async fn token(&self, who: &str) -> String {
        let p = &self.people[who];
        let secret = format!("mmr_test_{}", uuid::Uuid::now_v7().simple());
        let ctx = Ctx { org: p.org, actor: Some(p.id), role: None, at: OffsetDateTime::now_utc() };
        self.store
            .create_api_token(&ctx, id(mamori_core::ids::TokenId::from_uuid), "test", &mamori_web::auth::secret_hash(&secret))
            .await
            .unwrap();
        secret
    }

    /// Creates an asset directly in the store (fixtures), as the organisation's ciso.
    pub async fn asset(&self, org: OrgId, input: &Map<String, Value>) -> RecordId {
        let register = self.library.register("information_assets").unwrap();
        let valid = register.validate(input, &self.store.directory(org).await.unwrap()).unwrap();
        let record = id(RecordId::from_uuid);
        self.store.create_record(&ctx(org), register, record, &valid).await.unwrap();
        record
    }
}

/// Form fields of a valid asset.
pub fn asset_fields(name: &str, unit: UnitId, confidentiality: i64) -> Vec<(String, String)> {
    vec![
        ("business_category".into(), "営業".into()),
        ("name".into(), name.into()),
        ("managing_unit".into(), unit.to_string()),
        ("personal_information".into(), "personal".into()),
        ("confidentiality".into(), confidentiality.to_string()),
        ("integrity".into(), "2".into()),
        ("availability".into(), "1".into()),
        ("registered_on".into(), "2026-04-01".into()),
    ]
}

pub fn asset_input(name: &str, unit: UnitId, confidentiality: i64) -> Map<String, Value> {
    asset_fields(name, unit, confidentiality).into_iter().map(|(k, v)| (k, json!(v))).collect()
}

/// The value of the first hidden `csrf` input of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    html.find(marker).map(|i| &html[i + marker.len()..]).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_string()
}
