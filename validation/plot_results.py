#!/usr/bin/python3
"""Figures and summary lines from the files flex writes (HDF5 fields, the
analysis CSV/JSON, the training metrics.jsonl, the validation report JSON).

    plot_results.py demo <output dir>         the demo's evidence (README command 1)
    plot_results.py report <report.json>      the figures a validation report links

Needs python3-matplotlib and python3-h5py (Debian packages; scripts/install-deps.sh).
Every figure is written to a temporary name and renamed, so a failed run leaves
no half-written PNG behind.
"""
import argparse
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")  # no display on a batch node
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

# The labels the figures use for flex's source names.
LABELS = {
    "truth": "truth (DNS)",
    "prediction": "FLEX (ensemble mean)",
    "members": "FLEX members (mean of their spectra)",
    "bicubic_aligned": "bicubic (aligned)",
    "conditioning": "conditioning field",
    "bicubic_align_corners": "bicubic (align_corners)",
    "persistence": "persistence",
}


def fail(message):
    print(f"plot_results: {message}", file=sys.stderr)
    sys.exit(2)


def read_csv(path):
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror})")


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        fail(f"{path}: cannot read ({e.strerror})")
    except json.JSONDecodeError as e:
        fail(f"{path}: not JSON ({e})")


def save(fig, path):
    tmp = path + ".tmp.png"
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)
    return path


def finish(fig, ax, out, xlabel, ylabel, title, log_grid=False, legend_outside=False):
    """Axes labels, title, grid and legend (beside the axes when many curves
    would cover the data), then the PNG."""
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both" if log_grid else "major", alpha=0.3)
    if legend_outside:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    else:
        ax.legend()
    return save(fig, out)


def mean_spectra(rows, kind="vorticity"):
    """{field: (k list, mean E(k) over samples)} of the spectra table."""
    sums = {}
    for r in rows:
        if r["kind"] != kind:
            continue
        per_k = sums.setdefault(r["field"], {})
        total, n = per_k.get(int(r["k"]), (0.0, 0))
        per_k[int(r["k"])] = (total + float(r["energy"]), n + 1)
    return {f: ([k for k in sorted(v)], [v[k][0] / v[k][1] for k in sorted(v)]) for f, v in sums.items()}


def spectrum_figure(spectra_csv, out, title, lowres_nyquist=None):
    spectra = mean_spectra(read_csv(spectra_csv))
    if "truth" not in spectra:
        fail(f"{spectra_csv}: no truth vorticity spectrum")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    styles = {"truth": ("k", "-"), "members": ("tab:orange", "-"), "prediction": ("tab:red", "-"),
              "bicubic_aligned": ("tab:blue", "--"), "persistence": ("tab:blue", "--")}
    for field, (color, line) in styles.items():
        if field in spectra:
            k, e = spectra[field]
            ax.loglog(k, e, color=color, linestyle=line, label=LABELS[field])
    if lowres_nyquist:
        ax.axvline(lowres_nyquist, color="grey", linestyle=":", label=f"low-res Nyquist (k = {lowres_nyquist})")
    half = max(spectra["truth"][0]) // 2  # suite.sr_spectrum judges k = 1 ... half the Nyquist
    ax.axvline(half, color="grey", linestyle="-.", linewidth=0.8, label=f"half the Nyquist (k = {half})")
    return finish(fig, ax, out, "wavenumber k", "vorticity spectrum E(k) (mean over snapshots)", title, True)


