"""The one way the app asks a question: a modal yes/no that dismisses with ``True`` or ``False``."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from cgan_tui.formatting import count
from cgan_tui.safe_text import literal


def quit_question(workers: int) -> tuple[str, str, str, str]:
    """The question ``q`` asks while ``workers`` local workers started here are training, and its three
    buttons (short: the three fit a 70-column terminal): ``ConfirmScreen(question, yes=, no=, stay=)``."""
    one = workers == 1
    them, their, go = ("it", "its run goes", "goes") if one else ("them", "their runs go", "go")
    question = (
        f"{count(workers, 'local worker')} started here {'is' if one else 'are'} running. "
        f"y: stop {them} and quit; {their} back to the queue and restart{'s' if one else ''} from the last "
        f"checkpoint. n: quit and leave {them} running ({'it' if one else 'they'} {go} on without the app; "
        "`cgan-tui queue ls` shows the runs). esc: stay here."
    )
    return question, "Stop, quit", "Quit, leave running", "Stay"


class ConfirmScreen(ModalScreen[bool | None]):
    """``push_screen(ConfirmScreen(question), callback)``: ``y``/enter on Yes answer True; ``n``/escape False.
    With ``stay`` (a third choice: do neither) escape answers None and ``n`` alone False.

    The default button is No (Stay where given): a stray enter keeps things as they are."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "escape", "Stay"),
        Binding("left,right", "app.focus_next", "Other button", show=False),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No", stay: str | None = None) -> None:
        super().__init__()
        self.question = question
        self.yes, self.no, self.stay = yes, no, stay

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(literal(self.question), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{self.yes} (y)", variant="error", id="confirm-yes")
                yield Button(f"{self.no} (n)", variant="primary" if self.stay is None else "warning", id="confirm-no")
                if self.stay is not None:
                    yield Button(f"{self.stay} (esc)", variant="primary", id="confirm-stay")

    def on_mount(self) -> None:
        self.query_one("#confirm-stay" if self.stay is not None else "#confirm-no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss({"confirm-yes": True, "confirm-no": False}.get(event.button.id or ""))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    def action_escape(self) -> None:
        self.dismiss(None if self.stay is not None else False)
