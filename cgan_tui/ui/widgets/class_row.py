"""One class row of a sample grid at full resolution: one image pixel per half-cell (28x14 cells a sample).

As many samples as the width allows are shown side by side; ``first_sample`` pages through the rest,
so on a narrow terminal the row becomes one sample at a time rather than a smaller picture.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from cgan_tui.grid_tiles import GridImage, class_name, compose_tiles
from cgan_tui.ui.widgets.pixels import make_picture, set_picture
from cgan_tui.ui.widgets.sample_grid import GAP, fit, span, window


class ClassRow(Vertical):
    """Caption + the samples of class ``label`` that fit, unscaled."""

    DEFAULT_CSS = "ClassRow { height: auto; width: 1fr; } ClassRow .row-caption { height: 1; }"

    def __init__(self, renderer: str = "halfcell", **kwargs) -> None:
        super().__init__(**kwargs)
        self.renderer = renderer
        self.grid: GridImage | None = None
        self.title = ""
        self.label = 0
        self.first_sample = 0
        self.shown = 0

    def compose(self) -> ComposeResult:
        yield Static("", classes="row-caption")
        yield make_picture(self.renderer, classes="row-image")

    def show(self, grid: GridImage | None, label: int, first_sample: int, title: str) -> None:
        self.grid, self.label, self.first_sample, self.title = grid, label, first_sample, title
        self._draw()

    def on_resize(self, _event: events.Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        caption = self.query_one(".row-caption", Static)
        picture = self.query_one(".row-image")
        try:
            tile_w, tile_h, _ = self.grid.geometry if self.grid is not None else (0, 0, 0)
        except ValueError as exc:
            caption.update(Text(f"{self.title}: {exc}"))
            set_picture(picture, None)
            return
        if self.grid is None or not 0 <= self.label < self.grid.rows:
            caption.update(Text(f"{self.title}: no sample grid"))
            set_picture(picture, None)
            return
        n = min(self.grid.cols, fit(self.content_region.width or self.app.size.width, tile_w))
        self.first_sample = window(self.first_sample, n, self.grid.cols)
        self.shown = n
        samples = range(self.first_sample, self.first_sample + n)
        image = compose_tiles([[self.grid.tile(self.label, c) for c in samples]], tile_w, tile_h, GAP)
        set_picture(picture, image)
        caption.update(Text(
            f"{self.title} · class {self.label} {class_name(self.label)} · "
            f"sample {span(samples, self.grid.cols, 1)} · 1 pixel per half-cell"
        ))  # fmt: skip
