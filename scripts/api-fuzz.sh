#!/usr/bin/env bash
# Property-based tests of the JSON API with schemathesis (PyPI) against the OpenAPI document the
# server generates: no generated request may cause a server error (5xx).
#   bash scripts/api-fuzz.sh [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-30}
command -v st >/dev/null || pip install -q schemathesis
cargo build --locked -q -p mamori
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
./target/debug/mamori demo --listen "127.0.0.1:$port" --data "$data" >"$data/demo.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 1 60); do curl -fs -o /dev/null "http://127.0.0.1:$port/login" && break; sleep 1; done
token=$(./target/debug/mamori token create --data "$data" --email ciso@demo.mamori.example --name schemathesis)
st run "http://127.0.0.1:$port/api/openapi.json" --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $token" --checks not_a_server_error --max-examples "$examples" --no-color
echo "api-fuzz: no server error"
