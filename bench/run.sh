#!/usr/bin/env bash
# Mamori benchmarks on a generated large organisation (release build, SQLite, this machine).
#   bash bench/run.sh [RUNS] [SECONDS]      (defaults: 5 runs of 60 s)
#   PHASES="fixed" bash bench/run.sh        (only some phases: saturated, fixed, appends)
# 1. generates 200,000 assets, 2,000 people, 40 units once (bench/data/large, reused after);
# 2. list page: `mamori serve`, sign in, warm up 10 s, then a page of 50 rows filtered on an
#    indexed field and sorted, 50 connections:
#    - saturated: RUNS runs of wrk (as fast as the server answers): p50, p99, requests/s;
#    - fixed: RUNS runs of oha at 1,000 requests/s (latency at that load, with coordinated
#      omission corrected): p50, p99;
# 3. appends: RUNS runs of journaled record appends with durable commits (synchronous=FULL);
# 4. writes every run and the medians to bench/results/.
# Not a test and not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-5}
seconds=${2:-60}
phases=${PHASES:-saturated fixed appends}
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null; }
command -v oha >/dev/null || cargo install oha --locked -q
cargo build --release -q -p mamori -p mamori-bench
data=bench/data/large
mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/$stamp.json

if [ ! -f "$data/mamori.db" ]; then
  echo "generating 200,000 assets in $data ..."
  ./target/release/generate --data "$data" --assets 200000 --people 2000 --units 40 | tee bench/results/$stamp-generate.json
fi

port=18090
./target/release/mamori serve --data "$data" --listen 127.0.0.1:$port >/tmp/mamori-bench-serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
wait_for_login $port
session=$(sign_in $port ciso@bench.mamori.example 'Bench-Password-2026!' "$(mktemp)")
url="http://127.0.0.1:$port/registers/information_assets?f.confidentiality=3&sort=name"
rows=$(curl -s -H "Cookie: mamori_session=$session" "$url" | grep -c 'class="badge c3"' || true)
echo "list page returns $rows rows"
wrk -t2 -c50 -d10s -H "Cookie: mamori_session=$session" "$url" >/dev/null

echo "[" > "$out"
for i in $(seq 1 "$runs"); do
  case " $phases " in *" saturated "*) ;; *) break ;; esac
  result=$(wrk -t2 -c50 -d"${seconds}s" --latency -H "Cookie: mamori_session=$session" "$url")
  line=$(python3 - "$result" <<'PY'
import re, sys
text = sys.argv[1]
def ms(label):
    m = re.search(r"^\s*" + label + r"%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print('{"bench":"list_page","p50_ms":%.2f,"p99_ms":%.2f,"requests_per_second":%.0f,"non_2xx":%s}' % (ms("50"), ms("99"), rps, errors.group(1) if errors else 0))
PY
)
  echo "run $i: $line"
  echo "  $line," >> "$out"
done
for i in $(seq 1 "$runs"); do
  case " $phases " in *" fixed "*) ;; *) break ;; esac
  oha -z "${seconds}s" -c 50 -q 1000 --latency-correction --no-tui --output-format json -H "Cookie: mamori_session=$session" "$url" > /tmp/mamori-oha.json
  line=$(python3 -c "
import json; d = json.load(open('/tmp/mamori-oha.json')); s = d['summary']; p = d['latencyPercentiles']
codes = d.get('statusCodeDistribution', {})
print('{\"bench\":\"list_page_at_1000\",\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"requests_per_second\":%.0f,\"non_200\":%d}' % (p['p50'] * 1000, p['p99'] * 1000, s['requestsPerSec'], sum(v for k, v in codes.items() if k != '200')))")
  echo "fixed-rate run $i: $line"
  echo "  $line," >> "$out"
done
rss_kb=$(awk '/VmHWM/ { print $2 }' /proc/$server/status)
echo "  {\"bench\":\"server_peak_rss_mb\",\"value\":$((rss_kb / 1024))}," >> "$out"
kill $server; wait $server 2>/dev/null || true

for i in $(seq 1 "$runs"); do
  case " $phases " in *" appends "*) ;; *) break ;; esac
  # Each run on a fresh copy, so every run starts from the same 200,000 assets.
  scratch=$(mktemp -d)
  cp "$data/mamori.db" "$scratch/" && sync
  line=$(./target/release/appends --data "$scratch" --seconds 10 --concurrency 50 | sed 's/^{/{"bench":"appends",/')
  rm -rf "$scratch"
  echo "appends run $i: $line"
  echo "  $line," >> "$out"
done
sed -i '$ s/,$//' "$out"
echo "]" >> "$out"

python3 - "$out" <<'PY'
import json, statistics, sys
runs = json.load(open(sys.argv[1]))
def med(bench, key):
    values = [r[key] for r in runs if r["bench"] == bench]
    return statistics.median(values) if values else None
summary = {
    "list_page_saturated_p50_ms": med("list_page", "p50_ms"),
    "list_page_saturated_p99_ms": med("list_page", "p99_ms"),
    "list_page_saturated_requests_per_second": med("list_page", "requests_per_second"),
    "list_page_at_1000_p50_ms": med("list_page_at_1000", "p50_ms"),
    "list_page_at_1000_p99_ms": med("list_page_at_1000", "p99_ms"),
    "list_page_at_1000_requests_per_second": med("list_page_at_1000", "requests_per_second"),
    "server_peak_rss_mb": [r["value"] for r in runs if r["bench"] == "server_peak_rss_mb"][0],
    "appends_per_second": med("appends", "per_second"),
    "appends_p50_ms": med("appends", "p50_ms"),
    "appends_p99_ms": med("appends", "p99_ms"),
}
print(json.dumps(summary, indent=2))
json.dump({"runs": runs, "medians": summary}, open(sys.argv[1], "w"), indent=2)
PY
echo "results: $out"
