#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server and MAMORI_TEST_POSTGRES_URL pointing at it.
#   bash scripts/with-postgres.sh CMD [ARGS...]
# The cluster lives in a temporary directory, listens on 127.0.0.1 only, and is removed on exit.
# Without PostgreSQL installed the command runs without the variable (tests then skip PostgreSQL
# visibly), except under CI=true, where that is a failure.
set -euo pipefail

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "with-postgres: PostgreSQL is not installed, and CI requires it" >&2
    exit 1
  fi
  echo "with-postgres: WARNING: PostgreSQL is not installed; running without it" >&2
  exec "$@"
fi

dir=$(mktemp -d /tmp/mamori-pg.XXXXXX)
chown postgres:postgres "$dir" 2>/dev/null || true
as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

cleanup() {
  as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log" >&2; exit 1; }
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q \
  -c "CREATE ROLE mamori LOGIN SUPERUSER PASSWORD 'mamori'" -c "CREATE DATABASE mamori OWNER mamori" >/dev/null

export MAMORI_TEST_POSTGRES_URL="postgres://mamori:mamori@127.0.0.1:$port/mamori"
echo "with-postgres: PostgreSQL $("$bindir/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
set +e
"$@"
status=$?
set -e
exit $status
