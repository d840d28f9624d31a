#!/usr/bin/env bash
# README command 1: install dependencies, build, and run the demo pipeline
# (DNS -> train -> infer -> analyze) on its small embedded defaults, on
# ${FLEX_DEMO_RANKS:-2} MPI ranks. Outputs land in demo-output/ (set by the decks).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build=${FLEX_BUILD_DIR:-build}
ranks=${FLEX_DEMO_RANKS:-2}
mpi=(mpirun -n "$ranks")
[ "$(id -u)" -ne 0 ] || mpi+=(--allow-run-as-root)
mpi+=(--oversubscribe)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

run() {
  echo "demo: $*"
  "${mpi[@]}" "$build/bin/flex" "$@"
}
run info
# The decks write under demo-output/; a rerun replaces the previous demo.
common=(run.overwrite=true run.profile=false)
run dns input-decks/dns/demo.ini "${common[@]}"
run train input-decks/train/demo.ini train.restart=none "${common[@]}"  # always a fresh model
run infer input-decks/infer/demo.ini "${common[@]}"
run analyze input-decks/analyze/demo.ini "${common[@]}"
run infer input-decks/infer/demo-fc.ini "${common[@]}"
run analyze input-decks/analyze/demo-fc.ini "${common[@]}"
# The evidence: FLEX against the aligned bicubic (SR) and persistence (FC), and
# the figures, from the files the analysis wrote (Debian's python3, not a venv's).
/usr/bin/python3 validation/plot_results.py demo demo-output --lowres-nyquist 16
echo "demo: done; fields, metrics (demo-output/demo_analysis_metrics.csv) and spectra in demo-output/"
