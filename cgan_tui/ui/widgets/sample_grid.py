"""The sample-grid overview: as many samples per class as fit at a readable scale.

Shrinking all 10x8 samples into a side panel leaves ~6x6 pixels per garment, too few to judge. This
view never goes below ``READABLE_SCALE`` (2 cells per 3 image pixels: a 28x28 sample is 19 columns x
10 rows in half-cell blocks) and shows the window of classes x samples that fits; ``↑``/``↓`` scroll
the classes, ``[``/``]`` the samples, and the zoom screen shows a class row at full resolution.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import Static

from cgan_tui.grid_tiles import GridImage, compose_tiles
from cgan_tui.ui.widgets.pixels import make_picture, set_picture

READABLE_SCALE = 2 / 3
GAP = 1


def fit(available: int, tile: int, gap: int = GAP) -> int:
    """How many ``tile``-pixel tiles with ``gap`` between them fit in ``available`` pixels (at least 1)."""
    return max(1, (available + gap) // (tile + gap))


def span(indices: range, total: int, base: int = 0) -> str:
    """``3-5 of 8`` (or ``3 of 8``) for the shown ``indices``, counted from ``base``."""
    first, last = indices[0] + base, indices[-1] + base
    return f"{first}{'' if first == last else f'-{last}'} of {total}"


def window(first: int, shown: int, total: int) -> int:
    """Clamp a window's first index so it stays inside ``total``."""
    return max(0, min(first, total - shown))


def fit_caption(head: str, keep: str, details: str, width: int) -> str:
    """``head + keep · details`` in ``width`` columns: the details are cut first (with ``…``), then the
    head's end, never ``keep`` (``r1 LSGAN_SI… @ e5`` in a 20-column compare panel)."""
    whole = f"{head}{keep}"
    if len(whole) > width:
        room = max(1, width - len(keep) - 1)
        return (head[:room] + "…" + keep)[:width] if len(head) > room else whole[:width]
    full = f"{whole} · {details}" if details else whole
    return full if len(full) <= width else full[: max(len(whole), width - 1)] + "…"


class SampleGrid(Vertical):
    """Caption plus picture. ``show(grid, caption)`` swaps the grid and keeps the class/sample window.
    ``limit`` (classes, samples; None: as many as fit) lets compare show the same window in every panel."""

    def __init__(self, renderer: str = "halfcell", **kwargs) -> None:
        super().__init__(**kwargs)
        self.renderer = renderer
        self.grid: GridImage | None = None
        self.caption = "no sample grid yet"
        self.first_class = 0
        self.first_sample = 0
        self.shown = (0, 0)  # classes, samples in view
        self.fits = (0, 0)  # classes, samples that would fit without ``limit``
        self.limit: tuple[int | None, int | None] = (None, None)
        self.keep = ""  # the caption's end that is never cut (compare: `` @ e5``)

    @property
    def png(self) -> bytes | None:
        return self.grid.png if self.grid is not None else None

    def compose(self) -> ComposeResult:
        yield Static(self.caption, classes="grid-caption")
        yield make_picture(self.renderer, classes="grid-image")

    def show(self, grid: GridImage | None, caption: str, keep: str = "") -> None:
        self.grid, self.caption, self.keep = grid, caption, keep
        self._draw()

    def set_limit(self, classes: int | None, samples: int | None) -> None:
        if self.limit != (classes, samples):
            self.limit = (classes, samples)
            self._draw()

    def scroll_classes(self, delta: int) -> None:
        self.first_class += delta * max(1, self.shown[0])
        self._draw()

    def scroll_samples(self, delta: int) -> None:
        self.first_sample += delta * max(1, self.shown[1])
        self._draw()

    def on_resize(self, _event: events.Resize) -> None:
        self._draw()

    def on_mount(self) -> None:
        self._draw()  # a show() or resize that came before the children existed drew nothing

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        try:
            caption = self.query_one(".grid-caption", Static)
            picture = self.query_one(".grid-image")
        except NoMatches:  # mounted, children not yet (or being removed): on_mount / the next resize draws
            return
        width = caption.content_region.width or 1000  # not laid out yet: uncut (the resize that follows redraws)
        if self.grid is None:
            caption.update(Text(fit_caption(self.caption, self.keep, "", width)))
            set_picture(picture, None)
            return
        try:
            tile_w, tile_h, _ = self.grid.geometry
        except ValueError as exc:
            caption.update(Text(f"{self.caption}: {exc}"))
            set_picture(picture, None)
            return
        w, h = math.ceil(tile_w * READABLE_SCALE), math.ceil(tile_h * READABLE_SCALE)
        region = self.content_region
        n_cls = min(self.grid.rows, fit(2 * max(region.height - 1, 1), h))
        n_smp = min(self.grid.cols, fit(region.width, w))
        self.fits = (n_cls, n_smp)
        n_cls, n_smp = (min(n, cap) if cap else n for n, cap in zip(self.fits, self.limit, strict=True))
        self.first_class = window(self.first_class, n_cls, self.grid.rows)
        self.first_sample = window(self.first_sample, n_smp, self.grid.cols)
        self.shown = (n_cls, n_smp)
        classes = range(self.first_class, self.first_class + n_cls)
        samples = range(self.first_sample, self.first_sample + n_smp)
        image = compose_tiles([[self.grid.tile(r, c) for c in samples] for r in classes], w, h, GAP)
        set_picture(picture, image)
        details = f"class {span(classes, self.grid.rows)} · sample {span(samples, self.grid.cols, 1)}"
        caption.update(Text(fit_caption(self.caption, self.keep, details, width)))
