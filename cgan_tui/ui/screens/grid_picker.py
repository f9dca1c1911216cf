"""Load a grid file (grids/*.toml) and queue every run of it in one action."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from cgan_tui.errors import UserError
from cgan_tui.formatting import count
from cgan_tui.safe_text import literal
from cgan_tui.ui.background import ReportsWorkerErrors, background


def shown_dir(path: Path | str) -> str:
    """The grids folder as the user would type it: relative to the working directory when inside it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def describe(path: Path) -> str:
    """``seed000.toml — 24 runs — the 4 losses x 2 dims study``, or the file's problem."""
    from cgan_tui.config import load_grid

    try:
        spec = load_grid(path)
        n = len(spec.expand())
    except UserError as exc:
        return f"{path.name} — invalid: {exc}"
    text = f"{path.name} — {spec.name}: {count(n, 'run')}"
    return f"{text} — {spec.description}" if spec.description else text


class GridPickerScreen(ReportsWorkerErrors, ModalScreen[list]):
    """Dismisses with the new run ids; a bad grid shows its one-line error and queues nothing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def compose(self) -> ComposeResult:
        self.files = self.app.services.grid_files()
        with Vertical(id="picker"):
            yield Static(literal(f"queue every run of a grid file ({shown_dir(self.app.services.grids_dir)}/*.toml); enter queues"))
            if self.files:
                yield OptionList(*[Option(literal(describe(p)), id=str(i)) for i, p in enumerate(self.files)])
            else:
                yield Static(literal(f"no grid files in {self.app.services.grids_dir.resolve()}"))
            yield Static("", id="grid-cost")
            yield Static("", id="form-error")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        path = self.files[int(event.option.id or 0)]
        self.query_one("#grid-cost", Static).update(literal(f"{path.name}: measuring a few training steps for the estimate …"))
        self._estimate(path)

    @background("not queued", exclusive=True, group="grid-submit")
    def _estimate(self, path: Path) -> None:
        cost = self.app.services.grid_cost(path)
        text = cost.get("text") or cost.get("error", "")
        self.app.call_from_thread(self.query_one("#grid-cost", Static).update, literal(text))
        if cost.get("confirm"):
            self.app.call_from_thread(self._ask, path, f"{text}\n\nThat is over {cost['limit']}. Queue it?")
            return
        self._enqueue_now(path)

    def _ask(self, path: Path, question: str) -> None:
        from cgan_tui.ui.screens.confirm import ConfirmScreen

        self.app.push_screen(ConfirmScreen(question, yes="Queue it", no="Not now"),
                             lambda yes: self._enqueue(path) if yes else None)  # fmt: skip

    @background("not queued", exclusive=True, group="grid-submit")
    def _enqueue(self, path: Path) -> None:
        self._enqueue_now(path)

    def _enqueue_now(self, path: Path) -> None:
        self.app.call_from_thread(self.dismiss, self.app.services.enqueue_grid(path))

    def show_error(self, line: str) -> None:
        """The list stays open: choose the file again to retry."""
        self.query_one("#form-error", Static).update(literal(line))

    def action_cancel(self) -> None:
        self.dismiss(None)
