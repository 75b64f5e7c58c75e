//! Durability: a writer process is killed with SIGKILL in the middle of a stream of appends;
//! after reopening, every append it acknowledged is present and the journal verifies. Then a
//! backup taken while another writer runs restores to a database that verifies.
//!
//! The writer is this test binary run again with `MAMORI_DURABILITY_WRITER=DIR` and only the
//! test that started it: in that mode the test appends records forever and prints each id after
//! its commit returned.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed expectation is the test failing

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use mamori_core::Text;
use mamori_core::ids::{OrgId, RecordId, UnitId};
use mamori_core::library::Library;
use mamori_store::{Ctx, NewUnit, Store};
use serde_json::{Map, json};
use time::OffsetDateTime;

const WRITER_ENV: &str = "MAMORI_DURABILITY_WRITER";

fn ctx(org: OrgId) -> Ctx {
    Ctx { org, actor: None, role: None, at: OffsetDateTime::now_utc() }
}

/// Creates an organisation with one unit; returns both.
async fn setup(store: &Store) -> (OrgId, UnitId) {
    let org = OrgId::from_uuid(uuid::Uuid::now_v7());
    store.create_organisation(&ctx(org), "durable", "耐久試験株式会社").await.expect("organisation");
    let unit = UnitId::from_uuid(uuid::Uuid::now_v7());
    store
        .create_unit(&ctx(org), &NewUnit { id: unit, parent: None, code: "ops".into(), name: Text::new("運用部", "Operations") })
        .await
        .expect("unit");
    (org, unit)
}

/// Appends records forever, printing each id once its transaction has committed.
async fn write_forever(dir: &Path) {
    let store = Store::open_sqlite(dir).await.expect("open");
    let org = store.organisations().await.expect("orgs")[0].id;
    let unit = store.units(org).await.expect("units")[0].id;
    let library = Library::builtin().expect("library");
    let register = library.register("information_assets").expect("register");
    let directory = store.directory(org).await.expect("directory");
    for i in 0u64.. {
        let mut input = Map::new();
        input.insert("business_category".into(), json!("試験"));
        input.insert("name".into(), json!(format!("資産 {i}")));
        input.insert("managing_unit".into(), json!(unit.to_string()));
        input.insert("personal_information".into(), json!("none"));
        input.insert("confidentiality".into(), json!(1 + (i % 3) as i64));
        input.insert("integrity".into(), json!(1));
        input.insert("availability".into(), json!(2));
        input.insert("registered_on".into(), json!("2026-11-24"));
        let valid = register.validate(&input, &directory).expect("valid");
        let id = RecordId::from_uuid(uuid::Uuid::now_v7());
        store.create_record(&ctx(org), register, id, &valid).await.expect("append");
        println!("{id}");
    }
}

/// Starts a writer on `dir`: this test binary again, running only `test` in writer mode.
/// Returns it with a reader of its acknowledgements.
fn spawn_writer(dir: &Path, test: &str) -> (std::process::Child, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(WRITER_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    let stdout = child.stdout.take().expect("stdout");
    (child, BufReader::new(stdout))
}

/// Reads acknowledged ids until `count` have arrived.
fn read_acks(reader: &mut BufReader<std::process::ChildStdout>, count: usize) -> Vec<RecordId> {
    let mut acked = Vec::new();
    let mut line = String::new();
    while acked.len() < count {
        line.clear();
        if reader.read_line(&mut line).expect("read") == 0 {
            panic!("the writer stopped after {} acknowledgements", acked.len());
        }
        if let Ok(id) = RecordId::parse(line.trim()) {
            acked.push(id);
        }
    }
    acked
}

/// In a writer process (this test binary started again by `spawn_writer`), appends forever
/// instead of running the test.
fn writer_mode() {
    if let Ok(dir) = std::env::var(WRITER_ENV) {
        tokio::runtime::Runtime::new().expect("runtime").block_on(write_forever(Path::new(&dir)));
    }
}

#[test]
fn acknowledged_appends_survive_sigkill() {
    writer_mode();
    tokio::runtime::Runtime::new().expect("runtime").block_on(sigkill_scenario());
}

async fn sigkill_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open_sqlite(dir.path()).await.expect("open");
        setup(&store).await;
        store.close().await;
    }
    let (mut child, mut reader) = spawn_writer(dir.path(), "acknowledged_appends_survive_sigkill");
    let acked = read_acks(&mut reader, 300);
    child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix.
    child.wait().expect("wait");
    // Acknowledgements printed after the 300th but before the kill count too.
    let mut rest = String::new();
    let mut acked = acked;
    while reader.read_line(&mut rest).unwrap_or(0) > 0 {
        if let Ok(id) = RecordId::parse(rest.trim()) {
            acked.push(id);
        }
        rest.clear();
    }

    let store = Store::open_sqlite(dir.path()).await.expect("reopen");
    let org = store.organisations().await.expect("orgs")[0].id;
    let mut missing = 0;
    for id in &acked {
        if store.record(org, *id).await.expect("read").is_none() {
            missing += 1;
        }
    }
    assert_eq!(missing, 0, "{missing} of {} acknowledged appends were lost", acked.len());
    let report = store.verify().await.expect("verify");
    assert!(report.is_intact(), "journal after SIGKILL: {:?}", report.organisations[0].problem);
    assert!(report.organisations[0].records >= acked.len() as i64);
}

#[test]
fn backup_taken_during_writes_verifies() {
    writer_mode();
    tokio::runtime::Runtime::new().expect("runtime").block_on(backup_scenario());
}

async fn backup_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = Store::open_sqlite(dir.path()).await.expect("open");
        setup(&store).await;
        store.close().await;
    }
    let (mut child, mut reader) = spawn_writer(dir.path(), "backup_taken_during_writes_verifies");
    read_acks(&mut reader, 50);
    let store = Store::open_sqlite(dir.path()).await.expect("open while writing");
    let restore = tempfile::tempdir().expect("tempdir");
    store.backup_to(&restore.path().join("mamori.db")).await.expect("backup");
    read_acks(&mut reader, 50); // the writer kept going during and after the backup
    child.kill().expect("kill");
    child.wait().expect("wait");

    let restored = Store::open_sqlite(restore.path()).await.expect("open backup");
    let report = restored.verify().await.expect("verify");
    assert!(report.is_intact(), "backup: {:?}", report.organisations[0].problem);
    assert!(report.organisations[0].records >= 50, "the backup holds the records written before it");
}
