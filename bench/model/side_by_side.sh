#!/usr/bin/env bash
# flex against the authors' PyTorch code on this machine, in one sitting:
# ROUNDS alternating rounds of the authors' harness (../shared/peer-bench,
# copied outside the checkout with their minFLEX cloned beside it; see its
# README) and bench_model (fp32 and bf16, NCHW and NHWC), FLEX-S SR, one
# 256² patch, 2 threads. Each round prints flex / authors' fp32 per
# configuration, from the same round's authors' times.
#   PEER_BENCH=/tmp/peer-bench bench/model/side_by_side.sh [build dir] [rounds]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
rounds=${2:-2}
peer=${PEER_BENCH:-/tmp/peer-bench}
[ -x "$build/bench/model/bench_model" ] || { echo "side_by_side: build bench_model first ($build)"; exit 2; }
[ -f "$peer/run.sh" ] && [ -d "$peer/minFLEX" ] || {
  echo "side_by_side: PEER_BENCH=$peer needs run.sh and the authors' minFLEX beside it (peer-bench README)"; exit 2; }
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736 OMP_NUM_THREADS=2
median() { python3 -c 'import json,sys; print(json.loads(sys.argv[1][7:])["median_s"])' "$1"; }
rss() { python3 -c 'import json,sys; print(json.loads(sys.argv[1][7:])["peak_rss_MiB"])' "$1"; }
for r in $(seq 1 "$rounds"); do
  out=$(bash "$peer/run.sh" 2)
  train=$(echo "$out" | grep '"mode": "train"')
  sample=$(echo "$out" | grep '"mode": "sample"')
  t=$(median "$train") s=$(median "$sample")
  echo "round $r: authors' fp32: training step ${t} s (peak RSS $(rss "$train") MiB), 2-step sampling ${s} s"
  "$build/bench/model/bench_model" size=S tasks=sr img=256 batch=1 reps=4 threads=2 \
    reference_train="$t" reference_sample="$s" | sed "s/^/round $r: /"
done
