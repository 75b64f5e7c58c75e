//! The store's conformance suite: every test runs on SQLite (in a temporary directory) and on a
//! fresh PostgreSQL database when `MAMORI_TEST_POSTGRES_URL` names a server (scripts/test.sh
//! starts one). Under `CI=true` a missing PostgreSQL is a failure, not a skip.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::collections::BTreeSet;

use mamori_core::authz::visibility;
use mamori_core::classification::Confidentiality;
use mamori_core::ids::{OrgId, PersonId, RecordId, UnitId};
use mamori_core::library::{Library, RoleKey};
use mamori_core::person::{Actor, Email, RoleAssignment};
use mamori_core::register::IndexValue;
use mamori_core::{CoreError, Text};
use mamori_store::{Backend, Ctx, Cursor, Filter, ImportRow, ListQuery, NewPerson, NewUnit, SortOrder, Store, StoreError};
use serde_json::{Map, Value, json};
use sqlx::{AnyConnection, Connection, Executor, Row};
use time::OffsetDateTime;

struct Engine {
    name: &'static str,
    store: Store,
    /// Where the same database is, to open a second, independent store on it.
    location: mamori_store::Location,
    /// How to open a raw connection to the same database (to act as an attacker would).
    raw_url: String,
    _dir: Option<tempfile::TempDir>,
}

async fn engines() -> Vec<Engine> {
    sqlx::any::install_default_drivers();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_sqlite(dir.path()).await.unwrap();
    let raw_url = format!("sqlite://{}", dir.path().join("mamori.db").display());
    let location = mamori_store::Location::Directory(dir.path().to_path_buf());
    let mut list = vec![Engine { name: "sqlite", store, location, raw_url, _dir: Some(dir) }];
    match std::env::var("MAMORI_TEST_POSTGRES_URL") {
        Ok(admin) => {
            let name = format!("mamori_t_{}", uuid::Uuid::now_v7().simple());
            let mut conn = AnyConnection::connect(&admin).await.unwrap();
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await.unwrap();
            let url = match admin.rfind('/') {
                Some(i) => format!("{}/{name}", &admin[..i]),
                None => panic!("MAMORI_TEST_POSTGRES_URL has no database name"),
            };
            let store = Store::open_postgres(&url).await.unwrap();
            list.push(Engine {
                name: "postgres",
                store,
                location: mamori_store::Location::Postgres(url.clone()),
                raw_url: url,
                _dir: None,
            });
        }
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => panic!("CI requires PostgreSQL: MAMORI_TEST_POSTGRES_URL is not set"),
        Err(_) => eprintln!("SKIP postgres: MAMORI_TEST_POSTGRES_URL is not set; testing SQLite only"),
    }
    list
}

fn ctx(org: OrgId, actor: Option<PersonId>) -> Ctx {
    Ctx { org, actor, role: RoleKey::parse("ciso").ok(), at: OffsetDateTime::now_utc() }
}

fn new_id<T>(f: fn(uuid::Uuid) -> T) -> T {
    f(uuid::Uuid::now_v7())
}

/// An organisation with units A and B, a ciso and an employee of A.
struct Fixture {
    org: OrgId,
    unit_a: UnitId,
    unit_b: UnitId,
    ciso: Actor,
    employee_a: Actor,
    library: Library,
}

async fn fixture(store: &Store, slug: &str) -> Fixture {
    let org = new_id(OrgId::from_uuid);
    store.create_organisation(&ctx(org, None), slug, &format!("{slug} 株式会社")).await.unwrap();
    let mut units = Vec::new();
    for (code, ja) in [("a", "営業部"), ("b", "人事部")] {
        let id = new_id(UnitId::from_uuid);
        store.create_unit(&ctx(org, None), &NewUnit { id, parent: None, code: code.into(), name: Text::new(ja, code) }).await.unwrap();
        units.push(id);
    }
    let mut people = Vec::new();
    for (local, role, unit) in [("ciso", "ciso", None), ("emp", "employee", Some(units[0]))] {
        let id = new_id(PersonId::from_uuid);
        let roles = vec![RoleAssignment { role: RoleKey::parse(role).unwrap(), unit }];
        let person = NewPerson {
            id,
            email: Email::parse(&format!("{local}@{slug}.example")).unwrap(),
            display_name: format!("{local} {slug}"),
            password_hash: "x".into(),
            must_change_password: false,
            roles: roles.clone(),
        };
        store.create_person(&ctx(org, None), &person).await.unwrap();
        people.push(Actor { org, person: id, roles });
    }
    Fixture {
        org,
        unit_a: units[0],
        unit_b: units[1],
        ciso: people[0].clone(),
        employee_a: people[1].clone(),
        library: Library::builtin().unwrap(),
    }
}

fn asset(name: &str, unit: UnitId, c: i64, owner: Option<PersonId>, storage: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("business_category".into(), json!("営業"));
    m.insert("name".into(), json!(name));
    m.insert("managing_unit".into(), json!(unit.to_string()));
    m.insert("personal_information".into(), json!("none"));
    m.insert("confidentiality".into(), json!(c));
    m.insert("integrity".into(), json!(1));
    m.insert("availability".into(), json!(2));
    m.insert("registered_on".into(), json!("2026-04-01"));
    if let Some(o) = owner {
        m.insert("owner".into(), json!(o.to_string()));
    }
    if let Some(s) = storage {
        m.insert("storage".into(), json!(s));
    }
    m
}

async fn create(store: &Store, fx: &Fixture, input: &Map<String, Value>) -> RecordId {
    let register = fx.library.register("information_assets").unwrap();
    let valid = register.validate(input, &store.directory(fx.org).await.unwrap()).unwrap();
    let id = new_id(RecordId::from_uuid);
    store.create_record(&ctx(fx.org, Some(fx.ciso.person)), register, id, &valid).await.unwrap();
    id
}

