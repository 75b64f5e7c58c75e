#!/usr/bin/env bash
# Import benchmark: a 10,000-row CSV uploaded through the web page (preview, then commit) to a
# fresh demo organisation served by the release build; reports both steps' times and the
# server's peak RSS. Each figure RUNS times (default 5); every run and the medians go to
# bench/results/import-TIMESTAMP.json.   bash bench/import.sh [RUNS] [ROWS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-5}
rows=${2:-10000}
cargo build --release -q -p mamori
mkdir -p bench/results
out=bench/results/import-$(date -u +%Y%m%dT%H%M%SZ).json
csv=$(mktemp --suffix=.csv)
python3 - "$csv" "$rows" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
units = ["営業部", "製造部", "人事総務部", "情報システム部", "経営企画室"]
with open(path, "w", encoding="utf-8-sig", newline="") as f:
    f.write("業務分類,情報資産名称,備考,管理部署,媒体・保存先,個人情報の種類,機密性,完全性,可用性,登録日\r\n")
    for i in range(n):
        f.write(f"営業,取込資産 {i:05},一括取込の試験,{units[i % 5]},電子データ・ファイルサーバ,含まない,{1 + i % 3},{1 + i % 2},2,2026/4/1\r\n")
PY
echo "[" > "$out"
for run in $(seq 1 "$runs"); do
  data=$(mktemp -d)
  port=18095
  ./target/release/mamori demo --data "$data" --listen 127.0.0.1:$port >/dev/null 2>&1 &
  server=$!
  wait_for_login $port 60
  jar=$(mktemp)
  sign_in $port ciso@demo.mamori.example 'Mamori-Demo-2026!' "$jar" >/dev/null
  csrf=$(curl -s -b "$jar" http://127.0.0.1:$port/registers/information_assets/import | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
  start=$(date +%s.%N)
  curl -s -b "$jar" -o "$data/preview.html" -F "csrf=$csrf" -F "file=@$csv;filename=assets.csv" http://127.0.0.1:$port/registers/information_assets/import
  mid=$(date +%s.%N)
  batch=$(grep -o 'import/[0-9a-f]\{32\}' "$data/preview.html" | head -1 | cut -d/ -f2)
  [ -n "$batch" ] || { echo "preview found errors" >&2; grep -m3 field-error "$data/preview.html" >&2; exit 1; }
  location=$(curl -s -b "$jar" -o /dev/null -w '%{redirect_url}' --data-urlencode "csrf=$csrf" http://127.0.0.1:$port/registers/information_assets/import/$batch)
  end=$(date +%s.%N)
  rss_kb=$(awk '/VmHWM/ { print $2 }' /proc/$server/status)
  kill $server; wait $server 2>/dev/null || true
  ./target/release/mamori verify --data "$data" >/dev/null
  line=$(python3 -c "print('{\"rows\":$rows,\"preview_s\":%.2f,\"commit_s\":%.2f,\"total_s\":%.2f,\"server_peak_rss_mb\":%d,\"result\":\"%s\"}' % ($mid-$start, $end-$mid, $end-$start, $rss_kb//1024, '${location##*\?}'))")
  echo "run $run: $line"
  echo "  $line," >> "$out"
  rm -rf "$data" "$jar"
done
sed -i '$ s/,$//' "$out"
echo "]" >> "$out"
python3 - "$out" <<'PY'
import json, statistics, sys
runs = json.load(open(sys.argv[1]))
medians = {k: statistics.median(r[k] for r in runs) for k in ["preview_s", "commit_s", "total_s", "server_peak_rss_mb"]}
print(json.dumps(medians))
json.dump({"runs": runs, "medians": medians}, open(sys.argv[1], "w"), indent=2)
PY
rm -f "$csv"
echo "results: $out"
