"""A picture drawn at exactly one image pixel per half-cell, or handed to the terminal's graphics.

``HalfcellPicture`` is our own renderer: each cell is ``▀`` with the upper pixel as foreground and the
lower one as background, no resampling, so what is on screen is the stored PNG pixel for pixel (and
snapshots are identical everywhere). Sixel/Kitty pictures use textual-image widgets laid out on the
same cell grid (1 column, 2 rows of pixels per cell); the terminal draws them at its own resolution.
"""

from __future__ import annotations

from PIL import Image
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from cgan_tui.ui.renderers import RENDERERS, graphics_widgets

UPPER_HALF = "▀"
BLACK = (0, 0, 0)


def halfcell_strips(image: Image.Image) -> list[Strip]:
    """One Strip per two pixel rows; an odd last row gets a black lower half."""
    rgb = image.convert("RGB")
    width, height = rgb.size
    pixels = rgb.load()
    styles: dict[tuple, Style] = {}
    strips = []
    for y in range(0, height, 2):
        segments = []
        for x in range(width):
            key = (pixels[x, y], pixels[x, y + 1] if y + 1 < height else BLACK)
            style = styles.get(key)
            if style is None:
                style = styles[key] = Style(color=Color.from_rgb(*key[0]), bgcolor=Color.from_rgb(*key[1]))
            segments.append(Segment(UPPER_HALF, style))
        strips.append(Strip(Segment.simplify(segments), width))
    return strips


def cells_for(image: Image.Image | None) -> tuple[int, int]:
    """(columns, rows) an image takes on the half-cell grid."""
    if image is None:
        return 0, 0
    return image.width, (image.height + 1) // 2


class HalfcellPicture(Widget):
    """Sized to its picture; ``image = PIL image`` redraws it."""

    DEFAULT_CSS = "HalfcellPicture { width: auto; height: auto; }"

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._image: Image.Image | None = None
        self._strips: list[Strip] = []

    @property
    def image(self) -> Image.Image | None:
        return self._image

    @image.setter
    def image(self, image: Image.Image | None) -> None:
        self._image = image
        self._strips = halfcell_strips(image) if image is not None else []
        self.refresh(layout=True)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return cells_for(self._image)[0]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return cells_for(self._image)[1]

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y].crop(0, self.size.width)
        return Strip.blank(self.size.width)


def make_picture(renderer: str, **kwargs) -> Widget:
    """The picture widget for a renderer name (``RENDERERS``); pictures are set with ``set_picture``."""
    widget_class = RENDERERS[renderer].widget_class
    if widget_class is None:
        return HalfcellPicture(**kwargs)
    return getattr(graphics_widgets(), widget_class)(**kwargs)


def set_picture(widget: Widget, image: Image.Image | None) -> None:
    """Show ``image`` at one pixel per half-cell's worth of cell (graphics widgets: same cell box)."""
    if not isinstance(widget, HalfcellPicture):
        columns, rows = cells_for(image)
        widget.styles.width = columns
        widget.styles.height = rows
        widget.display = image is not None
    widget.image = image  # type: ignore[attr-defined]