#[tokio::test]
async fn people_roles_and_unique_email() {
    for e in engines().await {
        let fx = fixture(&e.store, "p").await;
        let people = e.store.people(fx.org).await.unwrap();
        assert_eq!(people.len(), 2, "{}", e.name);
        let roles = e.store.roles_of(fx.org, fx.employee_a.person).await.unwrap();
        assert_eq!(roles, fx.employee_a.roles, "{}", e.name);
        assert_eq!(e.store.units(fx.org).await.unwrap().len(), 2, "{}", e.name);
        let found = e.store.sign_in_record(&Email::parse("EMP@p.example").unwrap()).await.unwrap().unwrap();
        assert_eq!(found.person.id, fx.employee_a.person, "{}: e-mail is case-insensitive", e.name);
        let duplicate = NewPerson {
            id: new_id(PersonId::from_uuid),
            email: Email::parse("emp@p.example").unwrap(),
            display_name: "dup".into(),
            password_hash: "x".into(),
            must_change_password: false,
            roles: vec![],
        };
        let err = e.store.create_person(&ctx(fx.org, None), &duplicate).await.unwrap_err();
        assert!(err.is_unique_violation(), "{}: {err:?}", e.name);
        assert_eq!(e.store.people(fx.org).await.unwrap().len(), 2, "{}: the failed command left nothing behind", e.name);
    }
}

#[tokio::test]
async fn a_session_reads_its_person_organisation_and_every_role() {
    for e in engines().await {
        let fx = fixture(&e.store, "s").await;
        let (director, nobody) = (new_id(PersonId::from_uuid), new_id(PersonId::from_uuid));
        let two_roles = vec![
            RoleAssignment { role: RoleKey::parse("department_head").unwrap(), unit: Some(fx.unit_b) },
            RoleAssignment { role: RoleKey::parse("employee").unwrap(), unit: Some(fx.unit_a) },
        ];
        for (id, local, roles) in [(director, "dir", two_roles.clone()), (nobody, "none", vec![])] {
            let person = NewPerson {
                id,
                email: Email::parse(&format!("{local}@s.example")).unwrap(),
                display_name: local.into(),
                password_hash: "x".into(),
                must_change_password: false,
                roles,
            };
            e.store.create_person(&ctx(fx.org, None), &person).await.unwrap();
        }
        let now = OffsetDateTime::now_utc();
        for (person, expected) in [(director, two_roles.clone()), (nobody, vec![]), (fx.ciso.person, fx.ciso.roles.clone())] {
            let session = mamori_store::NewSession {
                token_hash: format!("hash-{person}"),
                csrf_token: format!("csrf-{person}"),
                expires_at: now + time::Duration::hours(1),
            };
            e.store.record_sign_in_success(&ctx(fx.org, Some(person)), person, &session).await.unwrap();
            let signed_in = e.store.signed_in(&session.token_hash, now).await.unwrap().expect("a live session");
            assert_eq!(signed_in.person.id, person, "{}", e.name);
            assert_eq!(signed_in.organisation.id, fx.org, "{}", e.name);
            assert_eq!(signed_in.session.csrf_token, session.csrf_token, "{}", e.name);
            assert_eq!(signed_in.roles, expected, "{}: every role, in role order, and none for a person without one", e.name);
            assert_eq!(signed_in.roles, e.store.roles_of(fx.org, person).await.unwrap(), "{}", e.name);
            let later = now + time::Duration::hours(2);
            assert!(e.store.signed_in(&session.token_hash, later).await.unwrap().is_none(), "{}: an expired session is absent", e.name);
        }
        assert!(e.store.signed_in("no such hash", now).await.unwrap().is_none(), "{}", e.name);
    }
}

#[tokio::test]
async fn record_lifecycle_with_history_and_stale_versions() {
    for e in engines().await {
        let fx = fixture(&e.store, "r").await;
        let register = fx.library.register("information_assets").unwrap();
        let id = create(&e.store, &fx, &asset("顧客名簿", fx.unit_a, 3, None, None)).await;
        let row = e.store.record(fx.org, id).await.unwrap().unwrap();
        assert_eq!((row.version, row.classification), (1, Confidentiality::Secret), "{}", e.name);
        assert_eq!(row.computed.get("importance"), Some(&json!(3)), "{}", e.name);

        let valid =
            register.validate(&asset("顧客名簿（改訂）", fx.unit_a, 2, None, None), &e.store.directory(fx.org).await.unwrap()).unwrap();
        let updated = e.store.update_record(&ctx(fx.org, Some(fx.ciso.person)), register, id, 1, &valid).await.unwrap();
        assert_eq!(updated.version, 2, "{}", e.name);
        let stale = e.store.update_record(&ctx(fx.org, Some(fx.ciso.person)), register, id, 1, &valid).await.unwrap_err();
        assert!(matches!(stale, StoreError::Core(CoreError::StaleVersion { expected: 1, found: 2 })), "{}: {stale:?}", e.name);

        let history = e.store.history(fx.org, "record", &id.to_string()).await.unwrap();
        assert_eq!(history.len(), 2, "{}", e.name);
        let payload = history[1].payload.as_ref().unwrap();
        assert_eq!(payload["before"]["fields"]["name"], json!("顧客名簿"), "{}", e.name);
        assert_eq!(payload["after"]["fields"]["name"], json!("顧客名簿（改訂）"), "{}", e.name);
        assert_eq!(payload["after"]["computed"]["importance"], json!(2), "{}: computed values as they were", e.name);
        assert_eq!(history[1].actor_name.as_deref(), Some("ciso r"), "{}", e.name);
    }
}

