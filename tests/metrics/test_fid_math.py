"""Our FID/KID arithmetic equals torchmetrics' metric classes on the same features."""

from __future__ import annotations

import warnings

import pytest
import torch

from cgan_tui.gan.features import Identity, RealSummary
from cgan_tui.gan.metrics.fid import fid_from_summary
from cgan_tui.gan.metrics.kid import kid


def _torchmetrics_fid(real, fake):
    from torchmetrics.image.fid import FrechetInceptionDistance  # here, not at collection: its import
    # pulls torchvision and torch._dynamo (~4 s CPU) into every pytest process, not just the one running this

    metric = FrechetInceptionDistance(feature=Identity(real.shape[1]))
    metric.set_dtype(torch.float64)
    metric.update(real.double(), real=True)
    metric.update(fake.double(), real=False)
    return float(metric.compute())


@pytest.mark.parametrize("n_fake", [40, 300])  # fewer and more samples than feature dimensions
def test_fid_matches_torchmetrics(n_fake):
    g = torch.Generator().manual_seed(0)
    real = torch.randn(500, 64, generator=g) @ torch.randn(64, 64, generator=g)
    fake = torch.randn(n_fake, 64, generator=g) * 1.3 + 0.2
    summary = RealSummary.from_features(real, torch.arange(500) % 10)
    ours = fid_from_summary(summary, fake)
    assert ours == pytest.approx(_torchmetrics_fid(real, fake), rel=1e-6)
    assert fid_from_summary(summary, real) == pytest.approx(0.0, abs=1e-6)


def test_summary_round_trips_through_bytes():
    g = torch.Generator().manual_seed(1)
    real = torch.randn(50, 16, generator=g)
    summary = RealSummary.from_features(real, torch.arange(50) % 10)
    again = RealSummary.from_bytes(summary.to_bytes())
    fake = torch.randn(30, 16, generator=g)
    assert fid_from_summary(again, fake) == fid_from_summary(summary, fake)


def test_kid_matches_torchmetrics_on_one_full_subset():
    g = torch.Generator().manual_seed(2)
    real, fake = torch.randn(80, 32, generator=g), torch.randn(80, 32, generator=g) + 0.3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torchmetrics.image.kid import KernelInceptionDistance

        metric = KernelInceptionDistance(feature=Identity(32), subsets=1, subset_size=80)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    expected = float(metric.compute()[0])
    mean, std = kid(real, fake, subsets=3, subset_size=80)  # full subsets: order does not matter
    assert mean == pytest.approx(expected, rel=1e-5) and std == pytest.approx(0.0, abs=1e-6)
    m1, s1 = kid(real, fake, subsets=20, subset_size=40, seed=5)
    assert (m1, s1) == kid(real, fake, subsets=20, subset_size=40, seed=5)  # deterministic
    assert s1 > 0