def skill_figure(skill_csv, out, title, threshold=0.95):
    rows = read_csv(skill_csv)
    lead = [int(r["step"]) for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(lead, [float(r["pcc"]) for r in rows], "o-", color="tab:red", label=LABELS["prediction"])
    if rows and "pcc_persistence" in rows[0]:
        ax.plot(lead, [float(r["pcc_persistence"]) for r in rows], "s--", color="tab:blue",
                label=LABELS["persistence"])
    ax.axhline(threshold, color="grey", linestyle=":", label=f"PCC = {threshold}")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    return finish(fig, ax, out, "lead (snapshots)", "PCC with the DNS", title)


def read_fields(path):
    import h5py  # only the panels need it

    try:
        with h5py.File(path, "r") as f:
            d = f["fields"]
            return d[...], [int(s) for s in d.attrs.get("snapshots", [])], dict(d.attrs)
    except OSError as e:
        fail(f"{path}: cannot read fields ({e})")


def panel_figure(stem, out, title, index=0, factor=None):
    """Low-res input, aligned bicubic, FLEX mean, truth, ensemble std and
    |error| of one snapshot of `flex infer` SR output <stem>.h5."""
    truth, snaps, _ = read_fields(stem + ".truth.h5")
    pred, _, attrs = read_fields(stem + ".h5")
    base, _, battrs = read_fields(stem + ".baselines.h5")
    names = str(battrs.get("channels", b"").decode() if isinstance(battrs.get("channels"), bytes)
                else battrs.get("channels", "")).split(",")
    if "bicubic_aligned" not in names:
        fail(f"{stem}.baselines.h5: no bicubic_aligned baseline (channels {names})")
    c = truth.shape[1]
    bicubic = base[index, names.index("bicubic_aligned") * c]
    t, p = truth[index, 0], pred[index, 0]
    std = None
    if os.path.exists(stem + ".members.h5"):
        members, _, mattrs = read_fields(stem + ".members.h5")
        k = int(mattrs.get("members", 1))
        std = members[index * k:(index + 1) * k, 0].std(axis=0)
    if factor is None:
        deck = attrs.get("deck", b"")
        deck = deck.decode() if isinstance(deck, bytes) else str(deck)
        factor = next((int(line.split("=")[1].split("#")[0]) for line in deck.splitlines()
                       if line.strip().startswith("infer.factor")), 8)
    lim = float(abs(t).max())
    panels = [("low-res input (every %dth point)" % factor, t[::factor, ::factor], "RdBu_r", (-lim, lim)),
              ("bicubic (aligned)", bicubic, "RdBu_r", (-lim, lim)),
              ("FLEX ensemble mean", p, "RdBu_r", (-lim, lim)),
              ("truth (DNS)", t, "RdBu_r", (-lim, lim))]
    err = abs(p - t)
    if std is not None:
        panels.append(("ensemble std", std, "viridis", (0, float(max(std.max(), 1e-12)))))
    panels.append(("|FLEX − truth|", err, "viridis", (0, float(max(err.max(), 1e-12)))))
    fig, axes = plt.subplots(1, len(panels), figsize=(3.1 * len(panels), 3.4))
    for ax, (name, field, cmap, (lo, hi)) in zip(axes, panels):
        im = ax.imshow(field, cmap=cmap, vmin=lo, vmax=hi, origin="lower", interpolation="nearest")
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.03)
    snap = snaps[index] if index < len(snaps) else index
    fig.suptitle(f"{title}: vorticity ω, snapshot {snap}", fontsize=11)
    return save(fig, out)


def loss_figure(metrics_jsonl, out, title):
    rows = []
    try:
        with open(metrics_jsonl) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        fail(f"{metrics_jsonl}: cannot read ({e.strerror})")
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for key in sorted({k for r in rows for k in r if k.startswith("loss_") or k.startswith("rfne_")}):
        pts = [(r["step"], r[key]) for r in rows if key in r]
        ax.plot([s for s, _ in pts], [v for _, v in pts], "-" if key.startswith("loss") else "o--", label=key)
    ax.set_yscale("log")
    return finish(fig, ax, out, "training step", "L1 loss of v (train) / RFNE (validation)", title, True)


def sr_summary(metrics_json):
    m = read_json(metrics_json)
    flex = m["channels"]["w"]["rfne"]
    bic = m["baselines"]["sources"]["bicubic_aligned"]["w"]["rfne"]
    verdict = "FLEX better" if flex < bic else "FLEX NOT better"
    return (f"SR  RFNE(FLEX) {flex:.4f} vs aligned bicubic {bic:.4f} (ratio {flex / bic:.3f}, {verdict}) "
            f"over {m['samples']} held-out snapshot(s)")


