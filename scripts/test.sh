#!/usr/bin/env bash
# The one test command: clippy and rustfmt, then every test of the workspace on SQLite and
# PostgreSQL. Starts a throwaway PostgreSQL (scripts/with-postgres.sh) when none is given.
# The last line printed is the total: "tests: N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${MAMORI_TEST_POSTGRES_URL:-}" ]; then
  exec bash scripts/with-postgres.sh bash "$0" "$@"
fi

cargo fmt --all -- --check
cargo clippy --locked --workspace --all-targets -- -D warnings

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --locked --workspace 2>&1 | tee "$log" || status=$?
# One closing line with the totals of every test binary (cargo's own last line is often a
# doc-test run with nothing in it).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1); if ($i ~ /^ignored/) s += $(i-1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
