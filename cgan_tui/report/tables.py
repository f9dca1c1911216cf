"""The report's building blocks: cells, tables, figures and blocks, and the value cell of one model
(shared by the models table and the conclusions, ``report.conclusions``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cgan_tui import results

BEST = "★"


@dataclass
class Cell:
    text: str
    key: str | None = None
    value: float | None = None
    run: int | None = None
    epoch: int | None = None
    best: bool = False
    numeric: bool = True
    n: int | None = None


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[Cell]]
    row_classes: list[str] = field(default_factory=list)


@dataclass
class Figure:
    name: str  # file name in report_figures/
    png: bytes
    caption: str
    zoom: int = 1
    """Shown this many times its pixel size in HTML (sharp, ``image-rendering: pixelated``): sample grids
    are embedded as stored, 4x smaller than an enlarged copy."""


@dataclass
class Block:
    kind: str  # h1 | h2 | h3 | p | callout | table | figure | grids | pre
    content: Any


def value_cell(row, key: str, best: set[tuple[int, int]]) -> Cell:
    value = row.get(key)
    n = row.n_samples.get(key) if value is not None else None
    return Cell(results.format_value(value, key), key=key, value=value, run=row.run_id, epoch=row.epoch,
                best=(row.run_id, row.epoch) in best, n=n)  # fmt: skip


def best_models(rows, key: str, better: str | None) -> set[tuple[int, int]]:
    """Models with the best value of ``key`` among those at the column's most common n (never across n)."""
    present = [r for r in rows if r.get(key) is not None]
    if better not in ("lower", "higher") or len(present) < 2:
        return set()
    counts: dict[int | None, int] = {}
    for r in present:
        counts[r.n_samples.get(key)] = counts.get(r.n_samples.get(key), 0) + 1
    n = max(counts, key=lambda k: (counts[k], k or 0))
    same = [r for r in present if r.n_samples.get(key) == n]
    target = min(r.get(key) for r in same) if better == "lower" else max(r.get(key) for r in same)
    return {(r.run_id, r.epoch) for r in same if r.get(key) == target}
