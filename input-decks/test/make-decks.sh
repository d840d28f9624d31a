#!/usr/bin/env bash
# Writes the test-stage decks of the paper's experiment (input-decks/README.md)
# into this folder: for every Re of the NSKT runs, super-resolution and
# forecasting of seed 2 with a trained model (infer), and their analyses.
# One script makes all 40 so they cannot drift apart; edit it, not the decks.
#   input-decks/test/make-decks.sh                 # FLEX-MT-M, the committed set
#   MODEL=flex-sr-m DEST=/tmp/sr-m input-decks/test/make-decks.sh
# MODEL names a paper training deck input-decks/train/<MODEL>.ini; its EMA
# export train-<MODEL>/flex_ema.pt is the checkpoint.
set -euo pipefail

MODEL=${MODEL:-flex-mt-m}
DEST=${DEST:-$(cd "$(dirname "$0")" && pwd)}
SR_SNAPSHOTS=${SR_SNAPSHOTS:-0:end:8}  # every 8th test snapshot
FC_START=${FC_START:-600}               # last known frame of the rollout
FC_LEADS=${FC_LEADS:-30}
HALO=${HALO:-0}                         # 0: independent 256² tiles, as the authors evaluate
MEMBERS=${MEMBERS:-1}                   # Table 1 scores one sample per field

# SPEC §2: the authors train on these Re of one seed; the others are unseen.
SEEN="2000 4000 8000 16000 32000"
ALL="600 1000 2000 4000 8000 12000 16000 24000 32000 36000"

tasks=${MODEL#flex-}
tasks=${tasks%-*}                       # sr | fc | mt
size=${MODEL##*-}
size=${size^^}                          # S | M | L
case $tasks in
  sr) run_tasks="sr" ;;
  fc) run_tasks="fc" ;;
  mt) run_tasks="sr fc" ;;
  *) echo "make-decks.sh: MODEL=$MODEL is not flex-{sr,fc,mt}-{s,m,l}" >&2; exit 2 ;;
esac
checkpoint=train-$MODEL/flex_ema.pt
out=test-$MODEL
label=$(echo "$MODEL" | tr a-z A-Z)
mkdir -p "$DEST"

# key = value, and its comment at a fixed column.
kv() {
  if [ $# -gt 2 ]; then
    local left="$1 = $2"
    printf '%s%*s# %s\n' "$left" $((${#left} < 40 ? 40 - ${#left} : 2)) "" "$3"
  else
    printf '%s\n' "$1 = $2"
  fi
}

kind() { case " $SEEN " in *" $1 "*) echo seen ;; *) echo unseen ;; esac; }

header() {  # <what> <re> <command line>
  echo "# $(kind "$2") Re $2 (training: Re ${SEEN// /, } of seed 1): $1 of seed 2, $label."
  echo "# Written by input-decks/test/make-decks.sh; edit the script, not this file."
  echo "#   $3"
}

# The keys every inference deck shares: the input, the checkpoint and the network it holds.
common_infer() {
  kv infer.input "nskt-data/nskt_re$1_seed2.h5" "input-decks/dns/nskt-re$1-seed2.ini writes it"
  kv infer.channel 2 "vorticity of (u, v, w)"
  kv infer.halo "$HALO" "0: independent 256² tiles, as the authors evaluate"
  kv infer.members "$MEMBERS"
  kv infer.steps 2 "DDIM steps, as in the paper's tables"
  kv infer.batch 32
  kv infer.norm_std 5.4574137
  kv infer.re_scaling ref "Re / 40000, as trained"
  kv infer.checkpoint "$checkpoint"
  echo
  kv model.size "$size"
  kv model.tasks "$tasks"
  kv model.img 256
  echo
  kv run.seed 1
  kv run.output_dir "$out"
  kv run.precision bf16 "the network in bf16, the sampler in fp32 (doc/model.md: accuracy)"
}

for re in $ALL; do
  for task in $run_tasks; do
    stem=${task}_re${re}_seed2
    if [ "$task" = sr ]; then
      what="super-resolution x8"
      {
        header "$what" "$re" "srun -n 4 flex infer input-decks/test/sr-re$re.ini run.device=cuda"
        kv infer.task sr
        kv infer.snapshots "$SR_SNAPSHOTS" "every 8th snapshot of the test run"
        kv infer.factor 8
        kv infer.output "$stem.h5"
        common_infer "$re"
      } >"$DEST/sr-re$re.ini"
      metrics="rfne, pcc, mse, psnr, ssim, linf, spectrum"
      batch=(32 "the authors' SR batches (Table 1)")
    else
      what="forecast of $FC_LEADS leads from snapshot $FC_START"
      {
        header "$what" "$re" "srun -n 4 flex infer input-decks/test/fc-re$re.ini run.device=cuda"
        kv infer.task fc
        kv infer.start "$FC_START" "raw index of the last known frame: $((FC_START - 1)), $FC_START known"
        kv infer.horizon 1 "one raw snapshot per lead, as trained"
        kv infer.rollout "$FC_LEADS"
        kv infer.feedback mean "the ensemble mean is fed back (the authors')"
        kv infer.output "$stem.h5"
        common_infer "$re"
      } >"$DEST/fc-re$re.ini"
      metrics="rfne, pcc, mse, psnr, ssim, linf, spectrum, skill"
      batch=(1 "the authors' forecast RFNE: the mean over tiles")
    fi
    {
      header "analysis of the $what" "$re" "mpirun -n 4 flex analyze input-decks/test/analyze-$task-re$re.ini"
      echo "# Baselines: $out/$stem.baselines.h5, written by flex infer, found by name."
      kv analyze.truth "$out/$stem.truth.h5"
      kv analyze.prediction "$out/$stem.h5"
      kv analyze.normalise none "the authors score the physical fields"
      kv analyze.protocol tiles "rfne_tiles beside the whole-field metrics"
      kv analyze.tile 256
      kv analyze.tile_batch "${batch[0]}" "${batch[1]}"
      kv analyze.metrics "$metrics"
      kv analyze.prefix "analysis_$stem" "not the prediction's stem: infer wrote its .deck.ini"
      echo
      kv run.output_dir "$out"
    } >"$DEST/analyze-$task-re$re.ini"
  done
done
echo "make-decks.sh: wrote the $MODEL test decks into $DEST"
