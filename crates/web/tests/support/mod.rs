//! The test harness: a real Mamori server on 127.0.0.1:0 over a fresh SQLite store in a temporary
//! directory, two organisations (A and B, each with the units 営業部 and 人事部), one person per
//! role of interest, and helpers to sign in and submit forms the way a browser does.

#![allow(dead_code)] // each test file uses part of the harness

use std::collections::HashMap;

use mamori_core::Text;
use mamori_core::authz::visibility;
use mamori_core::ids::{OrgId, PersonId, RecordId, UnitId};
use mamori_core::library::{Library, RoleKey};
use mamori_core::person::{Actor, Email, RoleAssignment};
use mamori_store::{Ctx, NewPerson, NewUnit, Store};
use mamori_web::{AppState, WebConfig};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

/// The password of every fixture person. It satisfies the privileged rule (12+ characters,
/// every character class), so it is valid for every role.
pub const PASSWORD: &str = "Test-Password-2026!";

/// A fixture person: their organisation, id and e-mail address.
#[derive(Debug, Clone)]
pub struct Person {
    pub org: OrgId,
    pub id: PersonId,
    pub email: String,
}

/// Where a fixture person's role is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    None,
    Sales,
    Hr,
}

/// The fixture people: (short name, role, unit of the role, organisation "a" or "b").
/// `target` is never probed in the route matrix: role changes in the matrix are made to them.
pub const PEOPLE: &[(&str, &str, Unit, &str)] = &[
    ("ciso", "ciso", Unit::None, "a"),
    ("exec", "executive", Unit::None, "a"),
    ("auditor", "auditor", Unit::None, "a"),
    ("head", "department_head", Unit::Sales, "a"),
    ("officer", "security_officer", Unit::Sales, "a"),
    ("sysadmin", "system_admin", Unit::None, "a"),
    ("emp_sales", "employee", Unit::Sales, "a"),
    ("emp_hr", "employee", Unit::Hr, "a"),
    ("buyer", "buyer", Unit::None, "a"),
    ("supplier", "supplier", Unit::None, "a"),
    ("nobody", "", Unit::None, "a"),
    ("target", "employee", Unit::Hr, "a"),
    ("ciso_b", "ciso", Unit::None, "b"),
];

pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    pub store: Store,
    pub library: Library,
    pub config: WebConfig,
    pub org_a: OrgId,
    pub org_b: OrgId,
    /// 営業部 and 人事部 of organisation A.
    pub sales: UnitId,
    pub hr: UnitId,
    /// 営業部 and 人事部 of organisation B: same names, other ids.
    pub sales_b: UnitId,
    pub hr_b: UnitId,
    pub people: HashMap<&'static str, Person>,
    _dir: tempfile::TempDir,
}

fn ctx(org: OrgId) -> Ctx {
    Ctx { org, actor: None, role: None, at: OffsetDateTime::now_utc() }
}

fn new_id<T>(f: fn(uuid::Uuid) -> T) -> T {
    f(uuid::Uuid::now_v7())
}

