#!/usr/bin/env bash
# Installs the build tree into a scratch prefix, then configures, builds and
# runs a consumer that uses find_package(flex) and flex::flex.
set -euo pipefail
build=$1 source=$2 scratch=$3
rm -rf "$scratch"
cmake --install "$build" --prefix "$scratch/prefix" >/dev/null
cmake -S "$source/tests/install/consumer" -B "$scratch/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$scratch/prefix" >/dev/null
cmake --build "$scratch/consumer" >/dev/null
LD_LIBRARY_PATH="$scratch/prefix/lib:${LD_LIBRARY_PATH:-}" "$scratch/consumer/consumer"
test -x "$scratch/prefix/bin/flex"
# The installed flex finds the parity fixture it installed (share/flex/fixtures)
# without being told where it is.
LD_LIBRARY_PATH="$scratch/prefix/lib:${LD_LIBRARY_PATH:-}" "$scratch/prefix/bin/flex" validate \
  validate.checks=model.parity run.output_dir="$scratch/validate" run.profile=false run.threads=1 >/dev/null
grep -q "$scratch/prefix/share/flex/fixtures" "$scratch/validate/validation_report.md"
echo "validate: fixture found in the installed tree"