def fc_summary(metrics_json):
    m = read_json(metrics_json)
    flex = m["channels"]["w"]
    pers = m["baselines"]["sources"]["persistence"]["w"]
    thr = m.get("skill_threshold", 0.95)
    return (f"FC  leads with PCC > {thr}: FLEX {flex['skill_horizon']}, persistence {pers['skill_horizon']}; "
            f"lead-1 PCC {flex['pcc_per_step'][0]:.4f} vs {pers['pcc_per_step'][0]:.4f} "
            f"over {len(flex['pcc_per_step'])} lead(s)")


def demo(args):
    d = args.dir
    lines = [sr_summary(os.path.join(d, "demo_analysis_metrics.json")),
             fc_summary(os.path.join(d, "demo_forecast_metrics.json"))]
    figures = [
        panel_figure(os.path.join(d, "infer_demo"), os.path.join(d, "demo_sr_panel.png"), "demo SR"),
        spectrum_figure(os.path.join(d, "demo_analysis_spectra.csv"), os.path.join(d, "demo_sr_spectrum.png"),
                        "demo SR: vorticity spectra", args.lowres_nyquist),
        skill_figure(os.path.join(d, "demo_forecast_skill.csv"), os.path.join(d, "demo_fc_skill.png"),
                     "demo FC: skill per lead"),
        loss_figure(os.path.join(d, "train", "metrics.jsonl"), os.path.join(d, "demo_training.png"),
                    "demo training (FLEX-tiny, multitask)"),
    ]
    for line in lines:
        print("demo:", line)
    print("demo: figures", ", ".join(figures))


def output_named(summary, suffix, path):
    found = [o for o in summary.get("outputs", []) if o.endswith(suffix)]
    if not found:
        fail(f"{path}: lists no {suffix} output")
    return found[0]


def resolved_deck(text):
    """{key: value} of a resolved deck (`flex` writes one beside every output)."""
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip()
    return out


def fields_attr(path, name):
    """Attribute `name` of the "fields" dataset of a flex HDF5 file; None if absent."""
    import h5py
    if not path or not os.path.exists(path):
        return None
    try:
        with h5py.File(path, "r") as f:
            value = f["fields"].attrs.get(name)
    except (OSError, KeyError, ValueError):
        return None
    return value.decode() if isinstance(value, bytes) else value


def network_facts(metrics_file):
    """What flex wrote about an SR summary's field and network: the tested
    field's Re (the DNS file's attribute, found through the prediction's
    resolved deck), whether the network trained on that Re (the training deck
    beside its checkpoint), its training folder and its model keys. Unknown
    items are None (a summary copied without its fields)."""
    m = read_json(metrics_file)
    facts = {"re": None, "seen": None, "train_dir": None, "train": {}}
    deck = fields_attr(m.get("prediction", ""), "deck")
    if deck is None:
        return m, facts
    deck = resolved_deck(deck)
    re = fields_attr(deck.get("infer.input", ""), "Re")
    facts["re"] = float(re) if re is not None else None
    train_dir = os.path.dirname(deck.get("infer.checkpoint", ""))
    train_deck = os.path.join(train_dir, "train.deck.ini")
    if os.path.exists(train_deck):
        with open(train_deck) as f:
            facts["train"] = resolved_deck(f.read())
        facts["train_dir"] = train_dir
        trained = [fields_attr(f.strip(), "Re") for f in facts["train"].get("data.files", "").split(",") if f.strip()]
        if facts["re"] is not None and trained and None not in trained:
            facts["seen"] = facts["re"] in [float(t) for t in trained]
    return m, facts


def training_seconds(train_dir, samples_per_step):
    """A training's compute time from its own log (metrics.jsonl): the steps
    between log lines over the throughput each line reports, summed, so a
    training resumed after a kill counts every run of it (the stage table
    counts only the run that finished it). None without a log."""
    path = os.path.join(train_dir or "", "metrics.jsonl")
    if not train_dir or not os.path.exists(path):
        return None
    with open(path) as f:
        rows = {r["step"]: r for r in (json.loads(line) for line in f if line.strip()) if "samples_per_s" in r}
    total, previous = 0.0, 0
    for step in sorted(rows):
        total += (step - previous) * samples_per_step / rows[step]["samples_per_s"]
        previous = step
    return total


