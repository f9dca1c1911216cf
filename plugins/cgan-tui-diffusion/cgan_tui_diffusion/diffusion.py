"""Cosine noise schedule (Nichol & Dhariwal 2021), the epsilon-prediction loss and DDIM sampling
(Song et al. 2021, eta = 0: deterministic, so the same initial noise gives the same images) with
classifier-free guidance (Ho & Salimans 2022)."""

from __future__ import annotations

import math

import torch
from torch import nn


def cosine_alpha_bar(timesteps: int, s: float = 0.008) -> torch.Tensor:
    """``alpha_bar[t]`` for t = 0..T-1 (noise level after t+1 steps), betas clipped at 0.999."""
    steps = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps
    f = torch.cos((steps + s) / (1 + s) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
    return torch.cumprod(1 - betas, dim=0).float()


class Diffusion(nn.Module):
    """The schedule as a buffer (moves with ``.to(device)``); ``model(x, t, labels) -> eps``."""

    def __init__(self, timesteps: int, num_classes: int = 10) -> None:
        super().__init__()
        self.timesteps = timesteps
        self.null_class = num_classes
        self.register_buffer("alpha_bar", cosine_alpha_bar(timesteps), persistent=False)

    def loss(self, model: nn.Module, x0: torch.Tensor, labels: torch.Tensor, label_dropout: float) -> torch.Tensor:
        """MSE between the true and predicted noise at a uniformly drawn timestep."""
        n = x0.shape[0]
        t = torch.randint(0, self.timesteps, (n,), device=x0.device)
        noise = torch.randn_like(x0)
        ab = self.alpha_bar[t].view(n, 1, 1, 1)
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        if label_dropout > 0:
            drop = torch.rand(n, device=x0.device) < label_dropout
            labels = torch.where(drop, torch.full_like(labels, self.null_class), labels)
        return (model(xt, t, labels) - noise).pow(2).mean()

    @torch.no_grad()
    def ddim(self, model: nn.Module, noise: torch.Tensor, labels: torch.Tensor, steps: int, guidance: float,
             clip: float | None) -> torch.Tensor:  # fmt: skip
        """x_0 from x_T = ``noise`` in ``steps`` deterministic DDIM steps; ``clip`` bounds predicted x_0."""
        n = noise.shape[0]
        ts = torch.linspace(self.timesteps - 1, 0, steps, device=noise.device).round().long()
        x = noise
        null = torch.full_like(labels, self.null_class)
        for i, t in enumerate(ts):
            tt = t.expand(n)
            if guidance == 1.0:
                eps = model(x, tt, labels)
            else:
                both = model(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([labels, null]))
                cond, uncond = both.chunk(2)
                eps = uncond + guidance * (cond - uncond)
            ab = self.alpha_bar[t]
            ab_prev = self.alpha_bar[ts[i + 1]] if i + 1 < len(ts) else torch.ones_like(ab)
            x0 = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
            if clip is not None:
                x0 = x0.clamp(-clip, clip)
                eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()
            x = ab_prev.sqrt() * x0 + (1 - ab_prev).sqrt() * eps
        return x
