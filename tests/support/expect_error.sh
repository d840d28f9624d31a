#!/usr/bin/env bash
# expect_error.sh <regex> <command...>: passes only if the command exits
# non-zero AND its output matches <regex> (the documented one-line message).
regex=$1
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ]; then
  echo "expect_error: command succeeded, expected a failure" >&2
  exit 1
fi
if ! printf '%s\n' "$out" | grep -Eq -- "$regex"; then
  echo "expect_error: exit code $rc but no line matches: $regex" >&2
  exit 1
fi
echo "expect_error: failed as expected (exit $rc)"
