#!/usr/bin/env bash
# The one test command: rustfmt and clippy, every Rust test of the workspace on SQLite and
# PostgreSQL, then the end-to-end tests in headless Chromium (e2e/, Node's test runner).
# Starts a throwaway PostgreSQL (scripts/with-postgres.sh) when none is given.
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

# End to end: the real binary in headless Chromium.
cargo build --locked -q -p mamori
if command -v npm >/dev/null; then
  (cd e2e && npm ci --no-audit --no-fund --silent && node --test --test-reporter=spec) 2>&1 | tee -a "$log" || status=$?
elif [ "${CI:-}" = "true" ]; then
  echo "e2e: npm is missing, and CI requires the end-to-end tests" >&2
  status=1
else
  echo "SKIP e2e: npm is not installed"
fi

# One closing line with the totals of every test binary (cargo's own last line is often a
# doc-test run with nothing in it) and of the end-to-end tests.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1); if ($i ~ /^ignored/) s += $(i-1) } }
     /^ℹ pass / { p += $3 } /^ℹ fail / { f += $3 } /^ℹ skipped / { s += $3 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