MODEL_KEYS = ("model.", "unet.", "uvit.")


def comparison_tables(r):
    """Table 1 layout (RFNE % per tested Re, seen/unseen marked, of the
    aligned bicubic, FLEX-SR ("reference") and each same-budget network
    ("competitor:<label>", the same fields in the same order)) and Table 2
    layout (the ablations: networks with FLEX-SR's backbone and tasks and
    other model keys, each with what it changes); Markdown, empty without
    competitors. Also returns the networks for the training figure."""
    analyses = r.get("analyses", {})
    ref = analyses.get("reference", [])
    comps = [(k.split(":", 1)[1], v) for k, v in analyses.items() if k.startswith("competitor:")]
    if not ref or not comps:
        return "", []
    ranks = int(r.get("ranks", 1))

    def scores(files, label):
        out = []
        for file in files:
            m, facts = network_facts(file)
            c = next(iter(m["channels"]))
            out.append((m, facts, c, 100 * m["channels"][c]["rfne"]))
        if len(out) != len(ref):
            fail(f"{label}: {len(out)} summaries, FLEX-SR has {len(ref)} (the same fields in the same order)")
        return out

    networks = [("FLEX-SR", scores(ref, "FLEX-SR"))] + [(label, scores(files, label)) for label, files in comps]
    columns = []
    for m, facts, c, _ in networks[0][1]:
        if facts["re"] is not None:
            mark = {True: "seen", False: "unseen", None: "?"}[facts["seen"]]
            columns.append(f"Re {facts['re']:g} ({mark}{', ' + c if c != 'w' else ''})")
        else:
            columns.append(os.path.basename(m.get("truth", "?")).removesuffix(".truth.h5") + f" ({c})")
    for label, rows in networks[1:]:
        for i, (_, facts, _, _) in enumerate(rows):
            if facts["re"] is not None and networks[0][1][i][1]["re"] not in (None, facts["re"]):
                fail(f"{label}: summary {i + 1} tests Re {facts['re']:g}, FLEX-SR's Re "
                     f"{networks[0][1][i][1]['re']:g} (the same fields in the same order)")

    def model_keys(rows):
        return {k: v for k, v in rows[0][1]["train"].items() if k.startswith(MODEL_KEYS)}

    def budget(rows):
        t = rows[0][1]["train"]
        steps, batch = t.get("train.steps"), t.get("train.batch")
        if not (steps and batch):
            return ["–", "–"]
        per_step = int(batch) * ranks * (2 if t.get("model.tasks") == "mt" else 1)  # mt: an SR and an FC batch
        wall = training_seconds(rows[0][1]["train_dir"], per_step)
        return [f"{steps} × {int(batch) * ranks}", f"{wall / 60:.1f} min" if wall else "–"]

    def describe(rows):
        t = model_keys(rows)
        if not t:
            return "–"
        net = {"flex": "FLEX", "unet": "U-Net", "uvit": "U-ViT"}.get(t.get("model.backbone", "flex"), "?")
        extra = f" ({t.get('unet.variant', '')})" if net == "U-Net" else ""
        return f"{net}-{t.get('model.size', '?')}{extra}, tasks {t.get('model.tasks', '?')}"

    ref_keys = model_keys(networks[0][1])

    def ablation_of_reference(rows):
        keys = model_keys(rows)
        return bool(keys) and all(keys.get(k) == ref_keys.get(k) for k in ("model.backbone", "model.tasks"))

    def changes(rows):
        keys = model_keys(rows)
        return ", ".join(f"{k} = {v} (FLEX-SR: {ref_keys.get(k, '–')})" for k, v in sorted(keys.items())
                         if ref_keys.get(k) != v) or "–"

    def table(rows_of, extra_header, extra):
        head = ["network", *extra_header, *columns, "mean", "steps × batch", "training time"]
        lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
        bicubic = [100 * m["baselines"]["sources"]["bicubic_aligned"][c]["rfne"] for m, _, c, _ in networks[0][1]]
        lines.append("| aligned bicubic | " + " | ".join(["–"] * len(extra_header)) + (" | " if extra_header else "")
                     + " | ".join(f"{v:.2f}" for v in bicubic) + f" | {sum(bicubic) / len(bicubic):.2f} | – | – |")
        for label, rows in rows_of:
            values = [v for *_, v in rows]
            name = f"**{label}**" if label == "FLEX-SR" else label
            lines.append(f"| {name} | " + "".join(f"{x} | " for x in extra(rows))
                         + " | ".join(f"{v:.2f}" for v in values)
                         + f" | **{sum(values) / len(values):.2f}** | " + " | ".join(budget(rows)) + " |")
        return "\n".join(lines)

    ablations = [n for n in networks[1:] if ablation_of_reference(n[1])]
    others = [n for n in networks[1:] if n not in ablations]
    text = ("\n## Table 1 layout: super-resolution RFNE (%), same training budget\n\n"
            "Lower is better. Columns: the tested fields (held-out seed) by Re, seen or unseen in training; "
            "rows: the networks, trained by the same loop for the same steps and batch (training time beside, "
            "from each training's logged throughput, every run of a resumed one included).\n\n"
            + table([networks[0]] + others, ["architecture"], lambda rows: [describe(rows)]) + "\n")
    if ablations:
        text += ("\n## Table 2 layout: ablations of FLEX-SR, RFNE (%)\n\n"
                 "FLEX-SR's backbone and tasks with one design choice changed (the model keys that differ).\n\n"
                 + table([networks[0]] + ablations, ["change"],
                         lambda rows: ["the full model" if rows is networks[0][1] else changes(rows)]) + "\n")
    means = ", ".join(f"{label} {sum(v for *_, v in rows) / len(rows):.2f}" for label, rows in networks)
    print(f"plot_results: mean RFNE (%): aligned bicubic "
          f"{sum(100 * m['baselines']['sources']['bicubic_aligned'][c]['rfne'] for m, _, c, _ in networks[0][1]) / len(ref):.2f}"
          f", {means}")
    trained = [(label, rows[0][1]["train_dir"]) for label, rows in networks if rows[0][1]["train_dir"]]
    return text, trained


