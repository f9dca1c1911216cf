"""``GanTrainer``: the built-in ``FamilyTrainer`` of every G/D family (``ModelFamily.build``).

One step is one discriminator update and, every ``n_critic`` steps of an epoch, one generator
update on the same fake batch (as the seed notebooks do), under bf16 autocast when the run's
precision says so. It returns ``{"g_loss", "d_loss"}`` on generator steps and ``{"d_loss"}`` on
critic-only steps, so the loop averages ``g_loss`` over the generator's steps only.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cgan_tui.gan.optim import Adam
from cgan_tui.run_config import RunConfig

STATE_KEYS = ("G", "D", "opt_g", "opt_d")
"""What ``state_dict`` holds; a GAN checkpoint keeps them at its top level (format 1)."""


class GanTrainer:
    """G, D, their Adam optimisers, the loss and the precision of one resolved GAN config."""

    def __init__(self, config: RunConfig, registries, device: torch.device) -> None:
        from cgan_tui.gan.precision import choose_precision

        family = registries.models.get(config.model)
        self.loss = registries.losses.get(config.loss)
        g_cond = registries.conditionings.get(config.conditioning)
        d_cond = registries.conditionings.get(config.d_conditioning or family.default_d_conditioning(config.conditioning))
        G, D = family.build(config, g_cond, d_cond)
        self.G, self.D = G.to(device), D.to(device)
        betas = tuple(config.betas)
        self.opt_g = Adam(self.G.parameters(), lr=config.lr_g, betas=betas)
        self.opt_d = Adam(self.D.parameters(), lr=config.lr_d, betas=betas)
        self.latent_dim, self.n_critic = config.latent_dim, config.n_critic
        self.aux_weight = float(d_cond.aux_weight or 0.0)
        accepts_weight = self.loss.penalty is not None and _accepts(self.loss.penalty, "weight")
        self.penalty_kwargs = {"weight": config.gp_weight} if accepts_weight else {}
        self.precision = choose_precision(config.precision, device, family)
        self.step = 0  # within the epoch: the generator steps when step % n_critic == 0
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = True

    def start_epoch(self, epoch: int) -> None:
        self.G.train()
        self.D.train()
        self.step = 0

    def train_step(self, real: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        G, D, loss = self.G, self.D, self.loss
        z = torch.randn(real.shape[0], self.latent_dim, device=real.device)

        # discriminator step (fake generated once and reused by the G step, like the seeds)
        with self._autocast(real.device):
            fake = G(z, labels)
            out_real = D(real, labels)
            out_fake = D(fake.detach(), labels)
            d_loss = loss.d_loss(out_real.score.float(), out_fake.score.float())
            aux = _aux(out_real, labels, self.aux_weight)
            if aux is not None:
                d_loss = d_loss + aux
            if loss.penalty is not None:
                d_loss = d_loss + loss.penalty(D, real, fake.detach(), labels, **self.penalty_kwargs)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        step, self.step = self.step, self.step + 1
        if step % self.n_critic:
            return {"d_loss": d_loss}

        # generator step every n_critic discriminator steps
        D.requires_grad_(False)
        with self._autocast(real.device):
            out = D(fake, labels)
            if loss.g_needs_real:  # relativistic losses: compare with the current real batch
                with torch.no_grad():
                    real_scores = D(real, labels).score.float()
                g_loss = loss.g_loss(out.score.float(), real_scores=real_scores)
            else:
                g_loss = loss.g_loss(out.score.float())
            aux = _aux(out, labels, self.aux_weight)
            if aux is not None:
                g_loss = g_loss + aux
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        D.requires_grad_(True)
        return {"g_loss": g_loss, "d_loss": d_loss}

    def sampler(self) -> nn.Module:
        return self.G

    def state_dict(self) -> dict[str, Any]:
        return {"G": self.G.state_dict(), "D": self.D.state_dict(),
                "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict()}  # fmt: skip

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.G.load_state_dict(state["G"])
        self.D.load_state_dict(state["D"])
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])

    def _autocast(self, device: torch.device):
        if self.precision.precision == "bf16":
            return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
        return nullcontext()


def _accepts(fn: Callable, keyword: str) -> bool:
    """Whether a (possibly lazy) penalty callable takes ``keyword`` (or ``**kwargs``)."""
    target = fn.resolve() if hasattr(fn, "resolve") else fn
    try:
        params = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == keyword or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def _aux(out, labels: torch.Tensor, weight: float) -> torch.Tensor | None:
    if weight > 0 and out.class_logits is not None:
        return weight * F.cross_entropy(out.class_logits.float(), labels)
    return None
