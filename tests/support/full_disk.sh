#!/usr/bin/env bash
# full_disk.sh <size> <regex> <command...>: a run whose output folder fills up.
# Mounts a tmpfs of <size> (e.g. 16m), replaces @DIR@ in the command by it,
# runs the command once with room (the "previous output"), fills the file
# system, runs it again with run.overwrite=true, and passes only if that run
# fails quickly with a message matching <regex>, every earlier file is
# unchanged and no temporary file or directory is left behind. SECOND_ARGS
# (environment, space-separated key=value) are added to the second run only.
# LEAVE_FREE_KB leaves that much room (so small files still fit and the
# failure comes at a big write); ALLOW_CHANGED is an extended regex of files
# the second run may legitimately rewrite before it fails (a resumed run's log).
# Exit 77 (CTest: skipped) where mounting a tmpfs is not allowed.
set -uo pipefail
size=$1 regex=$2
shift 2
dir=$(mktemp -d /tmp/flex-full-disk.XXXXXX)
if ! mount -t tmpfs -o "size=$size" tmpfs "$dir" 2>/dev/null; then
  rmdir "$dir"
  echo "full_disk: SKIP: cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)"
  exit 77
fi
cleanup() { umount "$dir" 2>/dev/null; rmdir "$dir" 2>/dev/null; }
trap cleanup EXIT
cmd=()
for a in "$@"; do cmd+=("${a//@DIR@/$dir}"); done

"${cmd[@]}" run.overwrite=true > "$dir/../$(basename "$dir").first.log" 2>&1
rc=$?
first_log="$dir/../$(basename "$dir").first.log"
if [ "$rc" -ne 0 ]; then
  cat "$first_log"
  echo "full_disk: the run with room failed (exit $rc)"
  rm -f "$first_log"
  exit 1
fi
rm -f "$first_log"
allow=${ALLOW_CHANGED:-^$}
listing() { (cd "$dir" && find . -type f -print0 | sort -z | xargs -0 md5sum | grep -Ev -- "$allow"); }
before=$(listing)

# Fill it: the last few bytes go too, so the next write of any size fails.
dd if=/dev/zero of="$dir/filler" bs=64k 2>/dev/null
dd if=/dev/zero of="$dir/filler2" bs=1 2>/dev/null
if [ -n "${LEAVE_FREE_KB:-}" ]; then
  rm -f "$dir/filler2"
  truncate -s "-${LEAVE_FREE_KB}K" "$dir/filler"
fi

start=$(date +%s)
read -r -a second <<< "${SECOND_ARGS:-}"
out=$("${cmd[@]}" run.overwrite=true "${second[@]}" 2>&1)
rc=$?
took=$(( $(date +%s) - start ))
printf '%s\n' "$out"
status=0
if [ "$rc" -eq 0 ]; then
  echo "full_disk: the run on a full disk exited 0"
  status=1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
  echo "full_disk: no line matches: $regex"
  status=1
fi
if printf '%s\n' "$out" | grep -Eq 'terminate called|Exception raised from|std::|\[[a-z_]+\.cpp:[0-9]+\]'; then
  echo "full_disk: the message is a library's text or a backtrace, not ours"
  status=1
fi
rm -f "$dir/filler" "$dir/filler2"
after=$(listing)
if [ "$before" != "$after" ]; then
  echo "full_disk: the earlier output changed, or files were left behind:"
  diff <(printf '%s\n' "$before") <(printf '%s\n' "$after")
  status=1
fi
if (cd "$dir" && find . -name '*.tmp*' | grep -q .); then
  echo "full_disk: temporary files left:"
  (cd "$dir" && find . -name '*.tmp*')
  status=1
fi
[ "$status" -eq 0 ] && echo "full_disk: failed cleanly in ${took} s (exit $rc), earlier output intact"
exit "$status"
