"""The report's content as a list of blocks, written twice by ``report.render``'s templates:
``report.html`` (one self-contained file: inline CSS, figures as base64 PNGs) and ``report.md`` with its
PNGs in ``report_figures/`` beside it.

Sections (issue 18): the seed 000 table per backend (one row per model, each value with its n, the
backbone in the caption, the best per column marked), the ranking by combined next to the ranking by
human rating with the disagreements called out, settings across seeds (mean ± 95 % CI, Welch's test),
figures (losses, each metric per epoch, training time, a sample grid per model, per-class diversity)
and each run's config, seed, precision, device and code version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

from cgan_tui import results
from cgan_tui.classes import CLASS_NAMES, MODE_COLLAPSE_THRESHOLD, class_diversity_key, per_class_label
from cgan_tui.formatting import count
from cgan_tui.grid_tiles import labelled_grid_png
from cgan_tui.report import render
from cgan_tui.report.conclusions import scores_vs_eyes, settings_across_seeds
from cgan_tui.report.memorised_section import memorised_blocks
from cgan_tui.report.tables import BEST, Block, Cell, Figure, Table, best_models, value_cell

PRINT_DIR = "print_grids"
"""Beside ``render.FIGURES_DIR`` (which holds exactly what report.md links): the labelled sample grids at print
resolution (``report.print_grids``)."""
TABLE_NAMES = ("fid", "is", "lpips", "combined", "final")


def backend_keys(rows, backend: str) -> list[str]:
    """The seed 000 columns of ``backend``: its FID, IS, LPIPS (own, else the shared one), combined, final."""
    present = {k for r in rows for k in (*r.values, *r.scores)}
    keys = []
    for name in TABLE_NAMES:
        own = f"{name}@{backend}"
        if own in present:
            keys.append(own)
        elif name == "lpips" and "lpips@lpips" in present:
            keys.append("lpips@lpips")
    return keys


def model_table(rows, backend: str, directions: dict[str, str]) -> Table:
    from cgan_tui.gan import backbones

    keys = backend_keys(rows, backend)
    digest = backbones.current(backend)
    network = f"network {digest}" if digest else "published weights, not versioned"
    bests = {k: best_models(rows, k, results.direction_of(k, directions)) for k in keys}
    headers = ["run", "model", "family", "loss", "conditioning", "emb", "seed", "epoch"] + [
        results._title(k) + {"lower": " ↓", "higher": " ↑"}.get(results.direction_of(k, directions) or "", "")
        for k in keys
    ]
    body = []
    for row in sorted(rows, key=lambda r: (r.run_id, r.epoch)):
        base = [Cell(str(row.run_id)), Cell(f"{row.label} s{row.seed}", numeric=False), Cell(row.model, numeric=False),
                Cell(row.loss, numeric=False), Cell(row.conditioning, numeric=False),
                Cell(str(row.embed_dim) if row.conditioning == "embedding" else "—"), Cell(str(row.seed)),
                Cell(str(row.epoch))]  # fmt: skip
        body.append(base + [value_cell(row, k, bests[k]) for k in keys])
    lpips = next((k for k in keys if k.startswith("lpips@")), None)
    note = f"; LPIPS from backend {lpips.partition('@')[2]}" if lpips and not lpips.endswith("@" + backend) else ""
    return Table(f"backend {backend}, {network}{note}: one row per model, each value with its n; "
                 f"{BEST} best per column (among values at the column's most common n)", headers, body)  # fmt: skip


def collapse_section(rows) -> list[Block]:
    """The per-class collapse map from the values ``mode_collapse@classifier`` is computed from (stored per
    class at evaluation), so map and count agree; models evaluated before those were stored are named."""
    from cgan_tui.report import figures

    keys = [f"{class_diversity_key(c)}@classifier" for c in range(len(CLASS_NAMES))]
    have = [r for r in rows if any(r.get(k) is not None for k in keys)]
    if not have:
        return [Block("p", "No per-class diversity stored for these models (evaluated before cgan-tui stored it): "
                           "`cgan-tui eval RUN --epoch E --metrics classifier` adds it.")]  # fmt: skip
    labels = [f"r{r.run_id} {r.label} s{r.seed}" for r in have]
    matrix = [[r.get(k) for k in keys] for r in have]
    fig = figures.collapse_map(labels, matrix, MODE_COLLAPSE_THRESHOLD)
    collapsed = [f"{lab}: {', '.join(CLASS_NAMES[c] for c, v in enumerate(vals) if v is not None and v < MODE_COLLAPSE_THRESHOLD)}"
                 for lab, vals in zip(labels, matrix, strict=True)
                 if any(v is not None and v < MODE_COLLAPSE_THRESHOLD for v in vals)]  # fmt: skip
    missing = len(rows) - len(have)
    text = ("Collapsed classes (the ones `mode_collapse@classifier` counts): " + "; ".join(collapsed) + "."
            if collapsed else "No class of these models is below the collapse threshold.")
    if missing:
        text += f" {missing} model(s) have no per-class values stored and are not in the map."
    caption = (f"per-class diversity: mean pairwise classifier-feature distance of a class's generated samples over "
               f"the real test images' (× and red frame: below {MODE_COLLAPSE_THRESHOLD:g}, a mode-collapsed class)")
    return [Block("figure", Figure("class_diversity.png", fig, caption)), Block("p", text)]


def run_table(runs) -> Table:
    body = []
    for info in runs:
        run, cfg = info.run, info.config
        secs = info.train_seconds
        body.append([
            Cell(str(run.id)), Cell(info.name, numeric=False), Cell(info.experiment or "—", numeric=False),
            Cell(getattr(run.status, "value", str(run.status)), numeric=False), Cell(str(run.seed)),
            Cell(getattr(run, "precision", None) or f'{cfg.get("precision", "—")} (asked; not trained yet)', numeric=False),
            Cell(run.device or str(cfg.get("device", "—")), numeric=False),
            Cell(run.code_version or "—", numeric=False), Cell(f"{run.current_epoch}/{run.epochs}"),
            Cell("—" if secs is None else f"{secs:.1f}"),
        ])  # fmt: skip
    headers = ["run", "name", "experiment", "status", "seed", "precision", "device", "code version", "epochs", "train s"]
    return Table("every run: what a reader needs to rerun it (full configs below)", headers, body)


def blocks(data) -> list[Block]:
    """The whole report as blocks (figures drawn here)."""
    from cgan_tui.report import figures

    directions = results.directions(data.registries)
    rows = data.rows
    out = [Block("h1", f"cgan-tui report: {data.title}"),
           Block("p", f"{count(len(data.runs), 'run')}, {count(len(rows), 'model')} (run × evaluated epoch); database {data.database}; "
                      f"generated {data.generated}; scores with the {data.preset} preset; default backend "
                      f"{data.backend}.")]  # fmt: skip

    out.append(Block("h2", "Models"))
    backends = sorted({b for r in rows for b in results.score_backends(r)},
                      key=lambda b: (results.BACKEND_ORDER.get(b, 5), b))  # fmt: skip
    if not backends:
        out.append(Block("p", "No model is evaluated yet: `cgan-tui eval RUN_ID` computes FID, IS and LPIPS."))
    for backend in backends:
        out.append(Block("table", model_table(rows, backend, directions)))

    out.append(Block("h2", "Ranking: scores vs eyes"))
    table, notes = scores_vs_eyes(rows, data.backend, directions)
    for note in notes[:1]:
        out.append(Block("callout", note))
    if table is not None:
        out.append(Block("table", table))
    if len(notes) > 1:
        out.append(Block("p", "Disagreements (rank by combined vs by eye differ by 2 or more): " + "; ".join(notes[1:]) + "."))

    out.append(Block("h2", "Settings across seeds"))
    seeds_tables, seeds_note = settings_across_seeds(rows, data.backend, directions)
    out.extend(Block("table", t) for t in seeds_tables)
    if seeds_note:
        out.append(Block("p", seeds_note))

    out.append(Block("h2", "Training"))
    fig = figures.losses(data.runs, results.DISPLAY)
    if fig:
        caption = "training loss per epoch, one line per run: G and D loss, and the own losses of families " \
                  "that are not G/D pairs (diffusion loss)"  # fmt: skip
        out.append(Block("figure", Figure("losses.png", fig, caption)))
    fig = figures.train_time(data.runs)
    if fig:
        out.append(Block("figure", Figure("train_time.png", fig, "training time per run (sum of epoch times)")))

    out.append(Block("h2", "Metrics per epoch"))
    detail = results.declared_hidden(data.registries)
    keys = sorted({k for info in data.runs for k in info.series
                   if k not in detail and not _per_class_key(k)},
                  key=lambda k: (results.BACKEND_ORDER.get(k.partition("@")[2], 5), k))  # fmt: skip
    if not keys:
        out.append(Block("p", "No metric values yet."))
    curves = []
    for key in keys:
        fig = figures.metric(key, results._title(key) + f" ({key})", data.runs, results.direction_of(key, directions))
        if fig:
            curves.append(Figure(f"metric_{_slug(key)}.png", fig, f"{key} per epoch, one line per run"))
    if curves:
        out.append(Block("grids", curves))

    out.append(Block("h2", "Samples"))
    grids = [Figure(f"grid_r{info.run.id}_e{epoch}.png", labelled_grid_png(png, n_rows, f"{info.name} e{epoch}"),
                    f"{info.name} e{epoch}", zoom=2)
             for info in data.runs for epoch, (png, n_rows, _) in sorted(info.grids.items())]  # fmt: skip
    if grids:
        out.append(Block("p", "The stored fixed-noise grid of each model, one row per class (names on the left), "
                              "the same noise every epoch."))  # fmt: skip
        out.append(Block("grids", grids))
    else:
        out.append(Block("p", "No sample grids stored for these models."))
    out.extend(memorised_blocks(data.runs))
    out.extend(collapse_section(rows))

    out.append(Block("h2", "Runs"))
    out.append(Block("table", run_table(data.runs)))
    for info in data.runs:
        out.append(Block("pre", (f"run {info.run.id} config", json.dumps(info.config, indent=2, sort_keys=True))))
    return out


def _per_class_key(key: str) -> bool:
    """Per-class values (``diversity_c3``, ``intra_fid_c3``) get no curve of their own (the collapse map
    draws the per-class diversity), nor do the values a metric declares hidden (``Metric.hidden_values``:
    spreads, standard errors), which qualify the value the report draws."""
    return per_class_label(key.partition("@")[0]) is not None


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")


def figures_of(blocks_: list[Block]) -> list[Figure]:
    """Every figure the blocks hold (a figure block's one, a grids block's several), in order."""
    out: list[Figure] = []
    for b in blocks_:
        held = b.content if isinstance(b.content, list) else [b.content]
        out.extend(f for f in held if isinstance(f, Figure))
    return out


def write(data, out_dir: Path, formats: Sequence[str] = ("png",)) -> dict[str, Path]:
    """Write report.html, report.md and report_figures/*.png into ``out_dir`` (each figure also in the other
    ``formats``, e.g. pdf and svg, beside its PNG), and print_grids/: each run's last sample grid
    labelled at print resolution in every one of ``formats``; returns their paths."""
    from cgan_tui.report import figures, print_grids

    with figures.formats(formats):
        blocks_ = blocks(data)
    figs = out_dir / render.FIGURES_DIR
    figs.mkdir(exist_ok=True)
    for f in figures_of(blocks_):
        (figs / f.name).write_bytes(f.png)
        for fmt, content in getattr(f.png, "other", {}).items():
            (figs / f"{Path(f.name).stem}.{fmt}").write_bytes(content)
    prints = out_dir / PRINT_DIR
    prints.mkdir(exist_ok=True)
    for name, content in print_grids.print_grids(data.runs, formats).items():
        (prints / name).write_bytes(content)
    html_path = out_dir / "report.html"
    md_path = out_dir / "report.md"
    html_path.write_text(render.to_html(blocks_), encoding="utf-8")
    md_path.write_text(render.to_markdown(blocks_), encoding="utf-8")
    return {"html": html_path, "md": md_path, "figures": figs, "print": prints}
