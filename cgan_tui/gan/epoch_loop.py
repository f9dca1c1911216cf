"""The one epoch loop that trains every model family through its ``FamilyTrainer``.

It owns what makes runs comparable and recoverable, once for all families: the data order (one
permutation stream, the same flips), the batch, timing and image counts, progress and
``should_stop`` every step, the ``Diverged`` check, CUDA sync, atomic ``last.pt``/milestone
checkpoints written before the epoch is reported, the fixed-noise grid and the epoch callbacks
(evaluation) with the RNG forked so they never shift the training stream. The trainer owns the
step: the built-in ``GanTrainer`` for G/D families, a plugin's own for the others.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from cgan_tui.atomic import atomic_write_bytes
from cgan_tui.gan.checkpoint_file import read_checkpoint
from cgan_tui.gan.checkpoint_state import checkpoint_bytes, restore_rng, trainer_state
from cgan_tui.gan.step_curves import StepCurves, StepMarks, step_window
from cgan_tui.gan.train_events import CheckpointSaved, Diverged, EpochEnd, Progress, TrainCallbacks, TrainResult
from cgan_tui.gan.trainer import FamilyTrainer
from cgan_tui.run_config import RunConfig

if TYPE_CHECKING:
    from cgan_tui.gan.data import ImageData

GD = frozenset({"g_loss", "d_loss"})
"""A trainer reporting exactly these is shown as a GAN (``g_loss``/``d_loss`` fields, no ``values``)."""
NAN = float("nan")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def batch(data, idx: torch.Tensor, hflip: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``idx`` of ``data`` scaled to [-1, 1] (randomly mirrored with ``hflip``) and their labels:
    the batch every family's training step gets, adversarial or not."""
    real = data.images[idx].float().div_(127.5).sub_(1.0)
    if hflip:
        flip = torch.rand(real.shape[0], device=real.device) < 0.5
        real = torch.where(flip[:, None, None, None], real.flip(-1), real)
    return real, data.labels[idx]


@dataclass(frozen=True)
class EpochStats:
    """One finished epoch: the means of the trainer's values, its wall time and images, and the step
    curves (each value's mean over every K steps, ``gan.step_curves``)."""

    means: Mapping[str, float]
    seconds: float
    images: int
    curves: StepCurves = field(default_factory=lambda: StepCurves({}, 0, 0))


