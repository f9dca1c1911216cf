"""Which samples of a stored sample grid look memorised, and the training image each is nearest to.

The record of one (run, epoch): for every cell of the fixed-noise grid, the index of its nearest
training image in classifier feature space and the distance, whether it is flagged (closer than the
1st percentile of real test images' nearest-training distances: the rule of ``memorised@classifier``),
and for flagged cells the training image itself (a 28 x 28 PNG). The evaluation writes it
(``cgan_tui.gan.metrics.grid_neighbours``) as ``memorised_eNNNN.json`` beside the run's log and
checkpoints; the zoom view and the report read it and draw each flagged sample beside its neighbour.

Why this design (the simplest correct one): the flags need the classifier, the training images'
features and the test distances' percentile, all of which the evaluation holds at that moment (torch,
feature cache), while the UI and the report must not import torch nor load the data set. The grid's
samples are the ones a person looks at, and storing the few flagged neighbours' pixels (hundreds of
bytes each) leaves nothing to recompute. A run-folder file like ``run.log``, not a table: it is one
(run, epoch)'s artifact and needs no schema change. Torch-free (Pillow only).
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import asdict, dataclass

from PIL import Image

from cgan_tui import artifacts
from cgan_tui.grid_tiles import GridImage, compose_tiles

FILE = "memorised_e{epoch:04d}.json"
VERSION = 1


def file_name(epoch: int) -> str:
    return FILE.format(epoch=int(epoch))


@dataclass(frozen=True)
class Neighbour:
    """One grid cell (class ``row``, sample ``col``) and its nearest training image."""

    row: int
    col: int
    train_index: int
    distance: float
    flagged: bool
    train_png: str = ""
    """Base64 PNG of the training image, kept for flagged cells only. ``train_index`` counts within the
    class-balanced training subset the memorisation check embeds (``context.TRAIN_SUBSET`` images)."""

    def train_image(self) -> Image.Image | None:
        if not self.train_png:
            return None
        image = Image.open(io.BytesIO(base64.b64decode(self.train_png)))
        image.load()
        return image.convert("RGB")


@dataclass(frozen=True)
class MemorisedGrid:
    """Every cell of one stored grid with its nearest training image; ``threshold`` is the test images'
    ``quantile`` of nearest-training distances that a flagged cell is below."""

    epoch: int
    threshold: float
    quantile: float
    train_images: int
    cells: tuple[Neighbour, ...]

    def flagged(self, row: int | None = None) -> list[Neighbour]:
        """The flagged cells (of class ``row`` when given), in grid order."""
        return [c for c in self.cells if c.flagged and (row is None or c.row == row)]

    def to_json(self) -> bytes:
        body = {"version": VERSION, **asdict(self), "cells": [asdict(c) for c in self.cells]}
        return json.dumps(body, separators=(",", ":")).encode("utf-8")

    @classmethod
    def from_json(cls, text: str | bytes) -> MemorisedGrid:
        body = json.loads(text)
        cells = tuple(Neighbour(**c) for c in body["cells"])
        return cls(int(body["epoch"]), float(body["threshold"]), float(body["quantile"]),
                   int(body["train_images"]), cells)  # fmt: skip


def png_base64(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def write(artifact_store, run_id: int, grid: MemorisedGrid) -> str:
    """Store the record beside the run's files (atomic); returns its location."""
    location = artifact_store.location(run_id, file_name(grid.epoch))
    artifacts.write_bytes(location, grid.to_json())
    return location


def read(artifact_store, run_id: int, epoch: int) -> MemorisedGrid | None:
    """The record of (run, epoch), or None when there is none (not evaluated, or an unreadable file)."""
    text = artifacts.read_text(artifact_store.location(run_id, file_name(epoch)))
    if not text:
        return None
    try:
        return MemorisedGrid.from_json(text)
    except (ValueError, KeyError, TypeError):
        return None


def pairs_image(grid: GridImage, cells: list[Neighbour], gap: int = 1) -> Image.Image | None:
    """Each flagged sample followed by its nearest training image, left to right (None: no pair)."""
    tiles = []
    for cell in cells:
        train = cell.train_image()
        if train is not None and 0 <= cell.row < grid.rows and 0 <= cell.col < grid.cols:
            tiles += [grid.tile(cell.row, cell.col), train]
    if not tiles:
        return None
    tile_w, tile_h, _ = grid.geometry
    return compose_tiles([tiles], tile_w, tile_h, gap)


def describe(cells: list[Neighbour], threshold: float) -> str:
    """``sample 3 ≈ training #1234 (0.00)``, ...: what a pairs picture shows, in words."""
    pairs = ", ".join(f"sample {c.col + 1} ≈ training #{c.train_index} ({c.distance:.2f})" for c in cells)
    return f"{pairs} (closer than 1% of test images: < {threshold:.2f})"
