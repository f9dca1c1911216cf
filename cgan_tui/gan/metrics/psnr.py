"""PSNR (seed 004): generated vs real images paired by class, data range [0, 1]."""

from __future__ import annotations

import math

import torch

from cgan_tui.gan.metrics.context import MetricContext
from cgan_tui.gan.metrics.pairs import pair_by_class


def psnr(fake_u8: torch.Tensor, real_u8: torch.Tensor) -> float:
    """Seed 004's PSNR (torchmetrics' ``PeakSignalNoiseRatio(data_range=1.0)`` on [0, 1] images, one
    mean squared error over all paired pixels), written as its arithmetic: importing torchmetrics for
    it cost seconds per evaluation process, the arithmetic costs milliseconds (same value to 1e-6)."""
    diff = (fake_u8.detach().cpu().to(torch.float64) - real_u8.detach().cpu().to(torch.float64)) / 255.0
    mse = float(diff.square().mean())
    return float("inf") if mse == 0.0 else 10.0 * math.log10(1.0 / mse)


def psnr_pixel(ctx: MetricContext) -> dict[str, float]:
    """Seed 004's PSNR: generated vs real images paired by class, data range [0, 1]."""
    fi, ri = pair_by_class(ctx.fake_labels, ctx.real.labels, ctx.num_classes)
    return {"psnr": psnr(ctx.fake_images[fi.to(ctx.fake_images.device)], ctx.real.images[ri])}
