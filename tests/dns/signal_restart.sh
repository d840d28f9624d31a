#!/usr/bin/env bash
# signal_restart.sh <work dir> <compare_fields> <deck> <launcher...>: a DNS
# run sent SIGUSR1 (as Slurm's --signal does) checkpoints at the next step on
# every rank and exits 3; continued with dns.restart=latest it gives the same
# field file, bit for bit, as a run that was never interrupted.
# ONE_RANK=1: the signal goes to one rank only (a user's `kill`, a node
# agent), which must stop every rank alike; the comparison is then skipped.
set -uo pipefail
work=$1 compare=$2 deck=$3
shift 3
launch=("$@")
# Long enough (thousands of steps) for the signal to land mid-run.
run_keys=(grid.n=64 dns.dt=0.0005 dns.t_end=10 dns.snapshot_interval=1 dns.checkpoint_interval=0
          dns.progress_interval=100 run.overwrite=true run.profile=false)
rm -rf "$work" && mkdir -p "$work"

if [ "${ONE_RANK:-0}" != 1 ]; then
  "${launch[@]}" dns "$deck" "${run_keys[@]}" run.output_dir="$work/whole" > "$work/whole.log" 2>&1 \
    || { cat "$work/whole.log"; echo "signal_restart: the uninterrupted run failed"; exit 1; }
fi

"${launch[@]}" dns "$deck" "${run_keys[@]}" run.output_dir="$work/split" > "$work/first.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do  # the time loop has started once a PROGRESS line is out
  grep -q '^PROGRESS dns step=' "$work/first.log" 2>/dev/null && break
  sleep 0.05
done
target=$pid
if [ "${ONE_RANK:-0}" = 1 ]; then
  # The launcher's last child process: one rank of the job.
  target=$(pgrep -P "$pid" | tail -1)
  [ -n "$target" ] || { echo "signal_restart: no rank process under $pid"; kill "$pid"; exit 1; }
fi
kill -USR1 "$target"
wait "$pid"
rc=$?
cat "$work/first.log"
[ "$rc" -eq 3 ] || { echo "signal_restart: interrupted run exited $rc, expected 3"; exit 1; }
grep -q 'stopped after .* (signal' "$work/first.log" || { echo "signal_restart: no stop message"; exit 1; }

"${launch[@]}" dns "$deck" "${run_keys[@]}" run.output_dir="$work/split" dns.restart=latest > "$work/rest.log" 2>&1 \
  || { cat "$work/rest.log"; echo "signal_restart: the restart failed"; exit 1; }
if [ "${ONE_RANK:-0}" = 1 ]; then
  echo "signal_restart: one rank signalled, every rank stopped, restarted"
  exit 0
fi
"$compare" "$work/whole/nskt_ci.h5" "$work/split/nskt_ci.h5" 0 || { echo "signal_restart: fields differ"; exit 1; }
echo "signal_restart: stopped by signal, restarted bit for bit"
