"""Messages thread workers post back to the UI: small dataclasses, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from cgan_tui.grid_tiles import GridImage


@dataclass
class StoreFailed(Message):
    """The database cannot be used (empty path, locked, newer schema, corrupt): show why."""

    error: str


@dataclass
class PluginsLoaded(Message):
    """The plugin registries are ready (loaded in a background thread at start-up)."""

    registries: Any


@dataclass
class ResultsLoaded(Message):
    """A fresh read of the results model."""

    rows: list
    status_counts: dict[str, int] = field(default_factory=dict)
    complete: bool = True  # False: only the first screenful of the first read; the rest follows


@dataclass
class QueueLoaded(Message):
    """Queued and running runs."""

    rows: list
    workers: int = 0


@dataclass
class RunLoaded(Message):
    """Everything the run-detail screen shows about one run (grids are fetched per epoch)."""

    run: Any
    epochs: list
    metrics: list
    grid_epochs: list[int]
    checkpoints: list
    log: str
    label: Any = None  # the run's note, tags and archived flag (``cgan_tui.labels.Label``)
    steps: dict = field(default_factory=dict)  # value name -> ``StepCurve`` (step-level losses)


@dataclass
class GridLoaded(Message):
    """One run's sample grid at one epoch (None when that epoch has no grid)."""

    run_id: int
    epoch: int
    grid: GridImage | None


@dataclass
class Notice(Message):
    """A one-line message for the user (errors from actions included)."""

    text: str
    severity: str = "information"
