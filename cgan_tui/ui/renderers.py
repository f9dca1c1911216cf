"""Which way sample pictures reach the terminal: half-cell blocks, Sixel or Kitty graphics.

``CGAN_TUI_IMAGES`` picks one (``auto`` detects). Detection has to talk to the terminal before Textual
takes stdin over, so ``detect()`` runs once in the CLI before the app starts. Inside tmux:

* Sixel works when tmux itself has it (tmux >= 3.4 built with sixel): tmux then answers the Sixel
  query (DA1) itself, so the ordinary probe finds it.
* Kitty graphics work through tmux's passthrough (``set -g allow-passthrough on``): the query and every
  image upload are wrapped in ``ESC P tmux; ... ESC \\``; the picture is placed with Unicode
  placeholder cells, which tmux positions like text.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from cgan_tui.errors import UserError
from cgan_tui.settings import IMAGES_ENV as ENV_VAR

TMUX_SETTING = "set -g allow-passthrough on"


@dataclass(frozen=True)
class Renderer:
    name: str
    description: str
    widget_class: str | None
    """textual_image.widget class drawing it; None: our own pixel-exact half-cell widget."""


RENDERERS: dict[str, Renderer] = {
    r.name: r
    for r in (
        Renderer("halfcell", "colour half-cell blocks, any terminal", None),
        Renderer("sixel", "Sixel graphics", "SixelImage"),
        Renderer("kitty", "Kitty graphics protocol", "TGPImage"),
    )
}
AUTO = "auto"
ALIASES = {"tgp": "kitty"}  # the name textual-image (and earlier cgan-tui versions) used


def valid_names() -> str:
    return "|".join((AUTO, *RENDERERS))


def parse(value: str | None) -> str:
    """``$CGAN_TUI_IMAGES`` -> ``auto`` or a renderer name; a one-line UserError naming the valid ones."""
    name = (value or AUTO).strip().lower()
    name = ALIASES.get(name, name)
    if name != AUTO and name not in RENDERERS:
        raise UserError(f"{ENV_VAR}={value!r} is not an image renderer; valid: {valid_names()}")
    return name


@dataclass(frozen=True)
class Choice:
    """The renderer in use and why (shown in the footer line of the picture screens)."""

    name: str
    reason: str

    def footer(self) -> str:
        return f"images: {self.name} ({self.reason}) · change: {ENV_VAR}={valid_names()}"


# ---------------------------------------------------------------------------------------- detection
@contextmanager
def tty_hidden_unless_interactive() -> Iterator[None]:
    """Hide stdout's TTY from textual-image's import-time probe when stdin is not a TTY (the probe
    would crash with termios.error)."""
    if sys.stdin is not None and sys.stdin.isatty():
        yield
        return
    saved = sys.__stdout__
    with open(os.devnull, "w") as devnull:
        sys.__stdout__ = devnull  # type: ignore[misc]
        try:
            yield
        finally:
            sys.__stdout__ = saved  # type: ignore[misc]


def graphics_widgets():
    """textual_image.widget, imported (it measures the terminal's cells on import: before Textual starts)."""
    with tty_hidden_unless_interactive():
        import textual_image.widget as tiw
    return tiw


def in_tmux() -> bool:
    return bool(os.environ.get("TMUX"))


def tmux_passthrough_on() -> bool:
    """Whether this tmux forwards passthrough sequences (``allow-passthrough`` on or all; tmux >= 3.3)."""
    try:
        out = subprocess.run(["tmux", "show", "-gv", "allow-passthrough"], capture_output=True, text=True,
                             timeout=2).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return False
    return out in ("on", "all")


def tmux_wrap(sequence: str) -> str:
    """Wrap an escape sequence for tmux passthrough (each ESC inside doubled)."""
    return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def _kitty_query_through_tmux() -> bool:
    from textual_image._terminal import TerminalError, capture_terminal_response

    query = "\x1b_Gi=31,s=1,v=1,a=q,t=d,f=24;AAAA\x1b\\"
    try:
        with capture_terminal_response("\x1b_G", "\x1b\\", timeout=0.2) as response:
            sys.__stdout__.write(tmux_wrap(query))
            sys.__stdout__.flush()
        return response.sequence.rsplit(";", 1)[-1].startswith("OK")
    except (TerminalError, TimeoutError, OSError):
        return False


def _tmux_client_termname() -> str:
    try:
        return subprocess.run(["tmux", "display", "-p", "#{client_termname}"], capture_output=True, text=True,
                              timeout=2).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""


def install_tmux_passthrough() -> None:
    """Make textual-image's Kitty uploads reach the outer terminal through tmux."""
    import textual_image.renderable.tgp as tgp

    original = tgp._send_tgp_message
    if getattr(original, "tmux_wrapped", False):
        return

    def send(*, payload: str | None = None, **kwargs: int | str | None) -> None:
        body = ",".join(f"{k}={v}" for k, v in kwargs.items() if v is not None)
        sys.__stdout__.write(tmux_wrap(f"\x1b_G{body}{';' + payload if payload else ''}\x1b\\"))
        sys.__stdout__.flush()

    send.tmux_wrapped = True  # type: ignore[attr-defined]
    tgp._send_tgp_message = send


def detect() -> Choice:
    """Ask the terminal (through tmux when inside it) what it can draw. Call before Textual starts."""
    interactive = sys.stdin is not None and sys.stdin.isatty() and sys.__stdout__ is not None and sys.__stdout__.isatty()
    if not interactive:
        return Choice("halfcell", "not a terminal")
    import textual_image.renderable as auto  # probes Sixel, then Kitty, at import
    from textual_image.renderable import sixel, tgp

    if auto.Image is sixel.Image:
        return Choice("sixel", "detected" + (" through tmux" if in_tmux() else ""))
    if auto.Image is tgp.Image:
        return Choice("kitty", "detected")
    if not in_tmux():
        return Choice("halfcell", "no Sixel/Kitty graphics detected")
    if not tmux_passthrough_on():
        return Choice("halfcell", f"in tmux; for Kitty graphics: {TMUX_SETTING}")
    if _kitty_query_through_tmux() or any(t in _tmux_client_termname() for t in ("kitty", "ghostty")):
        install_tmux_passthrough()
        return Choice("kitty", "detected through tmux passthrough")
    return Choice("halfcell", "no Sixel/Kitty graphics detected through tmux")


def choose(value: str | None) -> Choice:
    """``$CGAN_TUI_IMAGES`` -> the renderer to use (detecting for ``auto``)."""
    name = parse(value)
    if name == AUTO:
        return detect()
    if name == "kitty" and in_tmux():
        install_tmux_passthrough()
    return Choice(name, f"set by {ENV_VAR}")
