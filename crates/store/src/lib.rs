//! Mamori's persistence: one API in domain words over SQLite (embedded, the default) and
//! PostgreSQL (many app servers, one database).
//!
//! Both engines run through sqlx's `Any` driver with the same SQL text wherever both dialects
//! accept it (ids and timestamps are text, flags 0/1 integers); where they differ (full-text
//! search) the two statements sit side by side in the module that needs them. Every command is
//! one transaction that appends its journal events and updates the current-state tables
//! together. The store records decisions; it never makes them: validation and authorisation
//! happen in `mamori-core` before a command gets here.

mod assessments;
mod catalogs;
mod error;
mod imports;
mod journal;
mod migrate;
mod orgs;
mod params;
mod people;
mod records;
mod sessions;
mod sheet_mappings;
mod submissions;
mod suppliers;
mod time_text;
mod verify;
mod writer;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use mamori_core::ids::{OrgId, PersonId};
use mamori_core::library::RoleKey;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use time::OffsetDateTime;

pub use assessments::{AssessmentRow, EvidenceFile, EvidenceRow, ItemChange, ItemChangeKind, StoredItem, Summarise};
pub use catalogs::StoredCatalog;
pub use error::StoreError;
pub use imports::{CatalogUpload, ImportBatch, MAX_CATALOG_UPLOADS, NewCatalogUpload};
pub use journal::HistoryEntry;
/// The embedded migration sources of one engine (for the test that both schemas agree).
pub use migrate::sources as migration_sources;
pub use orgs::{NewUnit, Organisation, Unit};
pub use people::{NewPerson, Person, SignInRecord};
pub use records::{Cursor, Filter, ImportRow, ListQuery, OrgDirectory, Page, RecordRow, RecordSummary, SortOrder};
pub use sessions::{ApiToken, NewSession, SessionRow, SignedIn};
pub use sheet_mappings::{NewSheetMapping, SheetMapping};
pub use submissions::{ImportedSubmission, SigningKey};
pub use suppliers::{SentAssessment, SupplierFinding, SupplierOverview};
pub use verify::{OrgVerification, VerifyReport};
pub use writer::WriterStats;

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the data lives, as chosen by `--data DIR` or `--database URL`.
#[derive(Clone)]
pub enum Location {
    /// A directory holding `mamori.db` (and later evidence files).
    Directory(PathBuf),
    /// A PostgreSQL URL. Its password is never printed.
    Postgres(String),
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Directory(dir) => f.debug_tuple("Directory").field(dir).finish(),
            Location::Postgres(url) => f.debug_tuple("Postgres").field(&redact_url(url)).finish(),
        }
    }
}

/// A URL with any password replaced, for logs and messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Who does a command, in which role, for which organisation, and when. Every journal event
/// takes these from here.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub org: OrgId,
    pub actor: Option<PersonId>,
    pub role: Option<RoleKey>,
    pub at: OffsetDateTime,
}

impl Ctx {
    /// A journal event of this command: its organisation, actor, role and time.
    pub(crate) fn event(
        &self,
        kind: mamori_core::journal::EventKind,
        entity_type: &str,
        entity_id: impl ToString,
        payload: serde_json::Value,
    ) -> mamori_core::journal::EventDraft {
        mamori_core::journal::EventDraft {
            org: self.org,
            at: self.at,
            actor: self.actor,
            role: self.role.clone(),
            kind,
            entity_type: entity_type.to_string(),
            entity_id: entity_id.to_string(),
            payload,
        }
    }
}

/// The store. Cheap to clone: it holds a connection pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The group-commit writer (SQLite only).
    writer: Option<writer::GroupWriter>,
    /// Register scope numbers already committed (see records::scope).
    scopes: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<(OrgId, String), i64>>>,
    /// Units for display, with the time they were read (see orgs::unit_names).
    unit_cache: std::sync::Arc<std::sync::Mutex<UnitCache>>,
    /// Imported catalogs, parsed, by id (editions never change; see catalogs.rs).
    catalog_cache: std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<mamori_core::catalog::Catalog>>>>,
    /// Buyers' dashboard overviews with the generation they were read at (see suppliers.rs).
    overview_cache: std::sync::Arc<std::sync::Mutex<suppliers::OverviewCache>>,
}

