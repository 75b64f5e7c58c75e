#!/usr/bin/env bash
# OSCAL export checked by an independent implementation: compliance-trestle's OSCAL models
# (PyPI, `Catalog.oscal_read`) must load what `mamori catalog export --format oscal` writes,
# with the same controls: the 800-53 LOW catalog after a round trip through Mamori, and
# built-in catalogs (Kubota's standard, NIST CSF 2.0, ISO/IEC 27001:2022).
#   bash scripts/oscal-trestle.sh            (CI runs it; needs ../shared/testdata)
set -euo pipefail
cd "$(dirname "$0")/.."
testdata=../shared/testdata/oscal
if [ ! -d "$testdata" ]; then
  if [ "${CI:-}" = "true" ]; then echo "oscal-trestle: ../shared/testdata is missing" >&2; exit 1; fi
  echo "SKIP oscal-trestle: ../shared/testdata is missing"; exit 0
fi
python3 -c 'import trestle' 2>/dev/null || pip install -q 'compliance-trestle==5.2.*' 2>/dev/null \
  || pip install -q --break-system-packages 'compliance-trestle==5.2.*'
cargo build --locked -q -p mamori
bin=./target/debug/mamori
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MAMORI_LOG=error
$bin init --data "$work/data" --org-slug trestle --org-name "Trestle 検証" --admin-email ciso@trestle.example \
  --admin-password 'Trestle-Check-2026!' --json >/dev/null
low="$testdata/NIST_SP-800-53_rev5_LOW-baseline-resolved-profile_catalog.json"
name=$($bin catalog import "$low" --as ciso@trestle.example --data "$work/data" --json \
  | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["key"] + "@" + d["edition"])')
$bin catalog export "$name" --as ciso@trestle.example --data "$work/data" --format oscal --out "$work/low.json" >/dev/null
for c in kubota-supplier nist-csf iso27001-2022; do
  $bin catalog export "$c" --format oscal --out "$work/$c.json" >/dev/null
done
python3 - "$low" "$work" <<'PY'
import json, pathlib, sys
from trestle.oscal.catalog import Catalog

def ids(catalog):
    out = []
    def walk(controls):
        for c in controls or []:
            out.append(c.id)
            walk(getattr(c, "controls", None))
    def groups(gs):
        for g in gs or []:
            walk(getattr(g, "controls", None))
            groups(getattr(g, "groups", None))
    walk(getattr(catalog, "controls", None))
    groups(getattr(catalog, "groups", None))
    return out

original = Catalog.oscal_read(pathlib.Path(sys.argv[1]))
work = pathlib.Path(sys.argv[2])
round_trip = Catalog.oscal_read(work / "low.json")
assert ids(round_trip) == ids(original), "the LOW catalog keeps its controls through Mamori"
print(f"oscal-trestle: 800-53 LOW round trip loads in compliance-trestle with the same {len(ids(original))} controls")
expected = {"kubota-supplier": 153, "nist-csf": 106, "iso27001-2022": 93}
for key, count in expected.items():
    c = Catalog.oscal_read(work / f"{key}.json")
    assert len(ids(c)) == count, f"{key}: {len(ids(c))} controls, expected {count}"
    print(f"oscal-trestle: {key} loads with {count} controls")
PY
