"""Training for model families that bring their own step (``ModelFamily.trainer``), e.g. diffusion.

The engine keeps everything that makes runs comparable and recoverable: the data order (same
permutation stream and flips as GAN runs), progress reports and ``should_stop`` every step, the
``Diverged`` check, ``last.pt``/milestone checkpoints written atomically before the epoch is
reported, fixed-noise grids, epoch hooks (evaluation) and bit-exact resume of the RNG streams.
The family supplies a ``FamilyTrainer``: one optimisation step, the module that samples, and what
its checkpoint holds.

The sampling module has the generator's interface, ``sampler(z, labels) -> images in [-1, 1]``
with ``z`` of ``config.latent_dim`` numbers per image, so grids, evaluation, ``sample`` and the
metrics use it unchanged; a family whose sampling starts from noise of another shape (a diffusion
model's initial noise image) reshapes ``z`` and sets its default ``latent_dim`` to match.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import torch
from torch import nn

from cgan_tui.run_config import RunConfig

CHECKPOINT_FORMAT = "own-trainer-1"


class FamilyTrainer(Protocol):
    """What ``ModelFamily.trainer(config, device)`` returns (already on ``device``)."""

    def train_step(self, real: torch.Tensor, labels: torch.Tensor) -> Mapping[str, torch.Tensor]:
        """One optimisation step on ``real`` (float ``(N, 1, 28, 28)`` in [-1, 1]) and ``labels``
        ``(N,)``; returns named scalar values (e.g. ``{"diffusion_loss": ...}``), the first being the
        one progress shows. Values may differ between steps (a warm-up phase): each is averaged over
        the steps that reported it."""

    def sampler(self) -> nn.Module:
        """The module that makes images: ``sampler(z, labels)`` like a GAN generator."""

    def state_dict(self) -> dict[str, Any]:
        """Everything to resume bit-exactly: weights, optimiser states, counters."""

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...


@dataclass
class _OwnState:
    """The pieces ``training._epoch_end`` and ``_rng_state`` read, for a family's own trainer."""

    config: RunConfig
    device: torch.device
    trainer: Any
    perm_gen: torch.Generator
    epoch: int = 0
    images_seen: int = 0
    not_applicable: Mapping[str, str] = field(default_factory=dict)

    @property
    def G(self) -> nn.Module:  # noqa: N802 - the name the GAN path's helpers use
        return self.trainer.sampler()


def train_own(config: RunConfig, family, checkpoint_dir: Path, callbacks=None, resume_from: Path | None = None,
              data=None):  # fmt: skip
    """``training.train`` for a family with its own trainer (``config`` already resolved)."""
    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.training import TrainCallbacks, epoch_loop, seed_everything, training_data

    cb = callbacks or TrainCallbacks()
    device = pick_device(config.device)
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(config.seed)
    trainer = family.trainer(config, device)
    state = _OwnState(config, device, trainer, torch.Generator().manual_seed(config.seed),
                      not_applicable=dict(family.not_applicable))  # fmt: skip
    data = training_data(config, data, device)
    if resume_from is not None:
        _load(state, Path(resume_from))
    precision = ("fp32", f"model '{family.name}' trains in fp32 (its own trainer)")
    return epoch_loop(state, data, _run_epoch, checkpoint_dir, cb, device, resume_from, precision, _checkpoint_bytes)


def _run_epoch(state: _OwnState, data, epoch: int, cb):
    """One pass over ``data`` in the GAN path's batch order; None when ``should_stop`` interrupted it."""
    from cgan_tui.gan.training import Diverged, Progress, _EpochStats, batch

    cfg, device = state.config, state.device
    n = len(data)
    bs = min(cfg.batch_size, n)
    steps = math.ceil(n / bs)
    perm = torch.randperm(n, generator=state.perm_gen).to(device)
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, int] = {}
    images = 0
    start = time.perf_counter()
    every = max(1, int(cb.progress_every))
    nan = float("nan")
    for step in range(steps):
        if cb.should_stop():
            return None
        real, labels = batch(data, perm[step * bs : (step + 1) * bs], cfg.hflip)
        values = state.trainer.train_step(real, labels)
        for name, value in values.items():
            sums[name] = sums.get(name, torch.zeros((), device=device)) + value.detach().float()
            counts[name] = counts.get(name, 0) + 1
        images += real.shape[0]
        if (step + 1) % every == 0:
            now = {name: float(value.detach()) for name, value in values.items()}
            bad = {k: v for k, v in now.items() if not math.isfinite(v)}
            if bad:
                raise Diverged(f"loss became non-finite in epoch {epoch} step {step + 1} ({bad})", epoch)
            elapsed = time.perf_counter() - start
            cb.on_progress(Progress(epoch, step + 1, steps, images / max(elapsed, 1e-9), nan, nan, values=now))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    means = {name: float(sums[name]) / counts[name] for name in sums}
    bad = {k: v for k, v in means.items() if not math.isfinite(v)}
    if bad:
        raise Diverged(f"loss became non-finite in epoch {epoch} (means {bad})", epoch)
    state.images_seen += images
    return _EpochStats(nan, nan, seconds, images, values=means, not_applicable=state.not_applicable)


def _checkpoint_bytes(state: _OwnState) -> bytes:
    from cgan_tui.gan.training import _rng_state

    buf = io.BytesIO()
    torch.save(
        {
            "format": CHECKPOINT_FORMAT,
            "epoch": state.epoch,
            "images_seen": state.images_seen,
            "config": state.config.to_dict(),
            "family": state.trainer.state_dict(),
            "rng": _rng_state(state),
        },
        buf,
    )
    return buf.getvalue()


def _load(state: _OwnState, path: Path) -> None:
    from cgan_tui.gan.training import load_checkpoint, restore_rng

    ckpt = load_checkpoint(path, "cpu")
    state.trainer.load_state_dict(ckpt["family"])
    state.epoch = int(ckpt["epoch"])
    state.images_seen = int(ckpt.get("images_seen", 0))
    restore_rng(ckpt["rng"], state.perm_gen, state.device)


def load_sampler(ckpt: Mapping[str, Any], family, config: RunConfig, device: str | torch.device) -> nn.Module:
    """The sampling module of a stored checkpoint, in eval mode on ``device``."""
    device = torch.device(device)
    trainer = family.trainer(config, device)
    trainer.load_state_dict(ckpt["family"])
    return trainer.sampler().to(device).eval()
