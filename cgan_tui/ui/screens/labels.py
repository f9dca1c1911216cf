"""The label editor: a run's free-text note and its tags, in a small modal (``n`` on the run detail screen).

Dismisses with (note, tags) once both pass ``cgan_tui.labels``' rules, None on escape; a bad tag or an
over-long note is shown under the inputs and nothing is saved. What is typed is shown as typed, never
read as markup.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from cgan_tui.errors import UserError
from cgan_tui.labels import NOTE_MAX, TAG_RULE, Label, check_note, parse_tags
from cgan_tui.safe_text import literal, one_line


class LabelsScreen(ModalScreen["tuple[str, tuple[str, ...]] | None"]):
    """Edit one run's note and tags; enter saves (from either input), escape leaves them as they were."""

    DEFAULT_CSS = """
    LabelsScreen #labels-box {
        width: 80;
        max-width: 100%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 0 1;
    }
    LabelsScreen #labels-error {
        color: $error;
        height: auto;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, run_id: int, title: str, label: Label) -> None:
        super().__init__()
        self.run_id = run_id
        self.run_title = title
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical(id="labels-box"):
            yield Static(literal(one_line(f"run {self.run_id} {self.run_title}: note and tags"), style="bold"))
            yield Static(f"note (at most {NOTE_MAX} characters)")
            yield Input(self.label.note, placeholder="what you want to remember about this run", id="labels-note")
            yield Static(f"tags, space or comma separated ({TAG_RULE})")
            yield Input(" ".join(self.label.tags), placeholder="best baseline", id="labels-tags")
            yield Static("", id="labels-error")
            yield Static("enter saves · escape cancels · filter the results with tag:NAME", classes="dim")

    def on_mount(self) -> None:
        self.query_one("#labels-note", Input).focus()

    @on(Input.Submitted)
    def _save(self, _event: Input.Submitted) -> None:
        try:
            note = check_note(self.query_one("#labels-note", Input).value)
            tags = parse_tags(self.query_one("#labels-tags", Input).value)
        except UserError as exc:
            self.query_one("#labels-error", Static).update(literal(str(exc)))
            return
        self.dismiss((note, tags))

    def action_cancel(self) -> None:
        self.dismiss(None)
