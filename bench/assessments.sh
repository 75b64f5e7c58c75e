#!/usr/bin/env bash
# Assessment benchmarks (release build, SQLite, this machine; not a test, not run in CI), on a
# buyer with 1,500 suppliers each answering Kubota's 153 items (bench/src/bin/suppliers.rs):
#   1. the buyer's dashboard (/suppliers): oha, 50 concurrent clients for SECONDS: p50, p99, rps,
#      both as fast as the server answers (closed loop) and at 1,000 requests/s (as issue 2's list
#      page is measured; latency with coordinated omission corrected);
#   2. one supplier's checklist page (/assessments/ID, 153 items): oha, one client: p50, p99;
#   3. exporting a filled 153-item customer workbook in seed 004's layout
#      (/assessments/ID/workbook.xlsx): oha, one client: p50, p99.
# Each figure RUNS times (default 5); every run and the medians go to
# bench/results/assessments-TIMESTAMP.json.
#   bash bench/assessments.sh [RUNS] [SECONDS] [SUPPLIERS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
runs=${1:-5}
seconds=${2:-20}
suppliers=${3:-1500}
command -v oha >/dev/null || cargo install oha --locked -q
python3 -c 'import openpyxl' 2>/dev/null || pip install -q openpyxl 2>/dev/null || pip install -q --break-system-packages openpyxl
[ -f ../shared/analysis/seed-004-requirements.json ] || { echo "assessments bench: ../shared/analysis is missing" >&2; exit 1; }
cargo build --release -q -p mamori -p mamori-bench
bin=./target/release/mamori
work=$(mktemp -d)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p bench/results
out=bench/results/assessments-$(date -u +%Y%m%dT%H%M%SZ).json
export MAMORI_LOG=error

echo "generating $suppliers suppliers…"
./target/release/suppliers --data "$work/data" --suppliers "$suppliers" > "$work/generated.json"
cat "$work/generated.json"
field() { python3 -c "import json; print(json.load(open('$work/generated.json'))['$1'])"; }
password=$(field password)
supplier_assessment=$(field supplier_assessment)

# A 153-item workbook in seed 004's layout (merged ラベル / 目的 / 要求事項, a 回答 drop-down),
# imported and fully answered by the buyer organisation's CISO.
python3 - "$work/kubota.xlsx" "$work/answers.csv" <<'PY'
import csv, json, sys
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
rows = json.load(open("../shared/analysis/seed-004-requirements.json", encoding="utf-8"))
wb = Workbook(); info = wb.active; info.title = "記入要領"; info["A1"] = "回答欄に選択肢から回答してください。"
ws = wb.create_sheet("チェックシート")
ws["A1"] = "お取引先様向け 情報セキュリティ対策基準 チェックシート"
header = ["ラベル", "目的", "要求事項", "No.", "回答対象", "達成条件", "達成基準", "回答", "備考"]
ws.append([]); ws.append(header)
dv = DataValidation(type="list", formula1='"実施済,一部実施,未実施,該当なし"', allow_blank=True); ws.add_data_validation(dv)
start = 4; prev = None; first = start
for i, r in enumerate(rows):
    ws.append([r["label"], r["purpose"] or "", r["requirement"], r["no"], r["answer_target"], r["condition"] or "", r["criteria"] or "", None, None])
for col, width in zip("ABCDEFGHI", [14, 30, 30, 6, 8, 40, 50, 10, 30]):
    ws.column_dimensions[col].width = width
