//! Schema migrations, embedded in the binary: one folder per engine with the same numbers.
//! They run at start; a migration is never edited once merged.

use std::borrow::Cow;

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Backend, Store, StoreError};

const SQLITE: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/sqlite/0001_foundation.sql")),
    (2, "import batches", include_str!("../migrations/sqlite/0002_import_batches.sql")),
    (3, "catalogs", include_str!("../migrations/sqlite/0003_catalogs.sql")),
    (4, "assessments", include_str!("../migrations/sqlite/0004_assessments.sql")),
    (5, "sheet mappings", include_str!("../migrations/sqlite/0005_sheet_mappings.sql")),
    (6, "supplier overview", include_str!("../migrations/sqlite/0006_supplier_overview.sql")),
];
const POSTGRES: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../migrations/postgres/0001_foundation.sql")),
    (2, "import batches", include_str!("../migrations/postgres/0002_import_batches.sql")),
    (3, "catalogs", include_str!("../migrations/postgres/0003_catalogs.sql")),
    (4, "assessments", include_str!("../migrations/postgres/0004_assessments.sql")),
    (5, "sheet mappings", include_str!("../migrations/postgres/0005_sheet_mappings.sql")),
    (6, "supplier overview", include_str!("../migrations/postgres/0006_supplier_overview.sql")),
];

fn migrator(backend: Backend) -> Migrator {
    let list = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let migrations = list
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(*version, Cow::Borrowed(*description), MigrationType::Simple, SqlStr::from_static(sql), false)
        })
        .collect();
    Migrator::with_migrations(migrations)
}

pub async fn run(store: &Store) -> Result<(), StoreError> {
    migrator(store.backend()).run(store.pool()).await.map_err(|e| StoreError::Migrate(e.to_string()))
}

/// The migration sources, for the test that both engines declare the same schema.
pub fn sources(backend: Backend) -> Vec<&'static str> {
    match backend {
        Backend::Sqlite => SQLITE.iter().map(|m| m.2).collect(),
        Backend::Postgres => POSTGRES.iter().map(|m| m.2).collect(),
    }
}
