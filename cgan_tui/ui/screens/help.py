"""The help panel (`?` or F1 on every screen): every key of the screen it was opened on.

The footer shows the keys that fit in 80 columns; this panel lists them all, the footer's and the rest
(``show=False`` bindings), the screen's first and then the app's. Keys of the focused widget alone
(a table's cursor movement) are left out: they are the widget's, not the screen's.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def screen_keys(screen: Screen) -> list[tuple[str, str, bool]]:
    """(keys, what they do, from the app) for each action the screen's and the app's classes declare,
    in declaration order; one row per description (``↑↓ Classes``, ``q ^c Quit``)."""
    rows: dict[str, tuple[list[str], bool]] = {}
    for node in (screen, screen.app):
        for binding in declared(node):
            if not binding.description:
                continue
            for key in binding.key.split(","):
                if binding.description == key:  # ``2``..``5`` under ``1-5 Rate``
                    continue
                display = screen.app.get_key_display(replace(binding, key=key.strip()))
                keys, _ = rows.setdefault(binding.description, ([], node is screen.app))
                if not any(_covers(shown, display) for shown in keys):
                    keys[:] = [shown for shown in keys if not _covers(display, shown)] + [display]
    return [(" ".join(keys), description, from_app) for description, (keys, from_app) in rows.items()]


def screen_title(screen: Screen) -> str:
    """``RunDetailScreen`` -> ``run detail``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type(screen).__name__.removesuffix("Screen")).lower()


def _covers(shown: str, display: str) -> bool:
    """``↑↓`` covers ``↓`` and ``[ ]`` covers ``]``; ``^q`` does not cover ``q``."""
    return any(display == part or (not part.isalnum() and not display.isalnum() and display in part)
               for part in shown.split())  # fmt: skip


def declared(node: object) -> list[Binding]:
    """The bindings this app's own classes declare on ``node`` (not Textual's focus and copy keys)."""
    found = []
    for cls in type(node).__mro__:
        if cls.__module__.startswith("cgan_tui."):
            found += [b for b in cls.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
    return found


class HelpScreen(ModalScreen[None]):
    """Opened by the app's ``toggle_help`` over the screen whose keys it lists; any of its keys closes it."""

    BINDINGS = [Binding("escape,question_mark,f1", "dismiss", "Close")]

    def __init__(self, title: str, keys: list[tuple[str, str, bool]]) -> None:
        super().__init__()
        self.title_text = title
        self.keys = keys

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 1))
        for _ in range(2):  # two keys a row: the results screen's keys fit in 24 lines
            table.add_column(justify="right", style="bold")
            table.add_column(width=18)
        for group in (False, True):
            cells = [(Text(keys), Text(what)) for keys, what, from_app in self.keys if from_app is group]
            if group and cells:
                table.add_row("", Text("everywhere", style="dim"))
            for i in range(0, len(cells), 2):
                table.add_row(*cells[i], *(cells[i + 1] if i + 1 < len(cells) else ("", "")))
        with VerticalScroll(id="help-box"):
            yield Static(Text(f"keys: {self.title_text}  (esc, ? or F1 closes)", style="bold"), id="help-title")
            yield Static(table, id="help-keys")
