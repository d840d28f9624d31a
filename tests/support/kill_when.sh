# Sourced by the kill tests. kill_when <pid> <seconds> <command...>: polls
# <command> every 10 ms until it succeeds (return 0), the process <pid> ends
# or <seconds> pass (return 1), then kills <pid> and its children with
# SIGKILL, as a node failure or the OOM killer would, and reaps it.
kill_when() {
  local pid=$1 polls=$(($2 * 100)) hit=1
  shift 2
  for _ in $(seq 1 "$polls"); do
    if "$@"; then hit=0; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.01
  done
  pkill -KILL -P "$pid" 2>/dev/null
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  return $hit
}
