"""Each built-in loss against its textbook formula on hand-made scores, through the plugin registry."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from cgan_tui.gan.losses import gradient_penalty
from cgan_tui.gan.models.common import DiscOutput

REAL = torch.tensor([2.0, -1.0, 0.5])
FAKE = torch.tensor([-3.0, 0.0, 1.5])


def sig(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


EXPECTED = {
    # name: (D loss, G loss) written out element by element
    "bce": (
        mean(-math.log(sig(r)) for r in REAL.tolist()) + mean(-math.log(1 - sig(f)) for f in FAKE.tolist()),
        mean(-math.log(sig(f)) for f in FAKE.tolist()),
    ),
    "wgan-gp": (mean(FAKE.tolist()) - mean(REAL.tolist()), -mean(FAKE.tolist())),
    "lsgan": (
        0.5 * mean((r - 1) ** 2 for r in REAL.tolist()) + 0.5 * mean(f**2 for f in FAKE.tolist()),
        0.5 * mean((f - 1) ** 2 for f in FAKE.tolist()),
    ),
    "lsgan-sigmoid": (
        mean((sig(r) - 1) ** 2 for r in REAL.tolist()) + mean(sig(f) ** 2 for f in FAKE.tolist()),
        mean((sig(f) - 1) ** 2 for f in FAKE.tolist()),
    ),
    "hinge": (
        mean(max(0.0, 1 - r) for r in REAL.tolist()) + mean(max(0.0, 1 + f) for f in FAKE.tolist()),
        -mean(FAKE.tolist()),
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_loss_matches_formula(registries, name):
    loss = registries.losses.get(name)
    d_expected, g_expected = EXPECTED[name]
    assert float(loss.d_loss(REAL, FAKE)) == pytest.approx(d_expected, rel=1e-5)
    assert float(loss.g_loss(FAKE)) == pytest.approx(g_expected, rel=1e-5)


def test_only_wgan_gp_has_a_penalty(registries):
    assert {loss.name for loss in registries.losses if loss.penalty is not None} == {"wgan-gp"}


class LinearCritic(nn.Module):
    """score = <w, x> + b[label]: its input gradient is w everywhere, so ||grad|| = ||w||."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w)
        self.b = nn.Parameter(torch.arange(10.0))

    def forward(self, x, labels):
        return DiscOutput(score=(x * self.w).flatten(1).sum(1) + self.b[labels])


@pytest.mark.parametrize("scale,weight", [(3.0, 10.0), (0.25, 10.0), (2.0, 1.5)])
def test_gradient_penalty_on_linear_critic(scale, weight):
    torch.manual_seed(0)
    w = torch.randn(1, 1, 4, 4)
    w = w / w.norm() * scale  # ||w|| = scale exactly
    critic = LinearCritic(w)
    real, fake = torch.randn(5, 1, 4, 4), torch.randn(5, 1, 4, 4)
    labels = torch.tensor([0, 3, 9, 1, 1])
    value = gradient_penalty(critic, real, fake, labels, weight=weight)
    assert float(value.detach()) == pytest.approx(weight * (scale - 1) ** 2, rel=1e-5)
    value.backward()  # differentiable w.r.t. the critic's weights (create_graph=True)
    assert critic.w.grad is not None and float(critic.w.grad.norm()) > 0


def test_penalty_is_zero_for_unit_norm_critic():
    w = torch.zeros(1, 1, 2, 2)
    w[0, 0, 0, 0] = 1.0
    value = gradient_penalty(LinearCritic(w), torch.randn(3, 1, 2, 2), torch.randn(3, 1, 2, 2), torch.tensor([0, 1, 2]))
    assert float(value.detach()) == pytest.approx(0.0, abs=1e-10)
