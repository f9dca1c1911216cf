"""``FamilyTrainer``: the one training step every model family gives the engine's epoch loop.

The GAN's step is the built-in one (``gan.gan_trainer.GanTrainer``, for families with ``build``); a
family that is not an adversarial G/D pair (diffusion, a VAE) sets ``ModelFamily.trainer`` and
brings its own. Either way the loop (``gan.epoch_loop``) keeps everything that makes runs comparable
and recoverable: the data order (one permutation stream and flips for every family), progress and
``should_stop`` every step, the ``Diverged`` check, ``last.pt``/milestone checkpoints written
atomically before the epoch is reported, fixed-noise grids, epoch hooks (evaluation) and bit-exact
resume of the RNG streams.

The sampling module has the generator's interface, ``sampler(z, labels) -> images in [-1, 1]``
with ``z`` of ``config.latent_dim`` numbers per image, so grids, evaluation, ``sample`` and the
metrics use it unchanged; a family whose sampling starts from noise of another shape (a diffusion
model's initial noise image) reshapes ``z`` and sets its default ``latent_dim`` to match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import torch
from torch import nn


class FamilyTrainer(Protocol):
    """What ``ModelFamily.trainer(config, device)`` returns (already on ``device``).

    Optional: ``start_epoch(epoch)``, called before an epoch's first step (the GAN puts its models
    in train mode and counts its critic steps from there); a trainer without it is not called."""

    def train_step(self, real: torch.Tensor, labels: torch.Tensor) -> Mapping[str, torch.Tensor]:
        """One optimisation step on ``real`` (float ``(N, 1, 28, 28)`` in [-1, 1]) and ``labels``
        ``(N,)``; returns named scalar losses (the GAN: ``{"g_loss": ..., "d_loss": ...}``; a
        diffusion model: ``{"diffusion_loss": ...}``), the first being the one progress shows.
        Values may differ between steps (a warm-up phase, a GAN's critic-only steps): each is
        averaged over the steps that reported it."""

    def sampler(self) -> nn.Module:
        """The module that makes images: ``sampler(z, labels)`` like a GAN generator."""

    def state_dict(self) -> dict[str, Any]:
        """Everything to resume bit-exactly: weights, optimiser states, counters."""

    def load_state_dict(self, state: Mapping[str, Any]) -> None: ...
