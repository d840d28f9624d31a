#!/usr/bin/env bash
# Configures and builds flex (Release) into ${FLEX_BUILD_DIR:-build}.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${FLEX_BUILD_DIR:-build}
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build "$build" --parallel "${FLEX_BUILD_JOBS:-$(nproc)}"
