#!/usr/bin/env bash
# The one test command: every test of the workspace on SQLite and PostgreSQL, then clippy and
# rustfmt. Starts a throwaway PostgreSQL (scripts/with-postgres.sh) when none is given.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${MAMORI_TEST_POSTGRES_URL:-}" ]; then
  exec bash scripts/with-postgres.sh bash "$0" "$@"
fi

cargo test --locked --workspace
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo fmt --all -- --check
echo "test.sh: all checks passed"