type UnitCache = std::collections::HashMap<OrgId, (std::time::Instant, std::sync::Arc<Vec<Unit>>)>;

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

/// The SQLite settings that govern durability, applied on every connection:
/// - `journal_mode=WAL`: readers never block the writer;
/// - `synchronous=FULL`: every commit is fsynced to the WAL before it is acknowledged, so a
///   committed write survives `kill -9` and power loss (NORMAL would survive the former only);
/// - `busy_timeout`: a writer waits for another instead of failing at once;
/// - `foreign_keys=ON`;
/// - `wal_autocheckpoint=8192`: the commit that takes the WAL past 8,192 pages (32 MiB) copies
///   it into the database file (SQLite's default is 1,000). Durability is the same either way; a
///   larger WAL lets a page that several groups change be copied once instead of once per
///   checkpoint, and costs that commit a longer checkpoint (measured, bench/README.md).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON; PRAGMA wal_autocheckpoint = 8192;";

/// The group writer's own connection (writer.rs): the same settings, and a page cache of 64 MiB
/// instead of SQLite's 2 MiB, so the index pages that appends change stay in memory between
/// groups and a group's changed pages are not spilled before its commit.
///
/// Savepoint journals stay in a temporary file on this connection: in memory (`temp_store =
/// MEMORY`) a large command (the generator's imports of 2,000 records) spent nearly all its time
/// releasing statement savepoints, 200,000 assets taking over ten minutes instead of 90 s. The
/// writer's direct connection, which runs only single-record commands, keeps them in memory
/// (writer.rs, `connect_direct`).
///
/// Checkpoints are SQLite's own, at the commit that takes the WAL past 8,192 pages
/// (`SQLITE_PRAGMAS`): with 200 writers 4,346–4,576 appends/s against 3,638–4,296 at SQLite's
/// 1,000 pages. A separate connection checkpointing every 50 ms measured no faster on this
/// 2-core machine (its writes and fsync share the disk with the commits'), and 16,384 pages no
/// faster than 8,192 with a worse p99 (bench/README.md).
const SQLITE_WRITER_SETUP: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON; \
     PRAGMA wal_autocheckpoint = 8192; PRAGMA cache_size = -65536;";

impl Store {
    pub async fn open(location: &Location) -> Result<Store, StoreError> {
        match location {
            Location::Directory(dir) => Store::open_sqlite(dir).await,
            Location::Postgres(url) => Store::open_postgres(url).await,
        }
    }

    /// Opens (creating if needed) `DIR/mamori.db` and migrates it.
    pub async fn open_sqlite(dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::DataDirectory { path: dir.display().to_string(), detail: e.to_string() })?;
        let path = dir.join("mamori.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(&url).map_err(StoreError::from_connect)?;
        // A connection to a local file cannot have gone away, so it is not pinged before each
        // use (sqlx's default; one more round trip to the connection's thread per query).
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .min_connections(1)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute(SQLITE_PRAGMAS).await?;
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await
            .map_err(StoreError::from_connect)?;
        let writer = Some(writer::GroupWriter::start(options, path.clone(), SQLITE_WRITER_SETUP));
        let store = Store {
            pool,
            backend: Backend::Sqlite,
            writer,
            scopes: Default::default(),
            unit_cache: Default::default(),
            catalog_cache: Default::default(),
            overview_cache: Default::default(),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// Connects to PostgreSQL and migrates the database.
    pub async fn open_postgres(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let options = AnyConnectOptions::from_str(url).map_err(StoreError::from_connect)?;
        let pool = AnyPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(StoreError::from_connect)?;
        let store = Store {
            pool,
            backend: Backend::Postgres,
            writer: None,
            scopes: Default::default(),
            unit_cache: Default::default(),
            catalog_cache: Default::default(),
            overview_cache: Default::default(),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Writes a consistent copy of an SQLite store to `target` (a file that must not exist),
    /// while the store keeps serving. PostgreSQL stores are backed up with pg_dump instead.
    pub async fn backup_to(&self, target: &Path) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Unsupported("backup of a PostgreSQL store: use pg_dump"));
        }
        if target.exists() {
            return Err(StoreError::DataDirectory { path: target.display().to_string(), detail: "already exists".to_string() });
        }
        let target_text = target.display().to_string();
        sqlx::query("VACUUM INTO $1").bind(target_text).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }
}
