#!/bin/sh
# Runs one fuzz target on the stable toolchain: ./run.sh TARGET [SECONDS] (default 600).
# New inputs go to corpus/TARGET/ (not committed); seeds/TARGET/ holds the committed seeds.
# Small public inputs from ../shared/testdata are copied into the corpus, not into the repository.
# Run one target at a time (the machine has 2 cores).
set -eu
cd "$(dirname "$0")"
target=$1
seconds=${2:-600}
mkdir -p "corpus/$target" artifacts
testdata=../../shared/testdata
seed_from_testdata() {
  if [ -f "$testdata/$1" ] && [ ! -f "corpus/$target/$(basename "$1")" ]; then cp "$testdata/$1" "corpus/$target/"; fi
}
case $target in
  oscal_catalog) seed_from_testdata oscal/basic-catalog.json ;;
  oscal_profile) seed_from_testdata oscal/NIST_SP-800-53_rev5_LOW-baseline_profile.json ;;
  checklist_xlsx) seed_from_testdata checklists/supplier-checklist-sample.xlsx ;;
esac
exec cargo fuzz run -s none "$target" "corpus/$target" "seeds/$target" -- \
  -max_total_time="$seconds" -timeout=25 -print_final_stats=1
