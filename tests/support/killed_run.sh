#!/usr/bin/env bash
# killed_run.sh <dir> <command...>: a run killed (SIGKILL, as by a node
# failure or the OOM killer) while writing into <dir> leaves a temporary
# file; the next run of the same command in that folder removes it (saying
# so), finishes, and leaves no temporary behind.
set -uo pipefail
. "$(dirname "$0")/kill_when.sh"
dir=$1
shift
rm -rf "$dir" && mkdir -p "$dir"
"$@" run.output_dir="$dir" run.overwrite=true > "$dir.killed.log" 2>&1 &
has_temporary() { find "$dir" -name '.*.tmp*' 2>/dev/null | grep -q .; }
if ! kill_when $! 30 has_temporary; then
  cat "$dir.killed.log"
  echo "killed_run: the run ended before it wrote a temporary file; nothing to test"
  exit 1
fi
left=$(find "$dir" -name '.*.tmp*' | head -1)
[ -n "$left" ] || { echo "killed_run: the killed run left nothing (unexpected)"; exit 1; }
echo "killed_run: the killed run left $left"
out=$("$@" run.output_dir="$dir" run.overwrite=true 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq 0 ] || { echo "killed_run: the rerun failed (exit $rc)"; exit 1; }
printf '%s\n' "$out" | grep -q "removed, a temporary file of an earlier run" \
  || { echo "killed_run: the rerun did not report the stale file"; exit 1; }
if find "$dir" -name '.*.tmp*' | grep -q .; then
  echo "killed_run: temporaries left after the rerun:"
  find "$dir" -name '.*.tmp*'
  exit 1
fi
echo "killed_run: stale temporaries removed by the rerun"