/// Argon2 settings cheap enough for hundreds of sign-ins per test.
pub fn test_config(config: WebConfig) -> WebConfig {
    WebConfig { argon2_memory_kib: 256, argon2_iterations: 1, ..config }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(WebConfig::default()).await
    }

    pub async fn spawn_with(config: WebConfig) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_sqlite(dir.path()).await.unwrap();
        let library = Library::builtin().unwrap();
        let config = test_config(config);
        let (org_a, org_b) = (new_id(OrgId::from_uuid), new_id(OrgId::from_uuid));
        store.create_organisation(&ctx(org_a), "org-a", "A 株式会社").await.unwrap();
        store.create_organisation(&ctx(org_b), "org-b", "B 株式会社").await.unwrap();
        let mut units = Vec::new();
        for org in [org_a, org_b] {
            for (code, ja, en) in [("sales", "営業部", "Sales"), ("hr", "人事部", "Human resources")] {
                let unit = NewUnit { id: new_id(UnitId::from_uuid), parent: None, code: code.into(), name: Text::new(ja, en) };
                store.create_unit(&ctx(org), &unit).await.unwrap();
                units.push(unit.id);
            }
        }
        let (sales, hr, sales_b, hr_b) = (units[0], units[1], units[2], units[3]);
        let hash = mamori_web::auth::hash_password(&config, PASSWORD).await.unwrap();
        let mut people = HashMap::new();
        for (name, role, unit, org_code) in PEOPLE {
            let (org, sales, hr) = if *org_code == "a" { (org_a, sales, hr) } else { (org_b, sales_b, hr_b) };
            let unit = match unit {
                Unit::None => None,
                Unit::Sales => Some(sales),
                Unit::Hr => Some(hr),
            };
            let roles = if role.is_empty() { vec![] } else { vec![RoleAssignment { role: RoleKey::parse(role).unwrap(), unit }] };
            let person = insert_person(&store, org, name, &format!("{name}@{org_code}.example"), &hash, roles, false).await;
            people.insert(*name, person);
        }
        let state = AppState::new(store.clone(), Library::builtin().unwrap(), config.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(mamori_web::serve(listener, state));
        TestApp { base, store, library, config, org_a, org_b, sales, hr, sales_b, hr_b, people, _dir: dir }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: cookies kept, redirects not followed.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// A browser-like client whose every request says `Accept-Language: {accept}`.
    pub fn client_accepting(&self, accept: &str) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, accept.parse().unwrap());
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).default_headers(headers).build().unwrap()
    }

    /// Submits the sign-in form with `client`, as a browser does: the form first (for its
    /// token and the cookie set with it), then the post.
    pub async fn submit_login(&self, client: &reqwest::Client, email: &str, password: &str, next: &str) -> reqwest::Response {
        let page = client.get(self.url("/login")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_of(&page);
        assert!(!csrf.is_empty(), "the sign-in form carries a token");
        client
            .post(self.url("/login"))
            .form(&[("csrf", csrf.as_str()), ("email", email), ("password", password), ("next", next)])
            .send()
            .await
            .unwrap()
    }

    /// Signs in with a fresh client; returns the client and the response to the post.
    pub async fn sign_in(&self, email: &str, password: &str) -> (reqwest::Client, reqwest::Response) {
        let client = self.client();
        let response = self.submit_login(&client, email, password, "/registers").await;
        (client, response)
    }

    /// A client signed in with these credentials (the sign-in must succeed).
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Client {
        let (client, response) = self.sign_in(email, password).await;
        assert_eq!(response.status(), 303, "{email} signs in");
        client
    }

    /// A client signed in as a fixture person, and the session's form token.
    pub async fn login_as(&self, who: &str) -> (reqwest::Client, String) {
        let client = self.login(&self.people[who].email, PASSWORD).await;
        let csrf = self.csrf(&client).await;
        (client, csrf)
    }

    /// The form token of the session `client` holds, read from the account page.
    pub async fn csrf(&self, client: &reqwest::Client) -> String {
        let page = client.get(self.url("/account")).send().await.unwrap().text().await.unwrap();
        let csrf = csrf_of(&page);
        assert!(!csrf.is_empty(), "the account page carries the session's form token");
        csrf
    }

    /// Posts the new-asset form with these fields and the token.
    pub async fn create_asset(&self, client: &reqwest::Client, csrf: &str, fields: &[(String, String)]) -> reqwest::Response {
        let mut form = fields.to_vec();
        form.push(("csrf".into(), csrf.into()));
        client.post(self.url("/registers/information_assets")).form(&form).send().await.unwrap()
    }

    /// A personal API token for a fixture person.
    pub async fn token(&self, who: &str) -> String {
        let p = &self.people[who];
        let secret = format!("mmr_test_{}", uuid::Uuid::now_v7().simple());
        let ctx = Ctx { org: p.org, actor: Some(p.id), role: None, at: OffsetDateTime::now_utc() };
        self.store
            .create_api_token(&ctx, new_id(mamori_core::ids::TokenId::from_uuid), "test", &mamori_web::auth::secret_hash(&secret))
            .await
            .unwrap();
        secret
    }

    /// Adds a person to an organisation, outside the fixture table (for example one who must
    /// change their password).
    pub async fn add_person(&self, org: OrgId, name: &str, password: &str, roles: Vec<RoleAssignment>, must_change: bool) -> Person {
        let hash = mamori_web::auth::hash_password(&self.config, password).await.unwrap();
        insert_person(&self.store, org, name, &format!("{name}@added.example"), &hash, roles, must_change).await
    }

    /// Creates an asset directly in the store, validated against its register type (fixtures).
    pub async fn asset(&self, org: OrgId, input: &Map<String, Value>) -> RecordId {
        let register = self.library.register("information_assets").unwrap();
        let valid = register.validate(input, &self.store.directory(org).await.unwrap()).unwrap();
        let record = new_id(RecordId::from_uuid);
        self.store.create_record(&ctx(org), register, record, &valid).await.unwrap();
        record
    }

    /// Every asset of an organisation, as its ciso sees them (all of them).
    pub async fn assets(&self, org: OrgId) -> Vec<mamori_store::RecordRow> {
        let ciso = if org == self.org_a { &self.people["ciso"] } else { &self.people["ciso_b"] };
        let actor = Actor { org, person: ciso.id, roles: self.store.roles_of(org, ciso.id).await.unwrap() };
        let seen = visibility(&self.library, &actor, "information_assets");
        self.store.all_records(&seen, "information_assets", 100_000).await.unwrap()
    }
}