#[tokio::test]
async fn lists_follow_visibility_filters_sort_pages_and_search() {
    for e in engines().await {
        let fx = fixture(&e.store, "l").await;
        let mut expected_all = Vec::new();
        for i in 0..60 {
            let unit = if i % 2 == 0 { fx.unit_a } else { fx.unit_b };
            let c = 1 + (i % 3);
            let owner = (i % 10 == 0).then_some(fx.employee_a.person);
            let storage = (i % 4 != 0).then(|| format!("棚 {}", i % 7));
            let name = if i == 7 {
                "顧客情報管理システム".to_string()
            } else if i == 8 {
                "Access Log".to_string()
            } else {
                format!("資産 {i:03}")
            };
            let id = create(&e.store, &fx, &asset(&name, unit, c, owner, storage.as_deref())).await;
            expected_all.push((id, name, unit, c, owner, storage));
        }
        let register = "information_assets";

        // Visibility: the ciso sees all; an employee of A sees 公開 everywhere, 社外秘 of A, and 極秘 they own.
        let all = |actor: &Actor| visibility(&fx.library, actor, register);
        let ciso_vis = all(&fx.ciso);
        let page = e
            .store
            .list_records(&ListQuery {
                visibility: &ciso_vis,
                register,
                filters: vec![],
                sort: None,
                search: vec![],
                after: None,
                limit: 500,
            })
            .await
            .unwrap();
        assert_eq!(page.rows.len(), 60, "{}", e.name);
        let emp_vis = all(&fx.employee_a);
        let page = e
            .store
            .list_records(&ListQuery {
                visibility: &emp_vis,
                register,
                filters: vec![],
                sort: None,
                search: vec![],
                after: None,
                limit: 500,
            })
            .await
            .unwrap();
        let expected: usize = expected_all
            .iter()
            .filter(|(_, _, unit, c, owner, _)| *c == 1 || (*c == 2 && *unit == fx.unit_a) || *owner == Some(fx.employee_a.person))
            .count();
        assert_eq!(page.rows.len(), expected, "{}: employee visibility", e.name);
        assert!(
            page.rows.iter().all(|r| r.classification != Confidentiality::Secret || r.owner == Some(fx.employee_a.person)),
            "{}",
            e.name
        );

        // Sorted by an optional text field (NULLs first ascending), walked in pages of 7.
        let reg = fx.library.register(register).unwrap();
        let slot = reg.slot_of("storage").unwrap();
        for order in [SortOrder::Ascending, SortOrder::Descending] {
            let mut seen = Vec::new();
            let mut after: Option<Cursor> = None;
            loop {
                let page = e
                    .store
                    .list_records(&ListQuery {
                        visibility: &ciso_vis,
                        register,
                        filters: vec![],
                        sort: Some((slot, order)),
                        search: vec![],
                        after: after.clone(),
                        limit: 7,
                    })
                    .await
                    .unwrap();
                seen.extend(page.rows.iter().map(|r| (r.fields.get("storage").and_then(Value::as_str).map(str::to_lowercase), r.id)));
                match page.next {
                    Some(c) => after = Some(Cursor::decode(&c.encode()).unwrap()),
                    None => break,
                }
            }
            assert_eq!(seen.len(), 60, "{} {order:?}: every row once", e.name);
            assert_eq!(seen.iter().map(|(_, id)| *id).collect::<BTreeSet<_>>().len(), 60, "{} {order:?}: no duplicates", e.name);
            let values: Vec<Option<String>> = seen.iter().map(|(v, _)| v.clone()).collect();
            let mut sorted = values.clone();
            sorted.sort();
            if order == SortOrder::Descending {
                sorted.reverse();
            }
            assert_eq!(values, sorted, "{} {order:?}: in order, NULLs first ascending", e.name);
        }

        // An equality filter on a number slot.
        let secret = Filter { slot: reg.slot_of("confidentiality").unwrap(), value: IndexValue::Number(3.0) };
        let page = e
            .store
            .list_records(&ListQuery {
                visibility: &ciso_vis,
                register,
                filters: vec![secret],
                sort: None,
                search: vec![],
                after: None,
                limit: 500,
            })
            .await
            .unwrap();
        assert_eq!(page.rows.len(), expected_all.iter().filter(|x| x.3 == 3).count(), "{}", e.name);

        // Search: Japanese bigrams and case-insensitive English words.
        for (query, hits) in [("顧客", 1), ("管理システム", 1), ("ACCESS", 1), ("log", 1), ("存在しない", 0)] {
            let search = query.split_whitespace().map(mamori_core::search::term_list).collect();
            let page = e
                .store
                .list_records(&ListQuery { visibility: &ciso_vis, register, filters: vec![], sort: None, search, after: None, limit: 50 })
                .await
                .unwrap();
            assert_eq!(page.rows.len(), hits, "{}: search {query}", e.name);
        }
    }
}

#[tokio::test]
async fn organisations_never_see_each_other() {
    for e in engines().await {
        let a = fixture(&e.store, "orga").await;
        let b = fixture(&e.store, "orgb").await;
        let id = create(&e.store, &a, &asset("A の資産", a.unit_a, 1, None, None)).await;
        assert!(e.store.record(b.org, id).await.unwrap().is_none(), "{}", e.name);
        assert!(e.store.history(b.org, "record", &id.to_string()).await.unwrap().is_empty(), "{}", e.name);
        let vis = visibility(&b.library, &b.ciso, "information_assets");
        let page = e
            .store
            .list_records(&ListQuery {
                visibility: &vis,
                register: "information_assets",
                filters: vec![],
                sort: None,
                search: vec![],
                after: None,
                limit: 50,
            })
            .await
            .unwrap();
        assert!(page.rows.is_empty(), "{}", e.name);
        assert!(e.store.person(b.org, a.ciso.person).await.unwrap().is_none(), "{}", e.name);
        assert!(e.store.roles_of(b.org, a.ciso.person).await.unwrap().is_empty(), "{}", e.name);
        assert_eq!(e.store.units(b.org).await.unwrap().iter().filter(|u| u.id == a.unit_a).count(), 0, "{}", e.name);
    }
}

async fn raw(e: &Engine) -> AnyConnection {
    AnyConnection::connect(&e.raw_url).await.unwrap()
}

/// Removes the append-only guards, as someone with direct access to the database could.
async fn drop_guards(e: &Engine, conn: &mut AnyConnection) {
    let sql = match e.store.backend() {
        Backend::Sqlite => "DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;",
        Backend::Postgres => "DROP TRIGGER journal_append_only ON journal;",
    };
    conn.execute(sql).await.unwrap();
}

#[tokio::test]
async fn verify_names_the_first_tampered_event() {
    for e in engines().await {
        let fx = fixture(&e.store, "v").await;
        for i in 0..5 {
            create(&e.store, &fx, &asset(&format!("資産 {i}"), fx.unit_a, 2, None, None)).await;
        }
        let report = e.store.verify().await.unwrap();
        assert!(report.is_intact(), "{}: {:?}", e.name, report.organisations);
        let length = e.store.journal_length(fx.org).await.unwrap();
        assert_eq!(report.organisations[0].events, length, "{}", e.name);

        let mut conn = raw(&e).await;
        drop_guards(&e, &mut conn).await;
        // Change one character of the third record event's payload, as an edit of the file would.
        let target = length - 2;
        sqlx::query("UPDATE journal SET payload = REPLACE(payload, '資産', '資財') WHERE org_id = $1 AND seq = $2")
            .bind(fx.org.to_string())
            .bind(target)
            .execute(&mut conn)
            .await
            .unwrap();
        let report = e.store.verify().await.unwrap();
        let problem = report.organisations[0].problem.clone().expect("tampering detected");
        assert_eq!(problem.seq, target, "{}: {problem:?}", e.name);
    }
}

