"""FID: Frechet distance between real-data statistics (cached running sums) and generated features.

The formula is torchmetrics' (tests check it against torchmetrics' own metric class).
"""

from __future__ import annotations

import torch

from cgan_tui.gan.features import RealSummary
from cgan_tui.gan.metrics.bootstrap import Gaussian, fid_se, frechet
from cgan_tui.gan.metrics.context import MetricContext


def real_gaussian(real: RealSummary) -> Gaussian:
    """Mean and covariance of the real features from the cached running sums."""
    return Gaussian.from_sums(real.n, real.feature_sum, real.cov_sum)


def frechet_distance_to_summary(real: RealSummary, fake_features: torch.Tensor) -> float:
    """FID between cached real statistics and fake features, float64.

    Same value as torchmetrics' ``_compute_fid`` (``|mu1-mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2)``,
    tested equal), computed in symmetric form (``bootstrap.frechet_batch``): ``eigvalsh`` on an m x m
    or d x d symmetric matrix is much cheaper than ``eigvals`` of the non-symmetric 2048 x 2048 product
    (about 3 s on 2 cores, far more under load).
    """
    if fake_features.shape[0] < 2 or real.n < 2:
        raise ValueError("FID needs at least 2 real and 2 generated samples")
    return frechet(real_gaussian(real), fake_features)


def fid_from_summary(real: RealSummary, fake_features: torch.Tensor) -> float:
    """FID of fake features against the cached real summary (see ``frechet_distance_to_summary``)."""
    return frechet_distance_to_summary(real, fake_features)


def fid_inception(ctx: MetricContext) -> dict[str, float]:
    return {"fid": fid_from_summary(ctx.real_summary("inception"), ctx.fake_features("inception"))}


def fid_classifier(ctx: MetricContext) -> dict[str, float]:
    """FID and its bootstrap standard error (``fid_se``: generated features resampled, reals fixed)."""
    real, fake = ctx.real_summary("classifier"), ctx.fake_features("classifier")
    if fake.shape[0] < 2 or real.n < 2:
        raise ValueError("FID needs at least 2 real and 2 generated samples")
    gaussian = real_gaussian(real)
    return {"fid": frechet(gaussian, fake), "fid_se": fid_se(gaussian, fake)}
