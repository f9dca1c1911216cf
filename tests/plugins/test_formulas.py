"""The plugin packages' maths against textbook formulas written out independently (plain Python)."""

from __future__ import annotations

import math
import random

import pytest
import torch


def softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def mean(xs) -> float:
    xs = list(xs)
    return sum(xs) / len(xs)


REAL = [1.5, -0.25, 0.75, 2.0]
FAKE = [-1.0, 0.5, -2.0, 0.1]


def ra(xs, others):
    m = mean(others)
    return [x - m for x in xs]


def test_rsgan_matches_paper(with_plugins):
    from cgan_tui_relativistic import losses

    r, f = torch.tensor(REAL), torch.tensor(FAKE)
    # -log sigmoid(x) = softplus(-x); -log(1 - sigmoid(x)) = softplus(x)
    d = mean(softplus(-x) for x in ra(REAL, FAKE)) + mean(softplus(x) for x in ra(FAKE, REAL))
    g = mean(softplus(-x) for x in ra(FAKE, REAL)) + mean(softplus(x) for x in ra(REAL, FAKE))
    assert losses.rsgan_d(r, f).item() == pytest.approx(d, rel=1e-6)
    assert losses.rsgan_g(f, real_scores=r).item() == pytest.approx(g, rel=1e-6)


def test_rahinge_matches_paper(with_plugins):
    from cgan_tui_relativistic import losses

    r, f = torch.tensor(REAL), torch.tensor(FAKE)
    d = mean(max(0.0, 1 - x) for x in ra(REAL, FAKE)) + mean(max(0.0, 1 + x) for x in ra(FAKE, REAL))
    g = mean(max(0.0, 1 + x) for x in ra(REAL, FAKE)) + mean(max(0.0, 1 - x) for x in ra(FAKE, REAL))
    assert losses.rahinge_d(r, f).item() == pytest.approx(d, rel=1e-6)
    assert losses.rahinge_g(f, real_scores=r).item() == pytest.approx(g, rel=1e-6)


def test_generator_gradient_flows_through_fake_scores_only(with_plugins):
    from cgan_tui_relativistic import losses

    r = torch.tensor(REAL, requires_grad=True)
    f = torch.tensor(FAKE, requires_grad=True)
    losses.rsgan_g(f, real_scores=r).backward()
    assert r.grad is None and f.grad is not None and f.grad.abs().sum() > 0


def test_generator_loss_without_real_scores_says_why(with_plugins):
    from cgan_tui_relativistic import losses

    with pytest.raises(TypeError, match="g_needs_real"):
        losses.rahinge_g(torch.tensor(FAKE))


def brute_force_pr(real, fake, k):
    """Kynkaanniemi et al. 2019, Eq. 1-2, written with loops."""

    def dist(a, b):
        return math.dist(a, b)

    def radii(points):
        return [sorted(dist(p, q) for j, q in enumerate(points) if j != i)[k - 1] for i, p in enumerate(points)]

    def inside(points, centres, rad):
        return mean(any(dist(p, c) <= r for c, r in zip(centres, rad, strict=True)) for p in points)

    return inside(fake, real, radii(real)), inside(real, fake, radii(fake))


def test_precision_recall_matches_brute_force(with_plugins):
    from cgan_tui_precision_recall.prdc import precision_recall

    rng = random.Random(0)
    real = [[rng.gauss(0, 1) for _ in range(5)] for _ in range(40)]
    fake = [[rng.gauss(0.7, 0.6) for _ in range(5)] for _ in range(30)]
    expected = brute_force_pr(real, fake, k=3)
    got = precision_recall(torch.tensor(real), torch.tensor(fake), k=3)
    assert (got["precision"], got["recall"]) == pytest.approx(expected, abs=1e-12)
    assert 0 < got["precision"] < 1 and 0 < got["recall"] < 1


def test_precision_recall_extremes_and_mode_collapse(with_plugins):
    from cgan_tui_precision_recall.prdc import precision_recall

    gen = torch.Generator().manual_seed(1)
    real = torch.randn(300, 8, generator=gen)
    assert precision_recall(real, real) == {"precision": 1.0, "recall": 1.0}
    far = precision_recall(real, torch.randn(300, 8, generator=gen) + 100.0)
    assert far == {"precision": 0.0, "recall": 0.0}
    # every fake sample near one real mode: faithful but no coverage
    collapsed = real[:1] + 0.01 * torch.randn(300, 8, generator=gen)
    pr = precision_recall(real, collapsed.numpy())
    assert pr["precision"] > 0.9 and pr["recall"] < 0.1


def test_precision_recall_rejects_bad_input(with_plugins):
    from cgan_tui_precision_recall.prdc import precision_recall

    with pytest.raises(ValueError, match="feature sizes differ"):
        precision_recall(torch.zeros(10, 3), torch.zeros(10, 4))
    with pytest.raises(ValueError, match="more than k=3"):
        precision_recall(torch.zeros(3, 2), torch.zeros(10, 2))
