"""Under a zoomed class row: each memorised sample of that class beside its nearest training image.

Reads the record the evaluation left (``cgan_tui.memorised``): no torch, no data set. Hidden when the
model has no record (memorisation not evaluated at that epoch); says so when no sample of the class is
flagged, so an empty line is never mistaken for "not checked".
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from cgan_tui.grid_tiles import GridImage, class_name
from cgan_tui.memorised import MemorisedGrid, describe, pairs_image
from cgan_tui.ui.widgets.pixels import make_picture, set_picture
from cgan_tui.ui.widgets.sample_grid import GAP, fit


class MemorisedRow(Vertical):
    """Caption + (sample, nearest training image) pairs of one class, as many pairs as fit."""

    DEFAULT_CSS = "MemorisedRow { height: auto; width: 1fr; } MemorisedRow .memorised-caption { height: auto; }"

    def __init__(self, renderer: str = "halfcell", **kwargs) -> None:
        super().__init__(**kwargs)
        self.renderer = renderer
        self.grid: GridImage | None = None
        self.record: MemorisedGrid | None = None
        self.label = 0
        self.pairs_shown = 0
        self.display = False  # until a record is shown

    def compose(self) -> ComposeResult:
        yield Static("", classes="memorised-caption")
        yield make_picture(self.renderer, classes="memorised-image")

    def show(self, grid: GridImage | None, record: MemorisedGrid | None, label: int) -> None:
        self.grid, self.record, self.label = grid, record, label
        self._draw()

    def on_resize(self, _event: events.Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        self.display = self.record is not None and self.grid is not None
        picture = self.query_one(".memorised-image")
        caption = self.query_one(".memorised-caption", Static)
        if self.record is None or self.grid is None:
            set_picture(picture, None)
            return
        flagged = self.record.flagged(self.label)
        if not flagged:
            caption.update(Text(f"memorised: no sample of {class_name(self.label)} is nearer a training image "
                                f"than 99% of test images are (< {self.record.threshold:.2f})"))  # fmt: skip
            set_picture(picture, None)
            self.pairs_shown = 0
            return
        try:
            tile_w = self.grid.geometry[0]
        except ValueError:
            set_picture(picture, None)
            return
        n = max(1, fit(self.content_region.width or self.app.size.width, tile_w) // 2)
        shown = flagged[:n]
        self.pairs_shown = len(shown)
        set_picture(picture, pairs_image(self.grid, shown, GAP))
        more = f" · {len(flagged) - len(shown)} more" if len(flagged) > len(shown) else ""
        caption.update(Text(f"memorised ({len(flagged)} of this class; each beside its nearest training image): "
                            f"{describe(shown, self.record.threshold)}{more}"))  # fmt: skip
