"""``train()``: a plain function that trains one conditional GAN and reports through callbacks.

It knows nothing of databases or screens: the CLI prints progress, the worker writes rows. It is
deterministic for a given seed on CPU, resumes bit-exactly from an epoch checkpoint, and stops with
``Diverged`` on a NaN/inf loss, leaving the last good checkpoint in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from cgan_tui.config import RunConfig


class Diverged(RuntimeError):
    """A loss became NaN or infinite; ``epoch`` is the epoch it happened in."""

    def __init__(self, message: str, epoch: int) -> None:
        super().__init__(message)
        self.epoch = epoch


@dataclass(frozen=True)
class Progress:
    """Sent every few steps: where the run is and how fast it goes."""

    epoch: int  # 1-based epoch in progress
    step: int  # steps done in this epoch
    steps_per_epoch: int
    images_per_s: float
    g_loss: float
    d_loss: float


@dataclass(frozen=True)
class EpochEnd:
    """Sent after every epoch. ``generator`` is the live model (eval mode while callbacks run)."""

    epoch: int
    g_loss: float
    d_loss: float
    seconds: float
    images_per_s: float
    images_seen: int
    grid_png: bytes
    grid_rows: int
    grid_cols: int
    generator: object = field(repr=False, compare=False, default=None)
    is_checkpoint_epoch: bool = False


@dataclass(frozen=True)
class CheckpointSaved:
    epoch: int
    path: Path
    kind: str  # "milestone" (kept) or "last" (overwritten every epoch, for resume)


@dataclass
class TrainCallbacks:
    """Hooks the caller plugs in; all optional. ``should_stop`` is polled every step."""

    on_progress: Callable[[Progress], None] = lambda p: None
    on_epoch_end: Callable[[EpochEnd], None] = lambda e: None
    on_checkpoint: Callable[[CheckpointSaved], None] = lambda c: None
    should_stop: Callable[[], bool] = lambda: False
    progress_every: int = 10


@dataclass(frozen=True)
class TrainResult:
    epochs_done: int  # last fully completed epoch
    stopped: bool  # should_stop() ended it early
    device: str
    last_checkpoint: Path | None


def train(
    config: RunConfig,
    registries,  # cgan_tui.plugins.Registries
    checkpoint_dir: Path,
    callbacks: TrainCallbacks | None = None,
    resume_from: Path | None = None,
    data=None,  # cgan_tui.gan.data.ImageData; loaded from config.data_dir when None
) -> TrainResult:
    """Train ``config`` (already ``resolve()``d) and return how far it got. Raises ``Diverged``."""
    raise NotImplementedError  # implemented by the engine work
