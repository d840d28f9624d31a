#!/usr/bin/env bash
# README command 2: install dependencies, build, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
build=${FLEX_BUILD_DIR:-build}
# Tests set their own thread counts; ctest schedules MPI tests by PROCESSORS.
ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" --timeout 900
