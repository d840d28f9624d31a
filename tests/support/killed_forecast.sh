#!/usr/bin/env bash
# killed_forecast.sh <dir> <compare_fields> <flex command...>: a forecast run
# to completion in <dir>/whole, then the same forecast in <dir>/cut killed
# (SIGKILL, as by a node failure) once its third lead is reported. The cut
# files must stay readable with their complete leads; rerunning the same
# command resumes after the last complete lead (infer.restart = auto) and
# must give the uninterrupted run's members bit for bit.
set -uo pipefail
. "$(dirname "$0")/kill_when.sh"
dir=$1 compare=$2
shift 2
rm -rf "$dir" && mkdir -p "$dir/whole" "$dir/cut"
"$@" run.output_dir="$dir/whole" > "$dir/whole.log" 2>&1 || { cat "$dir/whole.log"; echo "killed_forecast: the uninterrupted run failed"; exit 1; }
"$@" run.output_dir="$dir/cut" > "$dir/cut.log" 2>&1 &
kill_when $! 60 grep -q "PROGRESS infer step=3 " "$dir/cut.log"
if grep -q "infer: wrote" "$dir/cut.log"; then
  echo "killed_forecast: the run finished before it was killed; nothing to test"
  exit 1
fi
grep -q "PROGRESS infer step=3 " "$dir/cut.log" || { cat "$dir/cut.log"; echo "killed_forecast: no third lead"; exit 1; }
echo "killed_forecast: killed after: $(grep PROGRESS "$dir/cut.log" | tail -1)"
for f in "$dir"/cut/*.h5; do  # what the killed run left is readable
  "$compare" "$f" "$f" 0 > /dev/null || { echo "killed_forecast: $(basename "$f") is not readable"; exit 1; }
done
out=$("$@" run.output_dir="$dir/cut" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 0 ] || { echo "killed_forecast: the rerun failed (exit $rc)"; exit 1; }
printf '%s\n' "$out" | grep -Eq "resuming .* at lead ([4-9]|[1-9][0-9]+) of" \
  || { echo "killed_forecast: the rerun did not resume after lead 3"; exit 1; }
for f in "$dir"/whole/*.h5; do
  "$compare" "$f" "$dir/cut/$(basename "$f")" 0 || { echo "killed_forecast: $(basename "$f") differs"; exit 1; }
done
echo "killed_forecast: the resumed run equals the uninterrupted one"