@dataclass
class EpochLoop:
    """Trains ``trainer`` on ``data`` from epoch ``epoch + 1`` to ``config.epochs``.

    ``adversarial`` picks the checkpoint layout (``gan.checkpoint_state``); ``precision`` is what
    the run reports it trained in; ``not_applicable`` goes with every epoch (values that do not
    exist for the family, and why)."""

    config: RunConfig
    trainer: FamilyTrainer
    data: ImageData  # on ``device``
    device: torch.device
    checkpoint_dir: Path
    callbacks: TrainCallbacks
    adversarial: bool
    precision: tuple[str, str]
    not_applicable: Mapping[str, str] = field(default_factory=dict)
    epoch: int = 0
    images_seen: int = 0
    perm_gen: torch.Generator = field(init=False)

    def __post_init__(self) -> None:
        self.perm_gen = torch.Generator().manual_seed(self.config.seed)

    def resume(self, path: Path) -> None:
        """Continue from checkpoint ``path``: the trainer's state, counters and RNG streams."""
        ckpt = read_checkpoint(Path(path), "cpu")
        self.trainer.load_state_dict(trainer_state(ckpt))
        self.epoch = int(ckpt["epoch"])
        self.images_seen = int(ckpt.get("images_seen", 0))
        restore_rng(ckpt["rng"], self.perm_gen, self.device)

    def run(self, last: Path | None = None) -> TrainResult:
        """A stop check before each epoch, the epoch (None when a stop interrupted it), then
        checkpoint, grid and callbacks. ``last`` is the checkpoint resumed from, if any."""
        for epoch in range(self.epoch + 1, self.config.epochs + 1):
            if self.callbacks.should_stop():
                return self._result(True, last)
            stats = self._run_epoch(epoch)
            if stats is None:
                return self._result(True, last)
            self.epoch = epoch
            last = self._epoch_end(epoch, stats)
        return self._result(False, last)

    def _result(self, stopped: bool, last: Path | None) -> TrainResult:
        return TrainResult(self.epoch, stopped, str(self.device), last, *self.precision)

    def _run_epoch(self, epoch: int) -> EpochStats | None:
        """One pass over the data; None when ``should_stop`` interrupted it."""
        cfg, device, cb, trainer = self.config, self.device, self.callbacks, self.trainer
        n = len(self.data)
        bs = min(cfg.batch_size, n)
        steps = math.ceil(n / bs)
        perm = torch.randperm(n, generator=self.perm_gen).to(device)
        start_epoch = getattr(trainer, "start_epoch", None)
        if start_epoch is not None:
            start_epoch(epoch)
        sums: dict[str, torch.Tensor] = {}
        counts: dict[str, int] = {}
        latest: dict[str, torch.Tensor] = {}  # progress: a value a step did not report keeps its last
        images = 0
        start = time.perf_counter()
        every = max(1, int(cb.progress_every))
        marks = StepMarks(step_window(cfg.log_every, steps), steps)
        for step in range(steps):
            if cb.should_stop():
                return None
            real, labels = batch(self.data, perm[step * bs : (step + 1) * bs], cfg.hflip)
            values = trainer.train_step(real, labels)
            for name, value in values.items():
                value = value.detach().float()
                sums[name] = sums[name] + value if name in sums else torch.zeros((), device=device) + value
                counts[name] = counts.get(name, 0) + 1
                latest[name] = value
            images += real.shape[0]
            marks.after_step(step + 1, sums, counts)
            if (step + 1) % every == 0:
                now = {name: float(latest[name]) for name in (*values, *(k for k in latest if k not in values))}
                _check_finite(now, epoch, f"step {step + 1}")
                rate = images / max(time.perf_counter() - start, 1e-9)
                g, d, shown = _split(now)
                cb.on_progress(Progress(epoch, step + 1, steps, rate, g, d, values=shown))
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        seconds = time.perf_counter() - start
        means = {name: float(sums[name]) / counts[name] for name in sums}
        _check_finite(means, epoch, "means")
        self.images_seen += images
        return EpochStats(means, seconds, images, marks.curves())

    def _epoch_end(self, epoch: int, stats: EpochStats) -> Path:
        """Checkpoint, grid, callbacks. RNG is forked so callbacks never shift the training stream."""
        from cgan_tui.gan.sampling import NUM_CLASSES, png_bytes, sample_grid

        cfg, device, cb = self.config, self.device, self.callbacks
        payload = checkpoint_bytes(self.trainer, cfg, epoch, self.images_seen, self.perm_gen, device, self.adversarial)
        last = self.checkpoint_dir / "last.pt"
        atomic_write_bytes(last, payload)
        saved = [CheckpointSaved(epoch, last, "last")]
        is_milestone = epoch in cfg.checkpoint_epochs
        if is_milestone:
            milestone = self.checkpoint_dir / f"epoch_{epoch:03d}.pt"
            atomic_write_bytes(milestone, payload)
            saved.append(CheckpointSaved(epoch, milestone, "milestone"))
        sampler = self.trainer.sampler()
        devices = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            start = time.perf_counter()
            array = sample_grid(sampler, cfg.latent_dim, NUM_CLASSES, cfg.grid_columns, device)
            sample_rate = NUM_CLASSES * cfg.grid_columns / max(time.perf_counter() - start, 1e-9)
            png = png_bytes(array)
            for item in saved:
                cb.on_checkpoint(item)
            g, d, values = _split(stats.means)
            sampler.eval()
            try:
                cb.on_epoch_end(
                    EpochEnd(
                        epoch=epoch, g_loss=g, d_loss=d, seconds=stats.seconds,
                        images_per_s=stats.images / max(stats.seconds, 1e-9), images_seen=self.images_seen,
                        grid_png=png, grid_rows=NUM_CLASSES, grid_cols=cfg.grid_columns, generator=sampler,
                        is_checkpoint_epoch=is_milestone, sample_images_per_s=sample_rate, values=values,
                        not_applicable=self.not_applicable, step_values=stats.curves.values,
                        step_every=stats.curves.every, epoch_steps=stats.curves.steps,
                    )  # fmt: skip
                )
            finally:
                sampler.train()
        return last


def _split(values: Mapping[str, float]) -> tuple[float, float, Mapping[str, float] | None]:
    """``(g_loss, d_loss, values)`` for an event: a GAN's two losses in their own fields, anything
    else by name (with NaN in the GAN fields)."""
    if values.keys() == GD:
        return values["g_loss"], values["d_loss"], None
    return NAN, NAN, dict(values)


def _check_finite(values: Mapping[str, float], epoch: int, where: str) -> None:
    bad = {name: value for name, value in values.items() if not math.isfinite(value)}
    if bad:
        raise Diverged(f"loss became non-finite in epoch {epoch} {where} ({bad})", epoch)
