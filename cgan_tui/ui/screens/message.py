"""A full-screen explanation instead of a crash: empty path, locked, newer-schema or corrupt database."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Footer, Static

from cgan_tui.safe_text import literal

HINT = (
    "Nothing was changed. Start cgan-tui with another database (--db PATH or $CGAN_TUI_DB), "
    "or fix the problem above and start it again."
)


class MessageScreen(Screen):
    """Shows one problem in words and the way out; the only key that matters is quit."""

    BINDINGS = [Binding("q", "app.quit", "Quit"), Binding("escape", "app.quit", "Quit", show=False)]

    def __init__(self, text: str, title: str = "cgan-tui cannot use this database", hint: str = HINT) -> None:
        super().__init__()
        self.text = text
        self.title_text = title
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Middle():
            with Center():
                yield Static(Text.assemble(literal(self.title_text, "bold"), "\n\n", literal(self.text), "\n\n",
                                           literal(self.hint, "dim")), id="message-box")  # fmt: skip
        yield Footer()

