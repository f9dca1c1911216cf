"""KID as published: 100 subsets of min(1000, n/2), so kid_std measures the spread over subsets."""

from __future__ import annotations

import warnings

import pytest
import torch
from torch.nn import Identity

from cgan_tui.config import RunConfig
from cgan_tui.gan.metrics.engine import evaluate
from cgan_tui.gan.metrics.kid import kid, kid_subset_size

from .conftest import RandomNet, ReplayGenerator


def test_subset_size_is_half_of_n_capped_at_1000_and_none_when_too_small():
    assert kid_subset_size(2000, 1000) == 500
    assert kid_subset_size(2000, 10_000) == 1000
    assert kid_subset_size(40, 40) == 20
    assert kid_subset_size(2000, 19) is None


def test_kid_std_over_half_size_subsets_is_a_real_spread_like_torchmetrics():
    from torchmetrics.image.kid import KernelInceptionDistance

    g = torch.Generator().manual_seed(3)
    real, fake = torch.randn(200, 16, generator=g), torch.randn(200, 16, generator=g) + 0.2
    m = kid_subset_size(len(real), len(fake))
    mean, std = kid(real, fake, subset_size=m)
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        metric = KernelInceptionDistance(feature=Identity(16), subsets=100, subset_size=m)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    tm_mean, tm_std = (float(v) for v in metric.compute())
    # both are 100 random subsets: equal up to the sampling of subsets
    assert mean == pytest.approx(tm_mean, abs=3 * tm_std / 10)
    assert std == pytest.approx(tm_std, rel=0.35)
    assert std > 1e-3 * abs(mean)  # not the ~0 of "every subset is the whole set"


def test_evaluation_stores_no_kid_std_when_n_is_too_small(registries, balanced_real):
    net = RandomNet()
    gen = ReplayGenerator(balanced_real.images, balanced_real.labels, transform=lambda x: x.flip(-1))

    def run(n):
        real = type(balanced_real)(balanced_real.images[:n], balanced_real.labels[:n], "balanced")
        results = evaluate(gen, RunConfig(latent_dim=8), registries, epoch=1, n=n, device="cpu", metrics=["kid"],
                           real=real, extractors={"inception": lambda c: net})  # fmt: skip
        return {r.key: r for r in results}

    small = run(12)
    assert small["kid@inception"].value is not None
    assert small["kid_std@inception"].value is None
    assert "too small for KID subsets" in small["kid_std@inception"].unavailable
    big = run(min(60, len(balanced_real.images)))
    assert big["kid_std@inception"].value is not None and big["kid_std@inception"].value > 0
