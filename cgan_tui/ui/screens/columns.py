"""Column chooser: tick the columns the results table shows."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, SelectionList, Static

from cgan_tui.results import Column
from cgan_tui.safe_text import literal, one_line

ALWAYS = {"run_id"}


class ColumnsScreen(ModalScreen[set]):
    """Dismisses with the set of hidden column keys (escape/enter apply)."""

    BINDINGS = [Binding("escape", "apply", "Apply"), Binding("enter", "apply", "Apply", show=False)]

    def __init__(self, columns: list[Column], hidden: set[str]) -> None:
        super().__init__()
        self.columns = [c for c in columns if c.key not in ALWAYS]
        self.hidden = set(hidden)

    def compose(self) -> ComposeResult:
        with Vertical(id="columns-box"):
            yield Static("columns (space toggles, escape applies)")
            yield SelectionList[str](*[(literal(one_line(c.title)), c.key, c.key not in self.hidden)
                                 for c in self.columns])
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def action_apply(self) -> None:
        shown = set(self.query_one(SelectionList).selected)
        self.dismiss({c.key for c in self.columns if c.key not in shown})