dv.add(f"H{start}:H{start + len(rows) - 1}")
ws.cell(row=start + len(rows) + 1, column=7, value="実施済の数"); ws.cell(row=start + len(rows) + 1, column=8, value=f'=COUNTIF(H{start}:H{start + len(rows) - 1},"実施済")')
wb.save(sys.argv[1])
with open(sys.argv[2], "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f); w.writerow(["No.", "回答", "備考"])
    for i, r in enumerate(rows):
        w.writerow([r["no"], ["実施済", "一部実施", "未実施", "該当なし"][i % 4], "規程第5条に基づき実施"])
PY
as=(--as ciso@bench.example --data "$work/data")
workbook=$($bin checklist import "$work/kubota.xlsx" --period 2026年度 "${as[@]}" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["assessment"]); print(d["rows"], file=sys.stderr)')
$bin checklist answer "$workbook" --from "$work/answers.csv" "${as[@]}" --json

port=18098
$bin serve --data "$work/data" --listen 127.0.0.1:$port >/dev/null 2>&1 &
server=$!
wait_for_login $port
buyer=$(sign_in $port buyer@bench.example "$password" "$work/jar-buyer")
supplier=$(sign_in $port supplier@bench.example "$password" "$work/jar-supplier")
ciso=$(sign_in $port ciso@bench.example "$password" "$work/jar-ciso")
dashboard="http://127.0.0.1:$port/suppliers"
checklist="http://127.0.0.1:$port/assessments/$supplier_assessment"
export_url="http://127.0.0.1:$port/assessments/$workbook/workbook.xlsx"
echo "dashboard lists $(curl -s -H "Cookie: mamori_session=$buyer" "$dashboard" | grep -c 'class="supplier-line"') suppliers"
echo "checklist page lists $(curl -s -H "Cookie: mamori_session=$supplier" "$checklist" | grep -c 'class="item ') items"
curl -s -H "Cookie: mamori_session=$ciso" "$export_url" -o "$work/filled.xlsx"
python3 -c "
from openpyxl import load_workbook
ws = load_workbook('$work/filled.xlsx')['チェックシート']
print('exported workbook: answers in', sum(1 for r in range(4, 157) if ws.cell(row=r, column=8).value), 'rows')"

measure() { # name session url oha-args…
  local name=$1 session=$2 url=$3; shift 3
  oha -n 50 -c 1 --no-tui --output-format quiet -H "Cookie: mamori_session=$session" "$url" >/dev/null
  for i in $(seq 1 "$runs"); do
    oha "$@" --no-tui --output-format json -H "Cookie: mamori_session=$session" "$url" > "$work/oha.json"
    line=$(python3 -c "
import json; d = json.load(open('$work/oha.json')); p = d['latencyPercentiles']; codes = d.get('statusCodeDistribution', {})
print(json.dumps({'bench': '$name', 'p50_ms': round(p['p50'] * 1000, 2), 'p99_ms': round(p['p99'] * 1000, 2),
                  'requests_per_second': round(d['summary']['requestsPerSec']), 'non_200': sum(v for k, v in codes.items() if k != '200')}))")
    echo "$name run $i: $line"; echo "  $line," >> "$out"
  done
}
echo "[" > "$out"
measure dashboard_1500 "$buyer" "$dashboard" -z "${seconds}s" -c 50
measure dashboard_1500_at_1000 "$buyer" "$dashboard" -z "${seconds}s" -c 50 -q 1000 --latency-correction
measure supplier_checklist_153 "$supplier" "$checklist" -n 500 -c 1
measure workbook_export_153 "$ciso" "$export_url" -n 200 -c 1
rss=$(ps -o rss= -p $server | tr -d ' ')
kill $server; wait $server 2>/dev/null || true; server=""
$bin verify --data "$work/data" >/dev/null && echo "verify: intact"
python3 - "$out" "$suppliers" "$rss" <<'PY'
import json, statistics, sys
path, suppliers, rss = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
text = open(path).read().rstrip().rstrip(",") + "\n]"
runs = json.loads(text)
def med(bench, key):
    values = [r[key] for r in runs if r["bench"] == bench]
    return statistics.median(values) if values else None
medians = {}
for b in ["dashboard_1500", "dashboard_1500_at_1000", "supplier_checklist_153", "workbook_export_153"]:
    for k in ["p50_ms", "p99_ms", "requests_per_second"]:
        medians[f"{b}_{k}"] = med(b, k)
medians["server_rss_mb_after"] = round(rss / 1024)
json.dump({"suppliers": suppliers, "runs": runs, "medians": medians}, open(path, "w"), indent=2)
print(json.dumps(medians, indent=2))
PY
echo "results: $out"