def training_figure(networks, out, title):
    """Training loss (solid) and validation RFNE (markers) of each network, one colour each."""
    fig, ax = plt.subplots(figsize=(7, 4.8))
    for i, (label, train_dir) in enumerate(networks):
        path = os.path.join(train_dir, "metrics.jsonl")
        try:
            with open(path) as f:
                rows = [json.loads(line) for line in f if line.strip()]
        except OSError as e:
            fail(f"{path}: cannot read ({e.strerror})")
        colour = f"C{i % 10}"
        for key in sorted({k for row in rows for k in row if k.startswith(("loss_", "rfne_"))}):
            pts = [(row["step"], row[key]) for row in rows if key in row]
            style = "-" if key.startswith("loss_") else "o--"
            dashes = ":" if key.endswith("_fc") and style == "-" else style
            ax.plot([s for s, _ in pts], [v for _, v in pts], dashes, color=colour, label=f"{label} {key}",
                    markersize=3, linewidth=1)
    ax.set_yscale("log")
    return finish(fig, ax, out, "training step", "L1 loss of v (train) / RFNE (validation)", title, True,
                  legend_outside=True)


def report(args):
    """The figures of a validation report, drawn from the analysis summaries
    its "analyses" names (paths relative to the report's folder, where the
    suite's stages ran), linked from a Figures section appended to the
    report's Markdown (<stem>.md beside the JSON)."""
    r = read_json(args.report)
    base = os.path.dirname(os.path.abspath(args.report))
    here = os.getcwd()
    os.chdir(base)  # the summaries name their files relative to the suite's folder
    made = []
    tables = ""
    try:
        tables, trained = comparison_tables(r)
        if trained:
            made.append(training_figure(trained, "training_curves.png", "training curves, same budget"))
        for kind, files in r.get("analyses", {}).items():
            if kind == "reference" or kind.startswith("competitor:"):
                continue  # the comparison table's
            for file in files:
                m = read_json(file)
                prefix = os.path.splitext(file)[0].removesuffix("_metrics")
                name = os.path.basename(prefix)
                if kind in ("sr", "zero_shot"):
                    if kind == "sr" or any(o.endswith("_spectra.csv") for o in m.get("outputs", [])):
                        made.append(spectrum_figure(output_named(m, "_spectra.csv", file), prefix + "_spectrum.png",
                                                    f"{name}: vorticity spectra"))
                    else:
                        print(f"plot_results: {file}: no vorticity in a zero-shot field: no spectrum")
                    stem = os.path.splitext(m.get("prediction", ""))[0]
                    if stem and all(os.path.exists(stem + e) for e in (".h5", ".truth.h5", ".baselines.h5")):
                        made.append(panel_figure(stem, prefix + "_panel.png", name))
                    else:
                        print(f"plot_results: {file}: no fields beside it ({stem}.h5, .truth.h5, .baselines.h5): "
                              "no panel")
                elif kind == "fc":
                    made.append(skill_figure(output_named(m, "_skill.csv", file), prefix + "_skill.png",
                                             f"{name}: skill per lead", m.get("skill_threshold", 0.95)))
                elif kind == "ensemble":
                    made.append(pull_figure(output_named(m, "_pull.csv", file), prefix + "_pull.png",
                                            f"{name}: pulls against N(0, 1)"))
                else:
                    fail(f"{args.report}: unknown analysis kind '{kind}'")
    finally:
        os.chdir(here)
    markdown = os.path.splitext(args.report)[0] + ".md"
    if os.path.exists(markdown) and (made or tables):
        with open(markdown) as f:
            text = f.read().split("\n## Table 1 layout")[0].split("\n## Figures\n")[0]
        text += tables
        text += "\n## Figures\n\n" + "".join(f"![{os.path.basename(p)}]({os.path.relpath(os.path.join(base, p), os.path.dirname(os.path.abspath(markdown)))})\n" for p in made)
        tmp = markdown + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, markdown)
    passed = sum(1 for c in r.get("checks", []) if c.get("passed") and not c.get("skipped"))
    failed = sum(1 for c in r.get("checks", []) if not c.get("passed") and not c.get("skipped"))
    print(f"plot_results: {args.report}: {passed} passed, {failed} failed; figures",
          ", ".join(os.path.join(base, p) for p in made) if made else "(none)")


