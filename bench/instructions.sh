#!/usr/bin/env bash
# Instructions the server spends on one list page, counted by valgrind's callgrind: unlike
# requests per second on this machine (whose speed moves by up to 30 % within an hour), the count
# repeats to within a percent, so a change to the page's cost can be measured.
#   bash bench/instructions.sh [REQUESTS]     (default 400; needs valgrind and oha)
# Uses a copy of bench/data/large (generate it first with bench/run.sh). Prints instructions per
# request (server total, all threads) and writes the callgrind profile to /tmp/mamori-callgrind.out.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
requests=${1:-400}
command -v valgrind >/dev/null || apt-get install -y -qq valgrind >/dev/null
[ -f bench/data/large/mamori.db ] || { echo "bench/data/large is missing: run bench/run.sh first" >&2; exit 1; }
cargo build --release -q -p mamori
work=$(mktemp -d)
cp -r bench/data/large/. "$work/"
port=18091
rm -f /tmp/mamori-callgrind.out
valgrind --tool=callgrind --callgrind-out-file=/tmp/mamori-callgrind.out --instr-atstart=no \
  ./target/release/mamori serve --data "$work" --listen 127.0.0.1:$port >/tmp/mamori-callgrind-serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
wait_for_login $port 600
session=$(sign_in $port ciso@bench.mamori.example 'Bench-Password-2026!' "$work/jar")
url="http://127.0.0.1:$port/registers/information_assets?f.confidentiality=3&sort=name"
# Warm up (page cache, statement caches), then count only the measured requests.
callgrind_control -i on "$server" >/dev/null
oha -n 100 -c 4 --no-tui -H "Cookie: mamori_session=$session" "$url" >/dev/null
callgrind_control -z "$server" >/dev/null
oha -n "$requests" -c 1 --no-tui -H "Cookie: mamori_session=$session" "$url" >/dev/null
callgrind_control -d "$server" >/dev/null
kill $server; wait $server 2>/dev/null || true
total=$(grep -h '^summary:' /tmp/mamori-callgrind.out.1 | awk '{ s += $2 } END { printf "%.0f", s }')
echo "{\"bench\":\"list_page_instructions\",\"requests\":$requests,\"instructions_per_request\":$((total / requests))}"