#[tokio::test]
async fn verify_catches_a_changed_current_state_and_a_truncated_journal() {
    for e in engines().await {
        let fx = fixture(&e.store, "w").await;
        let id = create(&e.store, &fx, &asset("図面", fx.unit_a, 3, None, None)).await;
        let last_event = e.store.journal_length(fx.org).await.unwrap();
        let mut conn = raw(&e).await;
        sqlx::query("UPDATE records SET document = REPLACE(document, '図面', '写真') WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut conn)
            .await
            .unwrap();
        let problem = e.store.verify().await.unwrap().organisations[0].problem.clone().expect("changed record detected");
        assert_eq!(problem.seq, last_event, "{}: names the record's last event: {problem:?}", e.name);
        assert!(problem.reason.contains(&id.to_string()), "{}: names the record", e.name);

        sqlx::query("UPDATE records SET document = REPLACE(document, '写真', '図面') WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut conn)
            .await
            .unwrap();
        assert!(e.store.verify().await.unwrap().is_intact(), "{}: restored", e.name);
        drop_guards(&e, &mut conn).await;
        sqlx::query("DELETE FROM journal WHERE org_id = $1 AND seq = $2")
            .bind(fx.org.to_string())
            .bind(last_event)
            .execute(&mut conn)
            .await
            .unwrap();
        assert!(e.store.verify().await.unwrap().organisations[0].problem.is_some(), "{}: a deleted event is detected", e.name);
    }
}

#[tokio::test]
async fn the_journal_refuses_updates_and_deletes() {
    for e in engines().await {
        let fx = fixture(&e.store, "j").await;
        create(&e.store, &fx, &asset("資産", fx.unit_a, 1, None, None)).await;
        let mut conn = raw(&e).await;
        for sql in ["UPDATE journal SET header = 'x'", "UPDATE journal SET kind = 'x'", "DELETE FROM journal"] {
            assert!(sqlx::query(sql).execute(&mut conn).await.is_err(), "{}: {sql} must fail", e.name);
        }
        assert!(e.store.verify().await.unwrap().is_intact(), "{}", e.name);
    }
}

/// Appends `per_task` records from each of `stores` (all on `e`'s database) at once, then checks
/// that the chain grew by every one of them and verifies from the last store.
async fn append_at_once(e: &Engine, fx: std::sync::Arc<Fixture>, stores: Vec<Store>, per_task: usize, unit: UnitId, label: &str) {
    let before = e.store.journal_length(fx.org).await.unwrap();
    let mut tasks = Vec::new();
    for (t, store) in stores.iter().cloned().enumerate() {
        let (fx, label) = (fx.clone(), label.to_string());
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                create(&store, &fx, &asset(&format!("{label} {t}-{i}"), unit, 1, None, None)).await;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let expected = before + (stores.len() * per_task) as i64;
    assert_eq!(e.store.journal_length(fx.org).await.unwrap(), expected, "{}", e.name);
    let report = stores.last().unwrap_or(&e.store).verify().await.unwrap();
    assert!(report.is_intact(), "{}: {:?}", e.name, report.organisations);
}

#[tokio::test]
async fn concurrent_appends_keep_one_chain() {
    for e in engines().await {
        let fx = std::sync::Arc::new(fixture(&e.store, "c").await);
        let unit = fx.unit_b;
        append_at_once(&e, fx, vec![e.store.clone(); 8], 25, unit, "並行").await;
    }
}

/// Two app instances (two stores, each with its own connections and, on SQLite, its own
/// writer) appending to the same organisation keep one chain.
#[tokio::test]
async fn two_instances_keep_one_chain() {
    for e in engines().await {
        let fx = std::sync::Arc::new(fixture(&e.store, "two").await);
        let second = Store::open(&e.location).await.unwrap();
        let unit = fx.unit_a;
        append_at_once(&e, fx, vec![e.store.clone(), second.clone(), e.store.clone(), second], 20, unit, "二重").await;
    }
}

/// Creates (on SQLite the writer's direct commands) and updates (its async commands) submitted
/// together keep one chain and each lands once, in whatever groups the writer forms.
#[tokio::test]
async fn creates_and_updates_together_keep_one_chain() {
    for e in engines().await {
        let fx = std::sync::Arc::new(fixture(&e.store, "mix").await);
        let register = fx.library.register("information_assets").unwrap();
        let mut existing = Vec::new();
        for i in 0..12 {
            existing.push(create(&e.store, &fx, &asset(&format!("更新前 {i}"), fx.unit_a, 1, None, None)).await);
        }
        let before = e.store.journal_length(fx.org).await.unwrap();
        let directory = e.store.directory(fx.org).await.unwrap();
        let mut tasks = Vec::new();
        for (i, id) in existing.iter().copied().enumerate() {
            let (store, fx, register) = (e.store.clone(), fx.clone(), register.clone());
            let changed = register.validate(&asset(&format!("更新後 {i}"), fx.unit_b, 2, None, None), &directory).unwrap();
            let fresh = register.validate(&asset(&format!("新規 {i}"), fx.unit_a, 1, None, None), &directory).unwrap();
            tasks.push(tokio::spawn(async move {
                let c = ctx(fx.org, Some(fx.ciso.person));
                let created = store.create_record(&c, &register, new_id(RecordId::from_uuid), &fresh).await;
                let updated = store.update_record(&c, &register, id, 1, &changed).await;
                created.is_ok() && updated.is_ok_and(|row| row.version == 2)
            }));
        }
        for task in tasks {
            assert!(task.await.unwrap(), "{}: every create and update succeeded", e.name);
        }
        assert_eq!(e.store.journal_length(fx.org).await.unwrap(), before + 24, "{}", e.name);
        let report = e.store.verify().await.unwrap();
        assert!(report.is_intact(), "{}: {:?}", e.name, report.organisations);
        assert_eq!(report.organisations[0].records, 24, "{}", e.name);
        for id in existing {
            let row = e.store.record(fx.org, id).await.unwrap().unwrap();
            assert_eq!((row.version, row.unit), (2, Some(fx.unit_b)), "{}", e.name);
        }
    }
}

#[tokio::test]
async fn a_failing_command_fails_alone() {
    for e in engines().await {
        let fx = std::sync::Arc::new(fixture(&e.store, "f").await);
        let register = fx.library.register("information_assets").unwrap();
        let taken = create(&e.store, &fx, &asset("既存", fx.unit_a, 1, None, None)).await;
        let valid = register.validate(&asset("重複", fx.unit_a, 1, None, None), &e.store.directory(fx.org).await.unwrap()).unwrap();
        // Commands submitted together: every third reuses an existing id and must fail alone.
        let mut tasks = Vec::new();
        for i in 0..30 {
            let (store, fx, valid, register) = (e.store.clone(), fx.clone(), valid.clone(), register.clone());
            tasks.push(tokio::spawn(async move {
                let id = if i % 3 == 0 { taken } else { RecordId::from_uuid(uuid::Uuid::now_v7()) };
                store.create_record(&ctx(fx.org, Some(fx.ciso.person)), &register, id, &valid).await.is_ok()
            }));
        }
        let mut ok = 0;
        for task in tasks {
            ok += usize::from(task.await.unwrap());
        }
        assert_eq!(ok, 20, "{}: the 10 duplicates failed, the 20 others committed", e.name);
        let report = e.store.verify().await.unwrap();
        assert!(report.is_intact(), "{}: {:?}", e.name, report.organisations);
        assert_eq!(report.organisations[0].records, 21, "{}", e.name);
        // A command that wrote a record, with its search terms, and then failed leaves nothing.
        let gone = register.validate(&asset("消える資産", fx.unit_a, 1, None, None), &e.store.directory(fx.org).await.unwrap()).unwrap();
        let rows = vec![
            ImportRow::Create { id: RecordId::from_uuid(uuid::Uuid::now_v7()), valid: gone.clone() },
            ImportRow::Update { id: taken, version: 99, valid: gone },
        ];
        let failed = e.store.import_records(&ctx(fx.org, Some(fx.ciso.person)), register, &rows, "test").await;
        assert!(matches!(failed, Err(StoreError::Core(CoreError::StaleVersion { .. }))), "{}: {failed:?}", e.name);
        assert_eq!(e.store.verify().await.unwrap().organisations[0].records, 21, "{}", e.name);
        if e.store.backend() == Backend::Sqlite {
            let mut conn = raw(&e).await;
            let row = sqlx::query("SELECT (SELECT count(*) FROM record_index) AS i, (SELECT count(*) FROM record_search) AS s")
                .fetch_one(&mut conn)
                .await
                .unwrap();
            let (index, search): (i64, i64) = (row.try_get("i").unwrap(), row.try_get("s").unwrap());
            assert_eq!(search, index, "one set of search terms per index row, none left by the failed command");
        }
    }
}

#[tokio::test]
async fn sqlite_commits_are_durable() {
    let dir = tempfile::tempdir().unwrap();
    let _store = Store::open_sqlite(dir.path()).await.unwrap();
    sqlx::any::install_default_drivers();
    let mut conn = AnyConnection::connect(&format!("sqlite://{}", dir.path().join("mamori.db").display())).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut conn).await.unwrap();
    assert_eq!(mode, "wal", "WAL persists in the database file");
    // synchronous is per connection: check the store's own setting text.
    assert!(include_str!("../src/lib.rs").contains("PRAGMA synchronous = FULL"));
}

/// Table name → column names, from CREATE TABLE and ALTER TABLE … ADD COLUMN statements.
fn schema(sources: &[&str]) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let mut tables = std::collections::BTreeMap::new();
    for source in sources {
        let mut current: Option<String> = None;
        for line in source.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
                let words: Vec<&str> = rest.split_whitespace().collect();
                if let [table, "ADD", "COLUMN", column, ..] = words.as_slice() {
                    tables.entry(table.to_string()).or_insert_with(BTreeSet::new).insert(column.to_string());
                }
                continue;
            }
            if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
                current = rest.split_whitespace().next().map(str::to_string);
                continue;
            }
            if line.starts_with(");") {
                current = None;
                continue;
            }
            let Some(table) = &current else { continue };
            for part in line.split(',') {
                let Some(word) = part.split_whitespace().next() else { continue };
                if ["PRIMARY", "UNIQUE", "FOREIGN", "CHECK", "--"].iter().any(|k| word.starts_with(k)) {
                    continue;
                }
                tables.entry(table.clone()).or_insert_with(BTreeSet::new).insert(word.to_string());
            }
        }
    }
    tables
}

