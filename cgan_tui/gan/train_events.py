"""What ``train()`` tells its caller: progress, epoch ends, checkpoints, the result, divergence.

Plain dataclasses and callbacks with no torch import, so the loop, the GAN step and the caller's
recorder share them without importing one another (``cgan_tui.gan.training`` re-exports them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


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
    values: Mapping[str, float] | None = None
    """A trainer whose values are not just ``g_loss`` and ``d_loss`` (diffusion, ...): the latest
    of each of its values this epoch, this step's first (``g_loss``/``d_loss`` are NaN then)."""


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
    sample_images_per_s: float | None = None
    """Images per second the sampler made the fixed-noise grid at (its generation only, not PNG)."""
    values: Mapping[str, float] | None = None
    """A trainer whose values are not just ``g_loss`` and ``d_loss``: epoch means of its values,
    stored instead of ``g_loss``/``d_loss`` (which are NaN then); ``not_applicable`` says why those
    do not exist."""
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    step_values: Mapping[str, Sequence[float]] = field(default_factory=dict, repr=False)
    """Step curves: per value (``g_loss``/``d_loss`` or the family's own), its mean over each
    ``step_every`` steps of this epoch (the last window may be shorter; NaN where a window had no
    such step, e.g. ``g_loss`` under ``n_critic`` > ``step_every``). Empty when not recorded."""
    step_every: int = 0
    epoch_steps: int = 0
    """Steps in this epoch: point ``i`` ends at step ``min((i + 1) * step_every, epoch_steps)``."""


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
    precision: str = "fp32"  # what the run trained in (``auto`` resolved; see gan.precision)
    precision_reason: str = ""
