#!/usr/bin/python3
"""Writes the standard suite: validation/standard.ini and its stage decks in
validation/standard/ (edit this script, not the decks it writes).

The paper's design (SPEC §2-3, Table 1, Table 2) at a scale a 2-core machine
runs in about 75-90 minutes (estimated from the first steps; the first full run measures it): a DNS campaign of its own at 256², two trained
Reynolds numbers and one unseen, two seeds (seed 1's even snapshots train,
seed 2 tests); six networks with the same training loop and budget (FLEX-SR,
FLEX-MT, the residual diffusion U-Net, U-ViT, and the two ablations of
Table 2); K = 8 members; SR ×8 at every Re, forecasts with FLEX-MT, and
FLEX-SR zero-shot on the velocity component u.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINED = [1000, 2000]
UNSEEN = [1500]
TESTED = TRAINED + UNSEEN
HEADER = "# Written by validation/standard/make_decks.py; edit the script, not this file.\n"

# The same training budget for every network (steps x global batch, patch size).
STEPS = 1000
BATCH_PER_RANK = 4  # 2 ranks: a global batch of 8; validate.stage_overrides=train.batch=8 at 1 rank
MEMBERS = 8
SNAPSHOTS = "41:121:40"  # two held-out (odd) test snapshots of seed 2 (41, 81), past the smooth start

MODELS = {
    # name: (what, deck lines)
    "flex_sr": ("FLEX-SR", ["model.backbone = flex", "model.tasks = sr"]),
    "flex_mt": ("FLEX-MT (SR + FC)", ["model.backbone = flex", "model.tasks = mt", "train.infonce_weight = 0.1"]),
    "unet": ("diffusion U-Net (residual)", ["model.backbone = unet", "model.tasks = sr", "unet.variant = residual"]),
    "uvit": ("U-ViT (patch 8)", ["model.backbone = uvit", "model.tasks = sr", "uvit.patch = 8"]),
    "flex_noweak": ("FLEX-SR without weak conditioning (Table 2)",
                    ["model.backbone = flex", "model.tasks = sr", "model.weak_levels = 0"]),
    "flex_concat": ("FLEX-SR, concatenation instead of a task encoder (Table 2)",
                    ["model.backbone = flex", "model.tasks = sr", "model.conditioning = concat"]),
}


def write(name, lines):
    with open(os.path.join(HERE, name), "w") as f:
        f.write(HEADER + "\n".join(lines) + "\n")
    return f"standard/{name}"


def dns(re, seed):
    return write(f"dns_re{re}_s{seed}.ini", [
        f"# Decaying Kraichnan turbulence, Re {re}, seed {seed}, 256², 121 snapshots to t = 2.4.",
        "# k0 = 4: the aligned bicubic's x8 RFNE on vorticity grows from ~0.05 to ~0.5 as the",
        "# cascade fills the small scales (a hard problem past snapshot 40).",
        "grid.n = 256", f"dns.re = {re}", "dns.init = kraichnan", "dns.k0 = 4", "dns.dt_mode = fixed",
        "dns.dt = 2e-3", "dns.t_end = 2.4", "dns.snapshot_interval = 0.02", "dns.checkpoint_interval = 1000",
        "dns.progress_interval = 200", f"dns.output = nskt_re{re}_s{seed}.h5", f"run.seed = {seed}",
        "run.output_dir = dns"])


def train(model):
    what, lines = MODELS[model]
    files = ", ".join(f"dns/nskt_re{re}_s1.h5" for re in TRAINED)
    return write(f"train_{model}.ini", [
        f"# {what}: the same loop and budget as every network of the suite.",
        "model.size = tiny", "model.img = 64", *lines,
        f"data.files = {files}", "data.train_snapshots = 20:end:2", "data.valid_snapshots = 21:end:2",
        "data.factor = 8", "data.patches_per_snapshot = 8", "data.norm = fixed", "data.norm_std = 5.35",
        f"train.batch = {BATCH_PER_RANK}", f"train.steps = {STEPS}", "train.checkpoint_every = 100",
        "train.validate_every = 200", "train.validation_batches = 2", "train.log_every = 25",
        "train.ema_decay = 0.995", "train.restart = auto", "optim.name = lion", "optim.lr = 2e-4",
        "optim.lr_min = 1e-5", "optim.warmup = 0.05", "run.seed = 1", f"run.output_dir = train_{model}",
        "run.threads = 1"])


def infer_sr(model, re, channel="w", tag=""):
    lines = [
        f"# {MODELS[model][0]} super-resolves x8 Re {re} seed 2 "
        f"({'seen' if re in TRAINED else 'unseen'} Re){' zero-shot on u' if channel == 'u' else ''}.",
        "infer.task = sr", f"infer.input = dns/nskt_re{re}_s2.h5", f"infer.snapshots = {SNAPSHOTS}",
        f"infer.members = {MEMBERS}", "infer.halo = 8", "infer.batch = 16",
        f"infer.checkpoint = train_{model}/flex_ema.pt", f"infer.output = sr_{model}_re{re}{tag}.h5",
        "run.seed = 2", "run.output_dir = infer", "run.threads = 1"]
    if channel == "u":
        # Zero-shot: the vorticity-trained network on u, normalised by u's std (0.68 in these runs).
        lines += ["infer.channel = u", "infer.norm_std = 0.68"]
    return write(f"infer_sr_{model}_re{re}{tag}.ini", lines)


def analyze(prefix, fields, metrics):
    return write(f"analyze_{prefix}.ini", [
        f"analyze.truth = infer/{fields}.truth.h5", f"analyze.prediction = infer/{fields}.h5",
        f"analyze.ensemble = infer/{fields}.members.h5", "analyze.normalise = sample",
        f"analyze.metrics = {metrics}", f"analyze.prefix = {prefix}", "run.output_dir = analysis"])


def infer_fc(re):
    return write(f"infer_fc_flex_mt_re{re}.ini", [
        f"# FLEX-MT forecasts Re {re} seed 2 ({'seen' if re in TRAINED else 'unseen'} Re), 20 leads from snapshot 61.",
        "infer.task = fc", f"infer.input = dns/nskt_re{re}_s2.h5", "infer.start = 61", "infer.rollout = 20",
        f"infer.members = {MEMBERS}", "infer.halo = 8", "infer.batch = 16",
        "infer.checkpoint = train_flex_mt/flex_ema.pt", f"infer.output = fc_flex_mt_re{re}.h5", "run.seed = 2",
        "run.output_dir = infer", "run.threads = 1"])


def main():
    stages, sr, fc, ens = [], [], [], []
    for re in TRAINED:
        stages += [f"dns:{dns(re, 1)}", f"dns:{dns(re, 2)}"]
    for re in UNSEEN:
        stages.append(f"dns:{dns(re, 2)}")
    # Each network's evaluation right after its training: a suite stopped
    # early has complete results for the networks it reached.
    for model in MODELS:
        stages.append(f"train:{train(model)}")
        for re in TESTED:
            name = f"sr_{model}_re{re}"
            stages += [f"infer:{infer_sr(model, re)}",
                       f"analyze:{analyze(name, name, 'rfne, pcc, mse, psnr, ssim, spectrum, ensemble')}"]
            if model == "flex_sr":
                sr.append(f"analysis/{name}_metrics.json")
                ens.append(f"analysis/{name}_metrics.json")
        if model == "flex_sr":
            zs = "sr_flex_sr_re1000_u"
            stages += [f"infer:{infer_sr('flex_sr', 1000, 'u', '_u')}",
                       f"analyze:{analyze(zs, zs, 'rfne, pcc, spectrum')}"]
        if model == "flex_mt":
            for re in TESTED:
                name = f"fc_flex_mt_re{re}"
                stages += [f"infer:{infer_fc(re)}",
                           f"analyze:{analyze(name, name, 'rfne, pcc, spectrum, ensemble, skill')}"]
                fc.append(f"analysis/{name}_metrics.json")
    group = lambda m: "+".join(f"analysis/sr_{m}_re{re}_metrics.json" for re in TESTED)  # noqa: E731
    others = ", ".join(f"{m}:{group(m)}" for m in MODELS if m != "flex_sr")
    with open(os.path.join(HERE, "..", "standard.ini"), "w") as f:
        f.write(HEADER + f"""# The standard suite: the paper's experiment at reduced scale (about 90 min
