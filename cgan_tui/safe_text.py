"""User text shown as the characters it is: the one home of escaping for Rich, Textual, terminals and Markdown.

Names, labels, filters, notes, stored errors, plugin messages and log lines come from users, plugins and
other machines. Rich and Textual read ``[...]`` as markup (``[/bold]`` with no opener raises
``MarkupError``), a terminal obeys control characters, and Markdown and HTML read ``|``, ``<`` and newlines.
Every place that draws such text goes through here (never a markup string with user text inside: Rich
and Textual read backslashes before ``[`` differently, so no one escape serves both):

* ``literal(text)``: a Rich ``Text`` that is never parsed (TUI widgets, table cells, toasts);
* ``plain_console(...)``: a Rich console for the CLI that never reads markup in what it prints;
* ``visible(text)``: a string with control characters shown, for text that is not markup anyway;
* ``one_line(text)``: a table cell's text on one line (newlines shown as ``⏎``);
* ``markdown_text`` / ``markdown_fence``: text for report.md (report.html uses ``html.escape``).
"""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text

NEWLINE_MARK = " ⏎ "
"""What a newline in a one-line cell shows as."""
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]|])")
_MARKDOWN_PROSE = re.compile(r"([\\*\[\]|])")  # as above, backticks kept for our own code spans


def visible(text: object) -> str:
    """Control characters (ESC, BEL, CR, ...) as ``\\x1b``: a stored string cannot drive the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def literal(text: object, style: str = "", **kwargs: Any) -> Text:
    """``text`` as a Rich ``Text`` drawn exactly as typed (no markup read), control characters made visible."""
    return Text(visible(str(text)), style=style, **kwargs)


def one_line(text: object) -> str:
    """``text`` on one line for a table cell: newlines as ``⏎``, control characters visible."""
    return visible(str(text).replace("\r\n", "\n").replace("\n", NEWLINE_MARK))


def plain_console(**kwargs: Any):
    """A Rich ``Console`` that prints strings (and table cells) as they are: markup and emoji codes off."""
    from rich.console import Console

    return Console(markup=False, emoji=False, highlight=False, **kwargs)


def markdown_text(text: object, code: bool = False) -> str:
    """``text`` for a Markdown line or table cell: ``\\ ` * [ ] |`` backslash-escaped, ``& < >`` as entities,
    newlines as ``<br>``. ``code=True`` keeps our own `` `command` `` spans (paragraphs we write)."""
    value = visible(str(text).replace("\r\n", "\n"))
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (_MARKDOWN_PROSE if code else _MARKDOWN_SPECIAL).sub(r"\\\1", value).replace("\n", "<br>")


def markdown_fence(text: str, info: str = "") -> list[str]:
    """A fenced code block holding ``text`` verbatim: the fence is longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + info, text, fence]


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                 "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\textless{}",
                 ">": r"\textgreater{}", "|": r"\textbar{}"}  # fmt: skip
"""The characters LaTeX reads as commands in text (and ``< > |``, which the default font encoding prints as
other glyphs), and how each is written to print as itself."""


def latex_text(text: object) -> str:
    """``text`` for LaTeX body text or a table cell: each of ``\\ & % $ # _ { } ~ ^`` escaped in one pass (so
    an escape is never escaped again), on one line, control characters made visible."""
    return "".join(LATEX_SPECIAL.get(ch, ch) for ch in one_line(text))


__all__ = ["NEWLINE_MARK", "visible", "literal", "latex_text", "markdown_fence", "markdown_text", "one_line",
           "plain_console"]
