"""Load a grid file (grids/*.toml) and queue every run of it in one action."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cgan_tui.errors import UserError
from cgan_tui.safe_text import literal


def describe(path: Path) -> str:
    """``seed000.toml — 24 runs — the 4 losses x 2 dims study``, or the file's problem."""
    from cgan_tui.config import load_grid

    try:
        spec = load_grid(path)
        n = len(spec.expand())
    except UserError as exc:
        return f"{path.name} — invalid: {exc}"
    text = f"{path.name} — {spec.name}: {n} runs"
    return f"{text} — {spec.description}" if spec.description else text


class GridPickerScreen(ModalScreen[list]):
    """Dismisses with the new run ids; a bad grid shows its one-line error and queues nothing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        self.files = self.app.services.grid_files()
        with Vertical(id="picker"):
            yield Static(literal(f"queue every run of a grid file ({self.app.services.grids_dir}/*.toml); enter queues"))
            if self.files:
                yield OptionList(*[Option(literal(describe(p)), id=str(i)) for i, p in enumerate(self.files)])
            else:
                yield Static(literal(f"no grid files in {self.app.services.grids_dir.resolve()}"))
            yield Static("", id="grid-cost")
            yield Static("", id="form-error")

    confirmed: Path | None = None
    """The grid whose estimate was shown and is over the limit: a second enter on it queues it."""

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        path = self.files[int(event.option.id or 0)]
        if path == self.confirmed:
            self._enqueue(path)
            return
        self.query_one("#grid-cost", Static).update(literal(f"{path.name}: measuring a few training steps for the estimate …"))
        self._estimate(path)

    @work(thread=True, exclusive=True, group="grid-submit")
    def _estimate(self, path: Path) -> None:
        cost = self.app.services.grid_cost(path)
        text = cost.get("text") or cost.get("error", "")
        if cost.get("confirm"):
            self.confirmed = path
            text += f"\nover {cost['limit']}: press enter again to queue it, escape to cancel"
            self.app.call_from_thread(self.query_one("#grid-cost", Static).update, literal(text))
            return
        self.app.call_from_thread(self.query_one("#grid-cost", Static).update, literal(text))
        self._enqueue_now(path)

    @work(thread=True, exclusive=True, group="grid-submit")
    def _enqueue(self, path: Path) -> None:
        self._enqueue_now(path)

    def _enqueue_now(self, path: Path) -> None:
        try:
            ids = self.app.services.enqueue_grid(path)
        except UserError as exc:  # the list stays open: choose the file again to retry
            self.app.call_from_thread(self.query_one("#form-error", Static).update, literal(f"not queued: {exc}"))
            return
        except Exception as exc:  # noqa: BLE001 - report, never crash the app
            self.app.call_from_thread(
                self.query_one("#form-error", Static).update, literal(f"not queued: {type(exc).__name__}: {exc}")
            )
            return
        self.app.call_from_thread(self.dismiss, ids)

    def action_cancel(self) -> None:
        self.dismiss(None)
