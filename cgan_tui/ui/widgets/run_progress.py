"""One running run: label, a ProgressBar over all its epochs, and epoch/step/img/s/ETA text."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widget import Widget
from textual.widgets import Label, ProgressBar, Static

from cgan_tui.formatting import format_eta
from cgan_tui.safe_text import literal, one_line


def progress_text(row) -> str:
    """``epoch 3/30 step 120/469 · 612 img/s · ETA 12:04`` for a ``runner.queue.QueueRow``."""
    speed = f"{row.images_per_s:.0f} img/s" if row.images_per_s else "— img/s"
    step = f" step {row.current_step}/{row.steps_per_epoch}" if row.steps_per_epoch else ""
    cancel = " · cancelling" if row.cancel_requested else ""
    if row.stale:  # no heartbeat for a while: its worker is probably gone, an ETA would be a guess
        return f"epoch {row.current_epoch}/{row.epochs}{step} · stale? no heartbeat from {row.worker_id}{cancel}"
    return f"epoch {row.current_epoch}/{row.epochs}{step} · {speed} · ETA {format_eta(row.eta_s)}{cancel}"


class RunProgress(Widget):
    """Updated in place from each poll (``update_row``), so the bar animates instead of flickering."""

    def __init__(self, row, **kwargs) -> None:
        super().__init__(**kwargs)
        self.row = row

    def compose(self) -> ComposeResult:
        yield Label(self._label(), classes="run-label")
        yield ProgressBar(total=100, show_eta=False, show_percentage=True)
        yield Static(progress_text(self.row), classes="run-text")

    def on_mount(self) -> None:
        self.update_row(self.row)

    def _label(self) -> Text:
        return literal(one_line(f"run {self.row.id} {self.row.label} ({self.row.model}) {self.row.worker_id or ''}"[:44]))

    def update_row(self, row) -> None:
        """Show ``row``. A poll can arrive between ``mount`` and this widget's compose (the queue screen
        mounts it, the next poll updates it): then only keep the row, ``on_mount`` draws it."""
        self.row = row
        bars = self.query(ProgressBar)
        if not bars:
            return
        bars.first().update(progress=round(100 * row.fraction, 1))
        self.query_one(".run-text", Static).update(progress_text(row))
        self.query_one(".run-label", Label).update(self._label())
