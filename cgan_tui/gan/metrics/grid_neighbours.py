"""The nearest training image of every sample of a stored grid, flagged by the rule of ``memorised``.

Called by the evaluation hook after ``memorised@classifier`` was computed, with the same
``MetricContext``: the classifier, the training features and the test images' nearest-training
distances are already there (cached), so the grid costs one classifier pass over its 10 x cols tiles.
The tiles are read back from the stored PNG (``cgan_tui.grid_tiles``), so the record describes exactly
the pictures the zoom view and the report show. See ``cgan_tui.memorised`` for the record and why.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from cgan_tui.gan.metrics.context import MetricContext
from cgan_tui.gan.metrics.memorisation import MEMORISED_QUANTILE, real_nearest
from cgan_tui.grid_tiles import GridImage
from cgan_tui.memorised import MemorisedGrid, Neighbour, png_base64


def grid_tensor(grid: GridImage, size: int = 28) -> torch.Tensor:
    """The grid's tiles as uint8 ``(rows * cols, 1, size, size)``, row-major (class r, sample c)."""
    tiles = []
    for r in range(grid.rows):
        for c in range(grid.cols):
            tile = grid.tile(r, c).convert("L")
            if tile.size != (size, size):
                tile = tile.resize((size, size), Image.Resampling.BILINEAR)
            tiles.append(np.asarray(tile, dtype=np.uint8))
    return torch.from_numpy(np.stack(tiles)).unsqueeze(1)


def nearest_with_index(x: torch.Tensor, reference: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Distance to, and index of, each row's nearest row of ``reference`` (float32; exact differences, not
    the matrix-product shortcut, whose rounding puts an identical image ~0.01 away: a grid is small)."""
    d = torch.cdist(x.detach().float().cpu(), reference.detach().float().cpu(), compute_mode="donot_use_mm_for_euclid_dist")
    values, index = d.min(dim=1)
    return values, index


def grid_neighbours(ctx: MetricContext, png: bytes, rows: int, cols: int, epoch: int) -> MemorisedGrid:
    """Every grid cell with its nearest training image; flagged cells carry that image's pixels."""
    grid = GridImage(png, rows, cols)
    train = ctx.train_features("classifier")
    threshold = float(torch.quantile(real_nearest(ctx, "classifier", train).double(), MEMORISED_QUANTILE))
    feats = ctx.extractor("classifier")(grid_tensor(grid)).float()
    dist, index = nearest_with_index(feats, train)
    cells = []
    for i, (d, j) in enumerate(zip(dist.tolist(), index.tolist(), strict=True)):
        flagged = d < threshold
        png_b64 = png_base64(Image.fromarray(ctx.train.images[j, 0].cpu().numpy())) if flagged else ""
        cells.append(Neighbour(i // cols, i % cols, int(j), float(d), bool(flagged), png_b64))
    return MemorisedGrid(int(epoch), threshold, MEMORISED_QUANTILE, len(train), tuple(cells))
