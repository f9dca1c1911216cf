"""The report's figures as PNG bytes, drawn with matplotlib's Agg backend (no display needed).

Each function takes plain data (``report.data``) and returns one PNG; nothing here touches the
database or torch. Figures are small (about 6 x 3 inches at 100 dpi) so a report of 24 models stays
a few megabytes with every figure embedded; inside ``formats(("pdf", "svg"))`` each is also drawn as
PDF and SVG for a paper (``report --figures``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import matplotlib

matplotlib.use("Agg")  # before pyplot: no display, same output everywhere

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from cgan_tui.classes import CLASS_NAMES

DPI = 100
_EXTRA: ContextVar[tuple[str, ...]] = ContextVar("report_figure_formats", default=())


class Drawn(bytes):
    """A figure's PNG bytes, with the same figure in each other format asked for in ``other`` (fmt -> bytes)."""

    other: dict[str, bytes]


@contextmanager
def formats(chosen: Sequence[str]) -> Iterator[None]:
    """Inside this block every figure is also drawn in ``chosen``'s vector/other formats (``Drawn.other``)."""
    token = _EXTRA.set(tuple(f for f in chosen if f != "png"))
    try:
        yield
    finally:
        _EXTRA.reset(token)


def save(fig, fmt: str, dpi: int = DPI) -> bytes:
    """``fig`` as ``fmt`` bytes (matplotlib's own writers); SVG keeps text as text and a fixed hash salt
    so the same figure gives the same file."""
    buf = io.BytesIO()
    metadata = {"Date": None} if fmt in ("svg", "pdf") else None  # no timestamp: reproducible files
    fig.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)  # constrained layout: one draw, no second pass
    return buf.getvalue()


def _png(fig) -> bytes:
    with matplotlib.rc_context({"svg.hashsalt": "cgan-tui", "svg.fonttype": "none"}):
        drawn = Drawn(save(fig, "png"))
        drawn.other = {fmt: save(fig, fmt) for fmt in _EXTRA.get()}
    plt.close(fig)
    return drawn


COLOURS = tuple(plt.get_cmap("tab10").colors)
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
LINES = ("-", "--", ":", "-.")


