"""Adversarial losses on raw discriminator scores ``(N,)``, as the seeds write them.

Each loss is a pair of plain functions (``*_d(real, fake)``, ``*_g(fake)``) so the built-in plugin
module can point at them lazily. Two-term discriminator losses are *summed* (mean per term), like
both seeds' ``D_real_loss + D_fake_loss``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

GP_WEIGHT = 10.0
"""WGAN-GP's lambda (Gulrajani et al.; seed 000's formula has lambda without a value)."""


# --- bce: the standard (non-saturating) GAN loss, with logits for numerical safety ---
def bce_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(real, torch.ones_like(real)) + F.binary_cross_entropy_with_logits(
        fake, torch.zeros_like(fake)
    )


def bce_g(fake: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


# --- wgan-gp ---
def wgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return fake.mean() - real.mean()


def wgan_g(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def gradient_penalty(
    discriminator, real: torch.Tensor, fake: torch.Tensor, labels: torch.Tensor, weight: float = GP_WEIGHT
) -> torch.Tensor:
    """``weight * E[(||grad_x D(x_hat, y)||_2 - 1)^2]`` on random interpolates of real and fake.

    ``weight`` is the run's ``gp_weight`` (the trainer passes it as a keyword).
    """
    alpha = torch.rand(real.shape[0], 1, 1, 1, device=real.device, dtype=real.dtype)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    score = discriminator(x_hat, labels).score
    (grad,) = torch.autograd.grad(score.float().sum(), x_hat, create_graph=True)
    norm = grad.flatten(1).float().norm(2, dim=1)
    return weight * ((norm - 1) ** 2).mean()


# --- lsgan on raw scores (Mao et al., 0.5 factors as in seed 000's formula) ---
def lsgan_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


def lsgan_g(fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((fake - 1) ** 2).mean()


# --- lsgan-sigmoid: seed 004 exactly (nn.MSELoss on the Sigmoid output of its D) ---
def lsgan_sigmoid_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    r, f = torch.sigmoid(real), torch.sigmoid(fake)
    return F.mse_loss(r, torch.ones_like(r)) + F.mse_loss(f, torch.zeros_like(f))


def lsgan_sigmoid_g(fake: torch.Tensor) -> torch.Tensor:
    f = torch.sigmoid(fake)
    return F.mse_loss(f, torch.ones_like(f))


# --- hinge (SAGAN / BigGAN form) ---
def hinge_d(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def hinge_g(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()
