#!/usr/bin/env bash
# Catalog benchmarks (release build, SQLite, this machine; not a test, not run in CI):
#   1. `mamori catalog import` of the NIST SP 800-53 rev5 LOW resolved catalog (~2.6 MB OSCAL,
#      ../shared/testdata), end to end (process start, parse, check, journaled write): seconds
#      and peak RSS;
#   2. the same for a generated 10 MB OSCAL catalog and a generated 100,000-requirement one:
#      seconds and peak RSS (bounded memory);
#   3. the tree page of a generated 1,200-requirement catalog: `oha`, one connection, N requests
#      after a warm-up: p50, p99.
# Each figure RUNS times (default 5); every run and the medians go to bench/results/catalogs-TIMESTAMP.json.
#   bash bench/catalogs.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-5}
command -v oha >/dev/null || cargo install oha --locked -q
cargo build --release -q -p mamori
bin=./target/release/mamori
low=../shared/testdata/oscal/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json
[ -f "$low" ] || { echo "catalogs bench: $low is missing" >&2; exit 1; }
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p bench/results
out=bench/results/catalogs-$(date -u +%Y%m%dT%H%M%SZ).json
export MAMORI_LOG=error

# Generated OSCAL catalogs: groups of controls with a title and a statement of realistic length.
python3 - "$work" <<'PY'
import json, sys, uuid
work = sys.argv[1]
def catalog(title, groups, per_group, prose_len):
    gs = []
    for g in range(groups):
        controls = []
        for c in range(per_group):
            cid = f"g{g}-{c}"
            prose = (f"管理策 {g}.{c}: 情報資産の取扱いに関する手順を定め、定期的に見直すこと。 " * 20)[:prose_len]
            controls.append({"id": cid, "title": f"要求事項 {g}.{c} アクセス管理と記録", "props": [{"name": "label", "value": f"G{g}-{c}"}],
                             "parts": [{"id": f"{cid}_smt", "name": "statement", "prose": prose},
                                       {"id": f"{cid}_gdn", "name": "guidance", "prose": "Guidance text for the control. " * 3}]})
        gs.append({"id": f"g{g}", "title": f"グループ {g}", "controls": controls})
    return {"catalog": {"uuid": str(uuid.uuid4()), "metadata": {"title": title, "version": "1", "oscal-version": "1.1.2",
            "last-modified": "2026-12-01T00:00:00Z"}, "groups": gs}}
for name, args in {"tree1200": ("Bench tree", 60, 20, 300), "ten_mb": ("Bench ten megabytes", 150, 100, 280),
                   "hundred_k": ("Bench hundred thousand", 1000, 100, 60)}.items():
    with open(f"{work}/{name}.json", "w", encoding="utf-8") as f:
        json.dump(catalog(*args), f, ensure_ascii=False)
PY
ls -l "$work"/*.json | awk '{ print "generated " $9 ": " $5 " bytes" }'

# A demo organisation; its CISO imports.
port=18097
$bin demo --data "$work/data" --listen 127.0.0.1:$port >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 60); do curl -fs -o /dev/null http://127.0.0.1:$port/login && break; sleep 0.5; done
kill $server; wait $server 2>/dev/null || true; server=""
as=(--as ciso@demo.mamori.example --data "$work/data")

timed_import() { # file edition -> "seconds peak_rss_mb requirements"
  /usr/bin/time -f "%e %M" -o "$work/time" $bin catalog import "$1" "${as[@]}" --edition "$2" --json > "$work/import.json"
  python3 -c "import json; t=open('$work/time').read().split(); d=json.load(open('$work/import.json')); print(t[0], int(t[1])//1024, d['requirements'])"
}

echo "[" > "$out"
for i in $(seq 1 "$runs"); do
  for name in low ten_mb hundred_k; do
    file=$([ $name = low ] && echo "$low" || echo "$work/$name.json")
    read -r s rss n < <(timed_import "$file" "run-$i")
    line="{\"bench\":\"import_$name\",\"seconds\":$s,\"peak_rss_mb\":$rss,\"requirements\":$n}"
    echo "run $i: $line"; echo "  $line," >> "$out"
  done
done

# The tree page of the 1,200-requirement catalog.
$bin catalog import "$work/tree1200.json" "${as[@]}" --edition tree --json > /dev/null
$bin serve --data "$work/data" --listen 127.0.0.1:$port >/dev/null 2>&1 &
server=$!
wait_for_login $port 60
session=$(sign_in $port ciso@demo.mamori.example 'Mamori-Demo-2026!' "$work/jar")
url="http://127.0.0.1:$port/catalogs/bench-tree/tree"
lines=$(curl -s -H "Cookie: mamori_session=$session" "$url" | grep -c '<li class="d' || true)
echo "tree page lists $lines nodes"
oha -n 200 -c 1 --no-tui --output-format quiet -H "Cookie: mamori_session=$session" "$url" >/dev/null
for i in $(seq 1 "$runs"); do
  oha -n 1000 -c 1 --no-tui --output-format json -H "Cookie: mamori_session=$session" "$url" > "$work/oha.json"
  line=$(python3 -c "
import json; d = json.load(open('$work/oha.json')); p = d['latencyPercentiles']; codes = d.get('statusCodeDistribution', {})
print(json.dumps({'bench': 'tree_page_1200', 'p50_ms': round(p['p50'] * 1000, 2), 'p99_ms': round(p['p99'] * 1000, 2),
                  'requests_per_second': round(d['summary']['requestsPerSec']), 'non_200': sum(v for k, v in codes.items() if k != '200')}))")
  echo "run $i: $line"; echo "  $line," >> "$out"
done
kill $server; wait $server 2>/dev/null || true; server=""
$bin verify --data "$work/data" >/dev/null && echo "verify: intact"

python3 - "$out" <<'PY'
import json, statistics, sys
path = sys.argv[1]
text = open(path).read().rstrip().rstrip(",") + "\n]"
runs = json.loads(text)
def med(bench, key):
    values = [r[key] for r in runs if r["bench"] == bench]
    return statistics.median(values) if values else None
medians = {}
for b in ["import_low", "import_ten_mb", "import_hundred_k"]:
    medians[f"{b}_seconds"] = med(b, "seconds")
    medians[f"{b}_peak_rss_mb"] = med(b, "peak_rss_mb")
medians["tree_page_1200_p50_ms"] = med("tree_page_1200", "p50_ms")
medians["tree_page_1200_p99_ms"] = med("tree_page_1200", "p99_ms")
json.dump({"runs": runs, "medians": medians}, open(path, "w"), indent=2)
print(json.dumps(medians, indent=2))
PY
echo "results: $out"