#[tokio::test]
async fn both_engines_declare_the_same_schema() {
    let sqlite = schema(&mamori_store::migration_sources(Backend::Sqlite));
    let mut postgres = schema(&mamori_store::migration_sources(Backend::Postgres));
    // PostgreSQL keeps search terms in a tsvector column; SQLite in the FTS5 table record_search.
    postgres.get_mut("record_index").unwrap().remove("terms");
    assert_eq!(sqlite, postgres);
    assert!(sqlite.len() >= 12, "tables parsed: {:?}", sqlite.keys());
    for e in engines().await {
        let mut conn = raw(&e).await;
        for table in sqlite.keys() {
            let exists = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT 1 FROM {table} WHERE 1 = 0"))).fetch_optional(&mut conn).await;
            assert!(exists.is_ok(), "{}: table {table} exists", e.name);
        }
    }
}

/// An organisation's imported catalog: its own, immutable per edition, journaled, verified.
#[tokio::test]
async fn imported_catalogs_are_the_organisations_own_and_verified() {
    for e in engines().await {
        let fx = fixture(&e.store, "cat").await;
        let other = fixture(&e.store, "cat-b").await;
        let kubota = fx.library.catalog("kubota-supplier", None).unwrap().clone();
        let id = uuid::Uuid::now_v7();
        let c = ctx(fx.org, Some(fx.ciso.person));
        e.store.import_catalog(&c, id, kubota.clone(), "kubota.xlsx").await.unwrap();
        let again = e.store.import_catalog(&c, uuid::Uuid::now_v7(), kubota.clone(), "kubota.xlsx").await;
        assert!(matches!(again, Err(StoreError::Duplicate(_))), "{}: an edition is imported once: {again:?}", e.name);

        let mine = e.store.catalogs(fx.org).await.unwrap();
        assert_eq!(mine.len(), 1, "{}", e.name);
        assert_eq!(mine[0].catalog.stats().requirements, 153, "{}", e.name);
        assert_eq!(mine[0].created_by, Some(fx.ciso.person));
        assert!(e.store.catalogs(other.org).await.unwrap().is_empty(), "{}: another organisation sees none", e.name);
        assert!(e.store.catalog_edition(other.org, "kubota-supplier", "2.0").await.unwrap().is_none(), "{}", e.name);
        let back = e.store.catalog_edition(fx.org, "kubota-supplier", "2.0").await.unwrap().unwrap();
        assert_eq!(back.def(), kubota.def(), "{}: the document comes back as it was", e.name);
        let history = e.store.history(fx.org, "catalog", &id.to_string()).await.unwrap();
        assert_eq!(history.len(), 1, "{}", e.name);
        assert_eq!(history[0].payload.as_ref().unwrap()["requirements"], 153);
        assert!(e.store.verify().await.unwrap().is_intact(), "{}", e.name);

        // Editing the stored document is caught and names the import.
        let mut conn = raw(&e).await;
        sqlx::query("UPDATE catalog_documents SET document = REPLACE(document, '方針', '方鍼') WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut conn)
            .await
            .unwrap();
        let report = e.store.verify().await.unwrap();
        let org = report.organisations.iter().find(|o| o.org == fx.org).unwrap();
        let problem = org.problem.clone().expect("a changed catalog is detected");
        assert!(problem.reason.contains(&id.to_string()), "{}: {problem:?}", e.name);
        assert_eq!(problem.seq, e.store.journal_length(fx.org).await.unwrap(), "{}: the import event is named", e.name);
    }
}

/// Column mappings of spreadsheet imports: the organisation's own, saved only with the import
/// that used them (in its transaction), replaced by a later import of the same layout, every
/// save journaled. Uploads waiting on the mapping step: their uploader's only, a few per person,
/// a day long, and checked against their SHA-256.
#[tokio::test]
async fn sheet_mappings_and_uploads_waiting_on_the_mapping_step() {
    use mamori_store::{MAX_CATALOG_UPLOADS, NewCatalogUpload, NewSheetMapping};
    for e in engines().await {
        let fx = fixture(&e.store, "map").await;
        let other = fixture(&e.store, "map-b").await;
        let kubota = fx.library.catalog("kubota-supplier", None).unwrap().clone();
        let c = ctx(fx.org, Some(fx.ciso.person));
        let mapping = |column: u32| json!({"sheet": "対策基準", "header_row": 4, "layout": "v1-00ff", "ref": column});
        let first = NewSheetMapping { layout: "v1-00ff".into(), mapping: mapping(4) };
        e.store.import_catalog_with_mapping(&c, uuid::Uuid::now_v7(), kubota.clone(), "kubota.xlsx", Some(&first)).await.unwrap();
        let saved = e.store.sheet_mappings(fx.org).await.unwrap();
        assert_eq!(saved.len(), 1, "{}", e.name);
        assert_eq!((saved[0].layout.as_str(), &saved[0].mapping), ("v1-00ff", &mapping(4)), "{}", e.name);
        assert_eq!(saved[0].updated_by, Some(fx.ciso.person));
        assert!(e.store.sheet_mappings(other.org).await.unwrap().is_empty(), "{}: another organisation has none", e.name);

        // An import that fails saves no mapping.
        let second = NewSheetMapping { layout: "v1-00ff".into(), mapping: mapping(5) };
        let again = e.store.import_catalog_with_mapping(&c, uuid::Uuid::now_v7(), kubota.clone(), "kubota.xlsx", Some(&second)).await;
        assert!(matches!(again, Err(StoreError::Duplicate(_))), "{}: {again:?}", e.name);
        assert_eq!(e.store.sheet_mappings(fx.org).await.unwrap()[0].mapping, mapping(4), "{}", e.name);

        // A later import of the same layout replaces the mapping; the journal keeps both saves.
        let mut def = kubota.def().clone();
        def.set_edition("2.1");
        let edition = std::sync::Arc::new(mamori_core::catalog::Catalog::check(def, &Default::default()).unwrap());
        e.store.import_catalog_with_mapping(&c, uuid::Uuid::now_v7(), edition, "kubota.xlsx", Some(&second)).await.unwrap();
        let saved = e.store.sheet_mappings(fx.org).await.unwrap();
        assert_eq!(saved.len(), 1, "{}: one mapping per layout", e.name);
        assert_eq!(saved[0].mapping, mapping(5), "{}", e.name);
        let history = e.store.history(fx.org, "sheet_mapping", "v1-00ff").await.unwrap();
        assert_eq!(history.len(), 2, "{}", e.name);
        assert_eq!(history[1].payload.as_ref().unwrap()["mapping"], mapping(5), "{}", e.name);
        assert!(e.store.verify().await.unwrap().is_intact(), "{}", e.name);

        // Uploads: the newest few of a person, no one else's, never other bytes than were sent.
        let now = OffsetDateTime::now_utc();
        let fields = json!({"key": "kubota-sheet"});
        let ids: Vec<String> = (0..=MAX_CATALOG_UPLOADS).map(|i| format!("upload-{i}-{}", uuid::Uuid::now_v7().simple())).collect();
        for (i, id) in ids.iter().enumerate() {
            let content = format!("No.,要求事項\n{i},本文\n");
            let upload = NewCatalogUpload {
                id,
                file_name: "rules.csv",
                content: content.as_bytes(),
                fields: &fields,
                at: now + time::Duration::seconds(i as i64),
            };
            e.store.save_catalog_upload(fx.org, fx.ciso.person, &upload).await.unwrap();
        }
        let later = now + time::Duration::seconds(10);
        assert!(
            e.store.catalog_upload(fx.org, fx.ciso.person, &ids[0], later).await.unwrap().is_none(),
            "{}: the oldest is dropped",
            e.name
        );
        let newest = e.store.catalog_upload(fx.org, fx.ciso.person, &ids[MAX_CATALOG_UPLOADS], later).await.unwrap().unwrap();
        assert_eq!(newest.content, format!("No.,要求事項\n{MAX_CATALOG_UPLOADS},本文\n").into_bytes(), "{}", e.name);
        assert_eq!((newest.file_name.as_str(), &newest.fields), ("rules.csv", &fields), "{}", e.name);
        let id = &ids[1];
        assert!(e.store.catalog_upload(fx.org, fx.ciso.person, id, later).await.unwrap().is_some(), "{}", e.name);
        assert!(
            e.store.catalog_upload(fx.org, fx.employee_a.person, id, later).await.unwrap().is_none(),
            "{}: not another person's",
            e.name
        );
        assert!(e.store.catalog_upload(other.org, other.ciso.person, id, later).await.unwrap().is_none(), "{}", e.name);
        let tomorrow = now + time::Duration::days(2);
        assert!(e.store.catalog_upload(fx.org, fx.ciso.person, id, tomorrow).await.unwrap().is_none(), "{}: a day at most", e.name);
        let mut conn = raw(&e).await;
        sqlx::query("UPDATE catalog_uploads SET content = $1 WHERE id = $2")
            .bind(b"No.,text\n1,other\n".to_vec())
            .bind(id.clone())
            .execute(&mut conn)
            .await
            .unwrap();
        let changed = e.store.catalog_upload(fx.org, fx.ciso.person, id, later).await;
        assert!(matches!(changed, Err(StoreError::Corrupt(_))), "{}: changed bytes are refused: {changed:?}", e.name);
        e.store.delete_catalog_upload(fx.org, fx.ciso.person, &ids[2]).await.unwrap();
        assert!(e.store.catalog_upload(fx.org, fx.ciso.person, &ids[2], later).await.unwrap().is_none(), "{}", e.name);
    }
}

fn kubota_doc(fx: &Fixture) -> mamori_core::assessment::AssessmentDoc {
    let scale = fx.library.scale("done_partial_none_na").unwrap().clone();
    mamori_core::assessment::AssessmentDoc {
        name: "クボタ 取引先チェック".into(),
        period: "2026年度".into(),
        unit: None,
        catalog_key: "kubota-supplier".into(),
        catalog_edition: "2.0".into(),
        scope: None,
        scale,
        state: mamori_core::assessment::AssessmentState::InProgress,
        previous: None,
        requester: None,
        due: None,
        workbook: None,
    }
}

fn summariser(fx: &Fixture) -> mamori_store::Summarise {
    let library = fx.library.clone();
    Box::new(move |states| {
        let catalog = library.catalog("kubota-supplier", None).unwrap();
        let items = mamori_core::assessment::scope_items(catalog, None);
        let scale = library.scale("done_partial_none_na").unwrap();
        mamori_core::assessment::score(catalog, &items, scale, states, library.scoring()).summary()
    })
}

#[tokio::test]
async fn assessments_items_and_evidence_are_journaled_versioned_and_verified() {
    use mamori_core::assessment::{AnswerInput, Answerer, ItemState, record_answer};
    use mamori_store::{ItemChange, ItemChangeKind};
    for e in engines().await {
        let fx = fixture(&e.store, "asm").await;
        let other = fixture(&e.store, "asm-b").await;
        let c = ctx(fx.org, Some(fx.ciso.person));
        let doc = kubota_doc(&fx);
        let id = uuid::Uuid::now_v7();
        let created = e.store.create_assessment(&c, id, &doc, &Default::default(), summariser(&fx)(&Default::default())).await.unwrap();
        assert_eq!(created.summary.items, 153, "{}", e.name);
        assert_eq!(created.summary.mandatory_gaps, 129, "{}", e.name);
        let id = id.to_string();
        assert!(e.store.assessment(other.org, &id).await.unwrap().is_none(), "{}: another organisation's id is not found", e.name);
        assert!(matches!(e.store.assessment_items(other.org, &id).await, Err(StoreError::NotFound(_))), "{}", e.name);

        // Answer one 必須 item: the summary follows inside the same command.
        let input = AnswerInput { answerer: Answerer::Primary, value: "実施済".into(), comment: "規程 3 条".into() };
        let state = record_answer(doc.state, &doc.scale, &ItemState::default(), &input, fx.ciso.person, c.at).unwrap().unwrap();
        let change = ItemChange { ref_id: "1".into(), expected_version: None, state: state.clone() };
        let summary = e.store.change_items(&c, &id, 1, ItemChangeKind::Answer, vec![change.clone()], summariser(&fx)).await.unwrap();
        assert_eq!((summary.answered, summary.mandatory_gaps), (1, 128), "{}", e.name);
        // The same change again is stale: the item moved to version 1.
        let stale = e.store.change_items(&c, &id, 1, ItemChangeKind::Answer, vec![change], summariser(&fx)).await;
        assert!(matches!(stale, Err(StoreError::Core(CoreError::StaleVersion { .. }))), "{}: {stale:?}", e.name);
        let items = e.store.assessment_items(fx.org, &id).await.unwrap();
        assert_eq!(items["1"].version, 1);
        assert_eq!(items["1"].state, state);

        // A transition bumps the assessment's version; answers decided before it are refused.
        let mut review = doc.clone();
        review.state = mamori_core::assessment::AssessmentState::UnderReview;
        let moved = e.store.update_assessment(&c, &id, 1, &review, summariser(&fx)).await.unwrap();
        assert_eq!((moved.version, moved.doc.state), (2, review.state), "{}", e.name);
        let late = ItemChange { ref_id: "2".into(), expected_version: None, state: state.clone() };
        let refused = e.store.change_items(&c, &id, 1, ItemChangeKind::Answer, vec![late], summariser(&fx)).await;
        assert!(matches!(refused, Err(StoreError::Core(CoreError::StaleVersion { .. }))), "{}", e.name);

        // Evidence: stored once by content, read back checked against its hash.
        let pdf = b"%PDF-1.4 evidence".to_vec();
        let name = mamori_core::evidence::FileName::parse("教育記録.pdf").unwrap();
        let ev = e.store.add_evidence_file(&c, &name, mamori_core::evidence::MediaType::Pdf, pdf.clone()).await.unwrap();
        let again = e.store.add_evidence_file(&c, &name, mamori_core::evidence::MediaType::Pdf, pdf.clone()).await.unwrap();
        assert_eq!(ev.id, again.id, "{}: the same file is the same evidence", e.name);
        let sha = ev.file.as_ref().unwrap().sha256.clone();
        assert_eq!(e.store.evidence_content(fx.org, &sha).await.unwrap(), pdf);
        assert!(e.store.evidence(other.org, &ev.id).await.unwrap().is_none(), "{}", e.name);
        assert!(e.store.evidence_content(other.org, &sha).await.is_err(), "{}", e.name);
        assert!(e.store.verify().await.unwrap().is_intact(), "{}", e.name);

        let mut conn = raw(&e).await;
        sqlx::query("UPDATE evidence_blobs SET content = $1 WHERE sha256 = $2")
            .bind(b"%PDF-1.4 forged!!".to_vec())
            .bind(sha.clone())
            .execute(&mut conn)
            .await
            .unwrap();
        assert!(
            matches!(e.store.evidence_content(fx.org, &sha).await, Err(StoreError::Evidence(_))),
            "{}: a changed file is never served",
            e.name
        );

        // Editing an answer in the database is caught and names its event.
        sqlx::query("UPDATE assessment_items SET document = REPLACE(document, '規程 3 条', '規程 4 条') WHERE assessment_id = $1")
            .bind(id.clone())
            .execute(&mut conn)
            .await
            .unwrap();
        let report = e.store.verify().await.unwrap();
        let org = report.organisations.iter().find(|o| o.org == fx.org).unwrap();
        let problem = org.problem.clone().expect("a changed answer is detected");
        assert!(problem.reason.contains(&format!("{id}/1")), "{}: {problem:?}", e.name);
    }
}

#[tokio::test]
async fn a_buyer_links_suppliers_sees_what_it_sent_and_reminds() {
    for e in engines().await {
        let buyer = fixture(&e.store, "buyer").await;
        let supplier = fixture(&e.store, "supplier").await;
        let stranger = fixture(&e.store, "stranger").await;
        let c = ctx(buyer.org, Some(buyer.ciso.person));
        e.store.link_supplier(&c, supplier.org).await.unwrap();
        assert!(matches!(e.store.link_supplier(&c, supplier.org).await, Err(StoreError::Duplicate(_))), "{}", e.name);
        assert_eq!(e.store.suppliers(buyer.org).await.unwrap().iter().map(|o| o.id).collect::<Vec<_>>(), [supplier.org], "{}", e.name);
        assert!(e.store.is_supplier(buyer.org, supplier.org).await.unwrap());
        assert!(!e.store.is_supplier(buyer.org, stranger.org).await.unwrap());
        // The buyer's person creates the assessment in the supplier's chain.
        let mut doc = kubota_doc(&buyer);
        doc.requester = Some(buyer.org);
        let sc = ctx(supplier.org, Some(buyer.ciso.person));
        let row = e.store.create_assessment(&sc, uuid::Uuid::now_v7(), &doc, &Default::default(), Default::default()).await.unwrap();
        let sent = e.store.requested_assessments(buyer.org).await.unwrap();
        assert_eq!(sent.len(), 1, "{}", e.name);
        assert_eq!((sent[0].org, sent[0].doc.requester), (supplier.org, Some(buyer.org)));
        assert!(e.store.requested_assessments(stranger.org).await.unwrap().is_empty());
        assert!(e.store.assessment(buyer.org, &row.id).await.unwrap().is_none(), "{}: not the buyer's own", e.name);
        e.store.remind(&sc, &row.id, buyer.org).await.unwrap();
        assert!(e.store.assessment(supplier.org, &row.id).await.unwrap().unwrap().reminded_at.is_some());
        assert!(e.store.remind(&ctx(supplier.org, None), &row.id, stranger.org).await.is_err(), "{}: only the buyer that sent it", e.name);
        let day = time::Date::from_calendar_date(2026, time::Month::November, 20).unwrap();
        e.store.record_finding(&c, supplier.org, "finding", day, "持出し記録が未整備").await.unwrap();
        let findings = e.store.findings(buyer.org, supplier.org).await.unwrap();
        assert_eq!((findings.len(), findings[0].on, findings[0].text.as_str()), (1, day, "持出し記録が未整備"), "{}", e.name);
        assert!(e.store.findings(stranger.org, supplier.org).await.unwrap().is_empty());
        assert!(e.store.verify().await.unwrap().is_intact(), "{}", e.name);
    }
}

/// The buyer's dashboard overview is kept in memory, and follows every change made through any
/// instance: a second store on the same database links, sends, moves and reminds.
#[tokio::test]
async fn a_buyers_overview_follows_changes_made_by_another_instance() {
    for e in engines().await {
        let buyer = fixture(&e.store, "obuyer").await;
        let supplier = fixture(&e.store, "osupplier").await;
        let stranger = fixture(&e.store, "ostranger").await;
        let other = Store::open(&e.location).await.unwrap();
        let first = e.store.supplier_overview(buyer.org).await.unwrap();
        assert!(first.suppliers.is_empty() && first.sent.is_empty(), "{}", e.name);
        let again = e.store.supplier_overview(buyer.org).await.unwrap();
        assert!(std::sync::Arc::ptr_eq(&first, &again), "{}: unchanged, the kept overview is served", e.name);

        let c = ctx(buyer.org, Some(buyer.ciso.person));
        other.link_supplier(&c, supplier.org).await.unwrap();
        let linked = e.store.supplier_overview(buyer.org).await.unwrap();
        assert_eq!(linked.suppliers.iter().map(|o| o.id).collect::<Vec<_>>(), [supplier.org], "{}", e.name);

        let mut doc = kubota_doc(&buyer);
        doc.requester = Some(buyer.org);
        doc.due = Some(time::Date::from_calendar_date(2026, time::Month::December, 25).unwrap());
        let sc = ctx(supplier.org, Some(buyer.ciso.person));
        let row = other
            .create_assessment(&sc, uuid::Uuid::now_v7(), &doc, &Default::default(), summariser(&buyer)(&Default::default()))
            .await
            .unwrap();
        let sent = e.store.supplier_overview(buyer.org).await.unwrap();
        assert_eq!(sent.sent.len(), 1, "{}", e.name);
        let s = &sent.sent[0];
        assert_eq!(
            (s.id.as_str(), s.org, s.state, s.due, s.summary.items),
            (row.id.as_str(), supplier.org, doc.state, doc.due, 153),
            "{}",
            e.name
        );

        let mut submitted = row.doc.clone();
        submitted.state = mamori_core::assessment::AssessmentState::Submitted;
        submitted.due = None;
        other.update_assessment(&sc, &row.id, row.version, &submitted, summariser(&buyer)).await.unwrap();
        let moved = e.store.supplier_overview(buyer.org).await.unwrap();
        assert_eq!((moved.sent[0].state, moved.sent[0].due), (submitted.state, None), "{}: state and due date follow", e.name);

        other.remind(&sc, &row.id, buyer.org).await.unwrap();
        assert!(e.store.supplier_overview(buyer.org).await.unwrap().sent[0].reminded_at.is_some(), "{}", e.name);

        let theirs = e.store.supplier_overview(stranger.org).await.unwrap();
        assert!(theirs.suppliers.is_empty() && theirs.sent.is_empty(), "{}: another buyer sees none of it", e.name);
    }
}