def line_style(i: int) -> dict:
    """The i-th run's colour, marker and line style: distinct (colour, marker) pairs for the first 100 runs
    (10 colours x 10 markers), so a legend of more than 10 runs still tells each line apart."""
    return {"color": COLOURS[i % len(COLOURS)], "marker": MARKERS[(i // len(COLOURS)) % len(MARKERS)],
            "linestyle": LINES[(i // len(COLOURS)) % len(LINES)], "markersize": 4}


def _epoch_axis(ax, epochs) -> None:
    """Whole epochs on the x axis: each epoch ticked when there are few, else integer ticks."""
    epochs = sorted(set(epochs))
    if 0 < len(epochs) <= 12:
        ax.set_xticks(epochs)
        if len(epochs) == 1:
            ax.set_xlim(epochs[0] - 1, epochs[0] + 1)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")


def losses(runs: Sequence, titles: Mapping[str, str] | None = None) -> bytes | None:
    """Training loss per epoch, one line per run, one panel per loss: G and D loss where a run has
    them, then each loss of a family with its own trainer (``diffusion_loss``: a diffusion run has no
    G/D loss, so its panels would be empty). ``titles``: display names of those losses. None when no
    run has recorded a loss."""
    panels = loss_panels(runs, titles)
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 3.4), sharex=True, layout="constrained",
                             squeeze=False)  # fmt: skip
    for ax, (name, title) in zip(axes[0], panels.items(), strict=True):
        for i, info in enumerate(runs):
            points = [(e.epoch, _loss(e, name)) for e in info.epochs]
            points = [(x, y) for x, y in points if y is not None]
            if points:
                ax.plot([x for x, _ in points], [y for _, y in points], label=info.name, **line_style(i))
        ax.set_title(title)
        _epoch_axis(ax, [e.epoch for info in runs for e in info.epochs])
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    return _png(fig)


def loss_panels(runs: Sequence, titles: Mapping[str, str] | None = None) -> dict[str, str]:
    """Loss name -> panel title for ``losses``: G, D (where any run has them), then own losses by name."""
    titles = titles or {}
    panels: dict[str, str] = {}
    if any(e.g_loss is not None for r in runs for e in r.epochs):
        panels["g_loss"] = "generator loss"
    if any(e.d_loss is not None for r in runs for e in r.epochs):
        panels["d_loss"] = "discriminator loss"
    for name in sorted({n for r in runs for e in r.epochs for n, v in e.losses.items() if v is not None}):
        panels[name] = titles.get(name, name.replace("_", " "))
    return panels


def _loss(epoch_row, name: str) -> float | None:
    return getattr(epoch_row, name) if name in ("g_loss", "d_loss") else epoch_row.losses.get(name)


def metric(key: str, title: str, runs: Sequence, better: str | None) -> bytes | None:
    """One metric per epoch, one line per run that has it. None when no run has a value."""
    have = [(i, r) for i, r in enumerate(runs) if r.series.get(key)]
    if not have:
        return None
    fig, ax = plt.subplots(figsize=(4.9, 3.0), layout="constrained")
    for i, info in have:
        points = info.series[key]
        xs = sorted(points)
        ax.plot(xs, [points[x] for x in xs], label=info.name, **line_style(i))
    arrow = {"lower": " (lower is better)", "higher": " (higher is better)"}.get(better or "", "")
    ax.set_title(f"{title}{arrow}", fontsize=10)
    _epoch_axis(ax, [e for _, info in have for e in info.series[key]])
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    return _png(fig)


def train_time(runs: Sequence) -> bytes | None:
    """Training time per run (seed 004's bar chart). None when no run has a time."""
    have = [(r.name, r.train_seconds) for r in runs if r.train_seconds is not None]
    if not have:
        return None
    names, secs = zip(*have, strict=True)
    minutes = max(secs) >= 300
    values = [s / 60 for s in secs] if minutes else list(secs)
    fig, ax = plt.subplots(figsize=(max(4.0, 0.55 * len(names) + 1.5), 3.4), layout="constrained")
    bars = ax.bar(range(len(names)), values, color="#4c72b0")
    ax.bar_label(bars, labels=[f"{v:.1f}" for v in values], fontsize=7)
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right", fontsize=7)
    ax.set_ylabel("minutes" if minutes else "seconds")
    ax.set_title("training time per run")
    ax.grid(axis="y", alpha=0.3)
    return _png(fig)


def collapse_map(labels: Sequence[str], matrix: Sequence[Sequence[float | None]], threshold: float) -> bytes | None:
    """Models x classes map of the stored per-class classifier-feature diversity (generated / real); cells
    below ``threshold`` are the collapsed classes ``mode_collapse`` counts, marked with a red frame and "×"."""
    if not labels:
        return None
    data = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    width = data.shape[1]
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(labels) + 1.9), layout="constrained")
    top = float(np.nanmax(data)) if np.isfinite(data).any() else 1.0
    image = ax.imshow(data, aspect="auto", cmap="viridis", vmin=0.0, vmax=max(1.0, top))
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    names = [CLASS_NAMES[c] if c < len(CLASS_NAMES) else str(c) for c in range(width)]
    ax.set_xticks(range(width), names, rotation=45, ha="right", fontsize=7)
    for (i, j), v in np.ndenumerate(data):
        if not np.isfinite(v):
            continue
        collapsed = v < threshold
        ax.text(j, i, f"{'× ' if collapsed else ''}{v:.2f}", ha="center", va="center", fontsize=6,
                color="white" if v < 0.5 else "black", fontweight="bold" if collapsed else "normal")  # fmt: skip
        if collapsed:
            ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=1.5))
    fig.colorbar(image, ax=ax, label="generated / real")
    ax.set_title(f"per-class diversity in classifier features (× red: collapsed, below {threshold:g} x real)", fontsize=9)
    return _png(fig)