# on 2 cores at 2 ranks; see validation/standard/make_decks.py for the design):
#   mpirun -n 2 flex validate validation/standard.ini
# At 1 rank keep the global batch: validate.stage_overrides=train.batch={2 * BATCH_PER_RANK}.
# Stages run in run.output_dir; a killed suite rerun continues where it stopped.
validate.checks = dns, decomp, model, suite
validate.grid = 128
validate.report = validation_report
validate.stages = {", ".join(stages)}
# Claims (issue 16): SR at every trained Re (the unseen Re and the zero-shot u
# reported beside them with the same ratio); FC skilful leads twice persistence's;
# K = {MEMBERS} calibration.
validate.sr_metrics = {", ".join(sr)}
validate.sr_ratio = 0.7
validate.zero_shot_metrics = analysis/{zs}_metrics.json   # beats the aligned bicubic (ratio 1)
validate.fc_metrics = {", ".join(fc)}
validate.fc_horizon_ratio = 2.0
validate.ensemble_metrics = {", ".join(ens)}
# FLEX-SR against the same-budget networks, over the same fields (Table 1:
# U-Net, U-ViT; Table 2: the ablations), and against FLEX-MT.
validate.sr_reference = {group("flex_sr").replace("+", ", ")}
validate.sr_competitors = {others}
run.output_dir = validation-standard
run.overwrite = true
""")


if __name__ == "__main__":
    main()
