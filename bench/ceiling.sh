#!/usr/bin/env bash
# The ceiling of journaled appends that Mamori's SQLite schema allows on this machine, with no
# Rust in the way (bench/ceiling.py): each variant RUNS times on a fresh copy of the generated
# organisation, groups of 25 and 100, durable commits (WAL, synchronous=FULL).
#   bash bench/ceiling.sh [RUNS] [SECONDS]     (defaults: 5 runs of 10 s)
# Writes every run and the medians to bench/results/. Not a test and not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
seconds=${2:-10}
data=bench/data/large
[ -f "$data/mamori.db" ] || { echo "$data is missing: run bench/run.sh first (it generates it)" >&2; exit 1; }
mkdir -p bench/results
out=bench/results/$(date -u +%Y%m%dT%H%M%SZ)-ceiling.json
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
lines=()
for i in $(seq 1 "$runs"); do
  # Variants alternate within each round, so a slow minute of the machine touches them all.
  for variant in schema random_ids no_unused_slots no_savepoints no_slots journal_only; do
    for group in 25 100; do
      rm -rf "$work/db" && cp -r "$data" "$work/db"
      line=$(python3 bench/ceiling.py "$work/db/mamori.db" "$group" "$seconds" "$variant")
      echo "run $i: $line"
      lines+=("$line")
    done
  done
done
printf '%s\n' "${lines[@]}" | python3 -c '
import json, statistics, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
out = {"runs": runs, "medians": []}
for key in sorted({(r["variant"], r["group"]) for r in runs}, key=lambda k: (k[1], k[0])):
    rs = [r for r in runs if (r["variant"], r["group"]) == key]
    m = {f: statistics.median(r[f] for r in rs) for f in ("appends_per_second", "commands_ms_per_group", "commit_ms_per_group")}
    out["medians"].append({"variant": key[0], "group": key[1], "runs": len(rs), **m})
    print("median of %d: %-16s group %3d  %6.0f appends/s  commands %6.2f ms  commit %6.2f ms per group" % (len(rs), key[0], key[1], m["appends_per_second"], m["commands_ms_per_group"], m["commit_ms_per_group"]))
json.dump(out, open(sys.argv[1], "w"), indent=1)
' "$out"
echo "written to $out"
