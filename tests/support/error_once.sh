#!/usr/bin/env bash
# error_once.sh <exit code> <regex> <command...>: an input error every rank
# raises alike is printed once, untagged, and the job exits with <exit code>
# through a normal MPI finalisation (no MPI_ABORT banner).
code=$1 regex=$2
shift 2
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -eq "$code" ] || { echo "error_once: exit $rc, expected $code"; exit 1; }
n=$(printf '%s\n' "$out" | grep -Ec -- "$regex")
[ "$n" -eq 1 ] || { echo "error_once: the message appears $n times, expected once"; exit 1; }
printf '%s\n' "$out" | grep -q 'MPI_ABORT' && { echo "error_once: the job was aborted"; exit 1; }
printf '%s\n' "$out" | grep -q 'ORTE_ERROR_LOG' && { echo "error_once: Open MPI error noise"; exit 1; }
echo "error_once: one message, exit $rc"