def pull_figure(pull_csv, out, title):
    """The analysis pull histogram against N(0, 1)."""
    table = read_csv(pull_csv)
    rows = [r for r in table if math.isfinite(float(r["bin_lo"])) and math.isfinite(float(r["bin_hi"]))]
    total = sum(float(r["count"]) for r in table)  # the open-ended tails count in the density's denominator
    if total <= 0:
        fail(f"{pull_csv}: empty pull histogram")
    lo = [float(r["bin_lo"]) for r in rows]
    width = [float(r["bin_hi"]) - float(r["bin_lo"]) for r in rows]
    density = [float(r["count"]) / total / w for r, w in zip(rows, width)]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.bar(lo, density, width=width, align="edge", alpha=0.6, color="tab:red", label="pull (x − mean) / std")
    xs = [-5 + i * 0.05 for i in range(201)]
    ax.plot(xs, [math.exp(-x * x / 2) / math.sqrt(2 * math.pi) for x in xs], "k-", label="N(0, 1)")
    return finish(fig, ax, out, "pull", "probability density", title)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="summary lines and figures of the demo pipeline")
    d.add_argument("dir", help="the demo's output folder (demo-output)")
    d.add_argument("--lowres-nyquist", type=int, default=None, help="mark the low-res Nyquist wavenumber")
    d.set_defaults(run=demo)
    r = sub.add_parser("report", help="the figures a validation report JSON lists")
    r.add_argument("report", help="validation report JSON")
    r.set_defaults(run=report)
    args = p.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
