#!/usr/bin/env bash
# The default halo, from measurement (issue 17): a trained checkpoint's
# super-resolution of the same fields at halos 0, P/32, P/16, P/8 and P/4,
# with both fusions (once; every_step, multi-diffusion),
# each with its patch count over the non-overlapping tiling's and the seam
# metric of `flex infer` (mean |jump| across core borders over the rest;
# 1.0 = no seam; <= 1.05 counts as no visible seam) beside the aligned
# bicubic's RFNE and FLEX's. Run in a folder where the deck's relative paths
# resolve (the standard suite's, after its FLEX-SR stage):
#   cd validation-standard && bash ../bench/infer/halo_seams.sh \
#       ../validation/standard/infer_sr_flex_sr_re1000.ini [ranks=2] [patch=64]
set -euo pipefail
deck=${1:?usage: halo_seams.sh <infer deck> [ranks] [patch]}
ranks=${2:-2}
patch=${3:-64}
here=$(cd "$(dirname "$0")/../.." && pwd)
flex=${FLEX:-$here/build/bin/flex}
[ -x "$flex" ] || { echo "halo_seams: no $flex (build first, or set FLEX)"; exit 2; }
out=$(mktemp -d /tmp/flex-halo-seams.XXXXXX)
trap 'rm -rf "$out"' EXIT
export MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736
echo "halo_seams: CPU $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs);" \
     "features $(grep -m1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx2|avx512f|avx512_bf16' | sort -u | xargs)"
echo "halo_seams: $deck, $ranks rank(s), patch $patch"
plain=""
for fusion in once every_step; do
for halo in 0 $((patch / 32)) $((patch / 16)) $((patch / 8)) $((patch / 4)); do
  log="$out/$fusion-halo$halo.log"
  mpirun -n "$ranks" --allow-run-as-root --oversubscribe "$flex" infer "$deck" infer.halo="$halo" \
    infer.fusion="$fusion" run.output_dir="$out/$fusion-halo$halo" run.profile=false >"$log" 2>&1 ||
    { tail -5 "$log"; exit 1; }
  patches=$(grep -o '[0-9]* patches of' "$log" | head -1 | cut -d' ' -f1)
  plain=${plain:-$patches}
  means=$(grep 'infer: mean over' "$log" | head -1)
  seam=$(echo "$means" | grep -o 'seam=[0-9.e+-]*' | cut -d= -f2)
  rfne=$(echo "$means" | grep -o ' rfne=[0-9.e+-]*' | cut -d= -f2)
  bicubic=$(echo "$means" | grep -o 'rfne_bicubic_aligned=[0-9.e+-]*' | cut -d= -f2)
  seconds=$(grep -o 's_per_field=[0-9.e+-]*' "$log" | cut -d= -f2 | awk '{s += $1} END {print s}')
  printf 'halo_seams: %-10s halo %3d: %4d patches (%.2fx), seam %.4f, RFNE FLEX %s, aligned bicubic %s, %.1f s of sampling\n' \
    "$fusion" "$halo" "$patches" "$(awk -v a="$patches" -v b="$plain" 'BEGIN {print a / b}')" "$seam" "$rfne" "$bicubic" "$seconds"
done
done
