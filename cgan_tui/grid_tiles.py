"""Cut a stored sample grid (PNG bytes, ``rows`` classes x ``cols`` samples) into its tiles with Pillow.

Grids written by training have 1-pixel gaps between tiles (``gan.sampling.sample_grid``), others may
have none; the tile size and gap are recovered from the picture's size and ``rows``/``cols`` so the UI
never needs to know how a grid was made (and never imports torch).
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property

from PIL import Image

from cgan_tui.classes import CLASS_NAMES

MAX_GAP = 4


def class_name(label: int) -> str:
    return CLASS_NAMES[label] if 0 <= label < len(CLASS_NAMES) else f"class {label}"


@dataclass(frozen=True)
class GridImage:
    """One stored grid: the PNG and its layout (row r holds class r, ``cols`` samples each)."""

    png: bytes
    rows: int = 10
    cols: int = 8
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def image(self) -> Image.Image:
        image = Image.open(io.BytesIO(self.png))
        image.load()
        return image.convert("RGB")

    @cached_property
    def geometry(self) -> tuple[int, int, int]:
        """``(tile_w, tile_h, gap)`` in pixels; ValueError when the size does not fit ``rows``x``cols``."""
        width, height = self.image.size
        for gap in range(MAX_GAP + 1):
            w, rw = divmod(width - (self.cols - 1) * gap, self.cols)
            h, rh = divmod(height - (self.rows - 1) * gap, self.rows)
            if rw == rh == 0 and w > 0 and h > 0:
                return w, h, gap
        raise ValueError(f"a {width}x{height} picture is not a {self.rows}x{self.cols} grid of tiles")

    def tile(self, row: int, col: int) -> Image.Image:
        """Sample ``col`` of class ``row``, at its stored resolution."""
        key = (row, col)
        if key not in self._cache:
            w, h, gap = self.geometry
            x, y = col * (w + gap), row * (h + gap)
            self._cache[key] = self.image.crop((x, y, x + w, y + h))
        return self._cache[key]


def compose_tiles(tiles: list[list[Image.Image]], tile_w: int, tile_h: int, gap: int = 1,
                  background: tuple[int, int, int] = (0, 0, 0)) -> Image.Image:  # fmt: skip
    """Rows of tiles -> one picture, each tile resized to ``tile_w`` x ``tile_h`` (Lanczos when shrinking,
    untouched at its own size) with ``gap`` background pixels between tiles."""
    n_rows = len(tiles)
    n_cols = max((len(r) for r in tiles), default=0)
    width = max(n_cols * tile_w + (n_cols - 1) * gap, 1)
    height = max(n_rows * tile_h + (n_rows - 1) * gap, 1)
    out = Image.new("RGB", (width, height), background)
    for r, row in enumerate(tiles):
        for c, tile in enumerate(row):
            if tile.size != (tile_w, tile_h):
                tile = tile.resize((tile_w, tile_h), Image.Resampling.LANCZOS)
            out.paste(tile, (c * (tile_w + gap), r * (tile_h + gap)))
    return out


def with_row_labels(image: Image.Image, labels: list[str], rows: int, title: str = "", scale: int = 1) -> Image.Image:
    """``image`` (``rows`` equal bands, e.g. one class a row) enlarged ``scale`` times (nearest: no blur),
    with each band's label in a white margin on the left and ``title`` above it: a figure a reader can
    read without knowing the class order. Pillow's built-in font, so no font file is needed."""
    from PIL import ImageDraw, ImageFont

    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    band = image.height / max(rows, 1)
    size = max(9, min(16, int(band * 0.45)))
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType sizes
        font = ImageFont.load_default()
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    margin = 6 + max((int(probe.textlength(t, font=font)) for t in labels), default=0)
    top = size + 8 if title else 0
    out = Image.new("RGB", (image.width + margin, image.height + top), (255, 255, 255))
    out.paste(image.convert("RGB"), (margin, top))
    draw = ImageDraw.Draw(out)
    if title:
        draw.text((2, 2), title, fill=(0, 0, 0), font=font)
    for r, text in enumerate(labels[:rows]):
        y = top + int(band * r + band / 2 - size / 2)
        draw.text((2, y), text, fill=(0, 0, 0), font=font)
    return out


def labelled_grid_png(png: bytes, rows: int, title: str = "", labels: list[str] | None = None, scale: int = 1) -> bytes:
    """A stored grid (row r = class r unless ``labels`` says otherwise) as PNG bytes with class names."""
    image = Image.open(io.BytesIO(png))
    image.load()
    names = labels if labels is not None else [class_name(r) for r in range(rows)]
    buf = io.BytesIO()
    with_row_labels(image, names, rows, title, scale).save(buf, format="PNG")
    return buf.getvalue()
