"""Zoom: one class row of one or more models' sample grids at full resolution (28x14 cells a sample).

Opened with ``z`` from run detail (one model) and compare (one row per model, same class and epoch).
Dismisses with ``(epoch, class)`` so the screen below can follow where the user went. Under each row,
the class's memorised samples (``memorised@classifier``'s rule) each beside its nearest training image,
from the record the evaluation left (``Services.memorised_grid``).
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cgan_tui.grid_tiles import GridImage
from cgan_tui.memorised import MemorisedGrid
from cgan_tui.ui.background import ReportsWorkerErrors, background
from cgan_tui.ui.widgets.class_row import ClassRow
from cgan_tui.ui.widgets.memorised_row import MemorisedRow

ZOOM_KEYS = "↑↓ class · ←→ epoch · [ ] samples · z/esc back"


@dataclass(frozen=True)
class ZoomSource:
    """One model to show: its title, run and the epochs that have a grid."""

    title: str
    run_id: int
    epochs: tuple[int, ...]


class ZoomScreen(ReportsWorkerErrors, Screen):
    BINDINGS = [
        Binding("escape", "close", "Back", show=False),
        Binding("z", "close", "Grid"),
        Binding("up", "label(-1)", "Class", key_display="↑↓"),
        Binding("down", "label(1)", "Class", show=False),
        Binding("left", "epoch(-1)", "Epoch", key_display="←→"),
        Binding("right", "epoch(1)", "Epoch", show=False),
        Binding("left_square_bracket", "samples(-1)", "Samples", key_display="[ ]"),
        Binding("right_square_bracket", "samples(1)", "Samples", show=False),
    ]

    def __init__(self, sources: list[ZoomSource], epoch: int, label: int = 0, rows: int = 10) -> None:
        super().__init__()
        self.sources = sources
        self.epochs = sorted({e for s in sources for e in s.epochs}) or [epoch]
        self.epoch = epoch if epoch in self.epochs else self.epochs[-1]
        self.label = label
        self.n_labels = rows
        self.first_sample = 0
        self.grids: dict[tuple[int, int], GridImage | None] = {}
        self.records: dict[tuple[int, int], MemorisedGrid | None] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", classes="screen-title", id="zoom-title")
        rows = VerticalScroll(id="zoom-rows")
        rows.can_focus = False  # its arrow-key scrolling would shadow the class/epoch keys
        with rows:
            for i, _ in enumerate(self.sources):
                yield ClassRow(self.app.services.image_renderer, id=f"zoom-row-{i}")
                yield MemorisedRow(self.app.services.image_renderer, id=f"zoom-memorised-{i}")
        yield Static(Text(self.app.services.image_footer), id="zoom-renderer", classes="renderer-line")
        yield Footer()

    def on_mount(self) -> None:
        self._fetch(self.epoch)

    @background("loading sample grids", exclusive=True, group="zoom-grids")
    def _fetch(self, epoch: int) -> None:
        services = self.app.services
        for s in self.sources:
            if (s.run_id, epoch) not in self.grids:
                has = epoch in s.epochs
                self.records[(s.run_id, epoch)] = services.memorised_grid(s.run_id, epoch) if has else None
                self.grids[(s.run_id, epoch)] = services.grid_image(s.run_id, epoch) if has else None
        self.app.call_from_thread(self._draw)

    def _draw(self) -> None:
        grids = [self.grids.get((s.run_id, self.epoch)) for s in self.sources]
        self.n_labels = max((g.rows for g in grids if g is not None), default=self.n_labels)
        self.label %= max(self.n_labels, 1)
        self.query_one("#zoom-title", Static).update(Text(f"zoom · epoch {self.epoch} · {ZOOM_KEYS}"))
        for i, (source, grid) in enumerate(zip(self.sources, grids, strict=True)):
            row = self.query_one(f"#zoom-row-{i}", ClassRow)
            row.show(grid, self.label, self.first_sample, f"{source.title} e{self.epoch}")
            self.first_sample = row.first_sample
            record = self.records.get((source.run_id, self.epoch))
            self.query_one(f"#zoom-memorised-{i}", MemorisedRow).show(grid, record, self.label)

    @property
    def loaded(self) -> bool:
        return all((s.run_id, self.epoch) in self.grids for s in self.sources)

    def action_label(self, delta: int) -> None:
        self.label = (self.label + delta) % max(self.n_labels, 1)
        self._draw()

    def action_samples(self, delta: int) -> None:
        shown = max((r.shown for r in self.query(ClassRow)), default=1) or 1
        self.first_sample = max(0, self.first_sample + delta * shown)
        self._draw()

    def action_epoch(self, delta: int) -> None:
        index = max(0, min(len(self.epochs) - 1, self.epochs.index(self.epoch) + delta))
        if self.epochs[index] != self.epoch:
            self.epoch = self.epochs[index]
            self._fetch(self.epoch)

    def action_close(self) -> None:
        self.dismiss((self.epoch, self.label))
