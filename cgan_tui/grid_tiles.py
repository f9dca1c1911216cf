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
