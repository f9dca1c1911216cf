"""PSNR (seed 004): generated vs real images paired by class, data range [0, 1]."""

from __future__ import annotations

import torch

from cgan_tui.gan.metrics.context import MetricContext
from cgan_tui.gan.metrics.pairs import pair_by_class


def psnr(fake_u8: torch.Tensor, real_u8: torch.Tensor) -> float:
    """Seed 004's PSNR: torchmetrics PSNR, data_range 1.0 on [0, 1] images, over all paired pixels."""
    from torchmetrics.image import PeakSignalNoiseRatio

    metric = PeakSignalNoiseRatio(data_range=1.0)
    metric.update(fake_u8.float().cpu() / 255.0, real_u8.float().cpu() / 255.0)
    return float(metric.compute())


def psnr_pixel(ctx: MetricContext) -> dict[str, float]:
    """Seed 004's PSNR: generated vs real images paired by class, data range [0, 1]."""
    fi, ri = pair_by_class(ctx.fake_labels, ctx.real.labels, ctx.num_classes)
    return {"psnr": psnr(ctx.fake_images[fi.to(ctx.fake_images.device)], ctx.real.images[ri])}