async fn insert_person(
    store: &Store,
    org: OrgId,
    name: &str,
    email: &str,
    hash: &str,
    roles: Vec<RoleAssignment>,
    must_change_password: bool,
) -> Person {
    let person = NewPerson {
        id: new_id(PersonId::from_uuid),
        email: Email::parse(email).unwrap(),
        display_name: format!("{name} さん"),
        password_hash: hash.to_string(),
        must_change_password,
        roles,
    };
    store.create_person(&ctx(org), &person).await.unwrap();
    Person { org, id: person.id, email: email.to_string() }
}

/// Form fields of a valid asset: integrity 2, availability 1.
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

/// `fields` with some values replaced (or added).
pub fn with(mut fields: Vec<(String, String)>, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    for (key, value) in changes {
        fields.retain(|(k, _)| k != key);
        fields.push((key.to_string(), value.to_string()));
    }
    fields
}

/// The same asset as JSON field values, for the store and the API.
pub fn asset_input(name: &str, unit: UnitId, confidentiality: i64) -> Map<String, Value> {
    asset_fields(name, unit, confidentiality).into_iter().map(|(k, v)| (k, json!(v))).collect()
}

/// The value of the first hidden `csrf` input of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    html.find(marker).map(|i| &html[i + marker.len()..]).and_then(|rest| rest.split('"').next()).unwrap_or_default().to_string()
}

/// The `Location` header of a response, if any.
pub fn location(response: &reqwest::Response) -> Option<String> {
    response.headers().get(reqwest::header::LOCATION).and_then(|l| l.to_str().ok()).map(str::to_string)
}

/// The names (first column, a link to the record) of the rows of a register list page.
pub fn listed_names(html: &str) -> Vec<String> {
    html.split("<td><a href=\"/registers/information_assets/")
        .skip(1)
        .filter_map(|s| s.split('>').nth(1))
        .map(|s| s.split('<').next().unwrap_or_default().to_string())
        .collect()
}

/// The link marked `rel="next"` of a list page, unescaped.
pub fn next_link(html: &str) -> Option<String> {
    let before = html.split_once("rel=\"next\"")?.0;
    let href = before.rsplit("href=\"").next()?.split('"').next()?;
    Some(href.replace("&amp;", "&").replace("&#38;", "&"))
}

/// The role selected for each column of a mapping page, in column order.
pub fn selected_roles(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for c in 1.. {
        let Some(start) = html.find(&format!("<select id=\"role-{c}\"")) else { break };
        let select = &html[start..start + html[start..].find("</select>").unwrap()];
        let marker = "\" selected>";
        let at = select.find(marker).unwrap_or_else(|| panic!("column {c} has a selected role"));
        out.push(select[..at].rsplit("value=\"").next().unwrap().to_string());
    }
    out
}

/// The value of the first input named `name` of a page (a hidden field of the mapping step).
pub fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).unwrap() + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}
