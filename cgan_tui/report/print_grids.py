"""Sample grids as figures for a paper: class names on the rows, the model and epoch in the title, at
print resolution (``PRINT_DPI``) in each format ``report --figures`` asks for.

The stored grid's pixels are embedded unresampled (``interpolation="none"``): a PDF or SVG holds the
picture as stored and the text as text; the PNG is rendered at ``PRINT_DPI``.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from cgan_tui.grid_tiles import class_name
from cgan_tui.report import figures

PRINT_DPI = 300
WIDTH_IN = 4.0
"""A single-column figure's width in a two-column paper (about 3.3-4 inches)."""


def grid_figure(png: bytes, rows: int, model: str, epoch: int, formats: Sequence[str]) -> dict[str, bytes]:
    """One stored grid (row r = class r) as a labelled figure: fmt -> bytes for each of ``formats``."""
    import matplotlib.pyplot as plt

    with Image.open(io.BytesIO(png)) as image:
        pixels = np.asarray(image.convert("L"))
    height, width = pixels.shape
    fig, ax = plt.subplots(figsize=(WIDTH_IN, WIDTH_IN * height / width * 0.92 + 0.35), layout="constrained")
    ax.imshow(pixels, cmap="gray", vmin=0, vmax=255, interpolation="none", aspect="equal")
    band = height / max(rows, 1)
    ax.set_yticks([band * (r + 0.5) for r in range(rows)], [class_name(r) for r in range(rows)], fontsize=7)
    ax.set_xticks([])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(f"{model}, epoch {epoch}", fontsize=8)
    try:
        with plt.rc_context({"svg.hashsalt": "cgan-tui", "svg.fonttype": "none"}):
            return {fmt: figures.save(fig, fmt, dpi=PRINT_DPI) for fmt in formats}
    finally:
        plt.close(fig)


def print_grids(runs, formats: Sequence[str]) -> dict[str, bytes]:
    """File name -> bytes: each run's last stored grid (the model a paper shows) as ``grid_rID_eE.FMT``."""
    out = {}
    for info in runs:
        if not info.grids:
            continue
        epoch = max(info.grids)
        png, rows, _ = info.grids[epoch]
        for fmt, data in grid_figure(png, rows, info.name, epoch, formats).items():
            out[f"grid_r{info.run.id}_e{epoch}.{fmt}"] = data
    return out
