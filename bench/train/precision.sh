#!/usr/bin/env bash
# Accuracy of reduced precision in training: the demo's SR training (FLEX-tiny,
# 200 steps) from the same seed with run.precision = fp32 and = bf16, each
# model inferring the 10 held-out snapshots in its own precision and scored by
# flex analyze. Prints both loss curves' largest relative gap and the two
# held-out RFNEs; the criterion is |RFNE(bf16) / RFNE(fp32) - 1| <= 2 %.
#   bench/train/precision.sh [build dir] [work dir]       (about 5 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build}
work=${2:-/tmp/flex-precision}
flex=$build/bin/flex
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736
mkdir -p "$work"
common=(run.overwrite=true run.profile=false run.threads="$OMP_NUM_THREADS" run.memory_format=nchw)
echo "precision: CPU $(grep -o -w 'avx2\|avx512f\|avx512_bf16\|amx_bf16' /proc/cpuinfo | sort -u | tr '\n' ' ')"
[ -f "$work/nskt_demo.h5" ] || "$flex" dns input-decks/dns/demo.ini run.output_dir="$work" "${common[@]}" >"$work/dns.log"
for p in fp32 bf16; do
  start=$(date +%s)
  "$flex" train input-decks/train/demo.ini model.tasks=sr train.infonce_weight=0 train.restart=none \
    data.files="$work/nskt_demo.h5" run.output_dir="$work/train-$p" run.precision=$p "${common[@]}" >"$work/train-$p.log"
  "$flex" infer input-decks/infer/demo.ini model.tasks=sr infer.input="$work/nskt_demo.h5" \
    infer.checkpoint="$work/train-$p/flex_ema.pt" infer.output="infer_$p.h5" run.output_dir="$work" \
    run.precision=$p "${common[@]}" >"$work/infer-$p.log"
  "$flex" analyze input-decks/analyze/demo.ini analyze.truth="$work/infer_$p.truth.h5" \
    analyze.prediction="$work/infer_$p.h5" analyze.ensemble="$work/infer_$p.members.h5" \
    analyze.prefix="analysis_$p" run.output_dir="$work" "${common[@]}" >"$work/analyze-$p.log"
  echo "precision: $p train + infer + analyze in $(( $(date +%s) - start )) s"
done
python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
def losses(p):
    rows = [json.loads(l) for l in open(f"{work}/train-{p}/metrics.jsonl")]
    return {r["step"]: r["loss_sr"] for r in rows if "loss_sr" in r}
def rfne(p):
    s = json.load(open(f"{work}/analysis_{p}_metrics.json"))
    return s["channels"]["w"]["rfne"], s["baselines"]["sources"]["bicubic_aligned"]["w"]["rfne"]
a, b = losses("fp32"), losses("bf16")
steps = sorted(set(a) & set(b))
gap = max(abs(b[s] - a[s]) / abs(a[s]) for s in steps)
late = [s for s in steps if s >= steps[len(steps) // 2]]
late_gap = abs(sum(b[s] for s in late) / sum(a[s] for s in late) - 1)
print(f"precision: loss_sr at {len(steps)} logged steps: largest relative gap {gap:.3%}, "
      f"second-half mean gap {late_gap:.3%}")
for s in steps[:: max(1, len(steps) // 5)] + [steps[-1]]:
    print(f"  step {s:4d}  fp32 {a[s]:.5f}  bf16 {b[s]:.5f}")
(r32, bicubic), (r16, _) = rfne("fp32"), rfne("bf16")
ratio = r16 / r32
print(f"precision: held-out RFNE fp32 {r32:.4f}, bf16 {r16:.4f} (aligned bicubic {bicubic:.4f}), ratio {ratio:.4f} "
      f"({'within' if abs(ratio - 1) <= 0.02 else 'OUTSIDE'} 2 %)")
sys.exit(0 if abs(ratio - 1) <= 0.02 else 1)
PY
