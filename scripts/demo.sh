#!/usr/bin/env bash
# README command 1: install dependencies, build, and run the demo pipeline
# (DNS -> train -> infer -> analyze) on its small embedded defaults, on
# ${FLEX_DEMO_RANKS:-2} MPI ranks. Outputs land in ${FLEX_DEMO_DIR:-demo-output}.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build=${FLEX_BUILD_DIR:-build}
ranks=${FLEX_DEMO_RANKS:-2}
out=${FLEX_DEMO_DIR:-demo-output}
mpi=(mpirun -n "$ranks")
[ "$(id -u)" -ne 0 ] || mpi+=(--allow-run-as-root)
mpi+=(--oversubscribe)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}

run() {
  echo "demo: $*"
  "${mpi[@]}" "$build/bin/flex" "$@"
}
run info
echo "demo: done; outputs in $out/"
