"""A fixed-noise sample grid (PNG bytes) drawn as a terminal image.

``auto`` picks Kitty/Sixel where the terminal has them and half-cell blocks otherwise (textual-image);
``halfcell``/``unicode`` force a renderer so snapshots are stable. textual-image probes the terminal
when imported: that must happen before Textual starts, and with the TTY hidden when stdin is not a
TTY (the probe would crash with termios.error), see ``preload_image_support``.
"""

from __future__ import annotations

import io
import os
import sys
from contextlib import contextmanager
from typing import Iterator

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static

RENDERERS = {
    "auto": "Image",
    "halfcell": "HalfcellImage",
    "unicode": "UnicodeImage",
    "sixel": "SixelImage",
    "tgp": "TGPImage",
}
"""``Services.image_renderer`` value -> textual_image.widget class name."""


@contextmanager
def _tty_hidden_unless_interactive() -> Iterator[None]:
    """Hide stdout's TTY from textual-image's import-time probe when stdin is not a TTY."""
    interactive = sys.stdin is not None and sys.stdin.isatty()
    if interactive:
        yield
        return
    saved = sys.__stdout__
    with open(os.devnull, "w") as devnull:
        sys.__stdout__ = devnull  # type: ignore[misc]
        try:
            yield
        finally:
            sys.__stdout__ = saved  # type: ignore[misc]


def preload_image_support() -> None:
    """Import textual-image (and let it probe the terminal) before the app starts."""
    with _tty_hidden_unless_interactive():
        import textual_image.widget  # noqa: F401


def image_class(renderer: str) -> type[Widget]:
    if renderer not in RENDERERS:
        from cgan_tui.errors import UserError

        raise UserError(f"unknown image renderer {renderer!r}; valid: {', '.join(RENDERERS)}")
    with _tty_hidden_unless_interactive():
        import textual_image.widget as tiw
    return getattr(tiw, RENDERERS[renderer])


def decode_png(png: bytes):
    """PNG bytes -> a PIL image in RGB (PIL is torch-free)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


class SampleGrid(Vertical):
    """Caption plus the image; ``show(png, caption)`` swaps the picture without rebuilding the widget."""

    def __init__(self, renderer: str = "auto", **kwargs) -> None:
        super().__init__(**kwargs)
        self.renderer = renderer
        self.png: bytes | None = None

    def compose(self) -> ComposeResult:
        yield Static("no sample grid yet", classes="grid-caption")
        yield image_class(self.renderer)(classes="grid-image")

    def show(self, png: bytes | None, caption: str) -> None:
        self.png = png
        self.query_one(".grid-caption", Static).update(caption)
        image = self.query_one(".grid-image")
        image.image = decode_png(png) if png else None  # type: ignore[attr-defined]
