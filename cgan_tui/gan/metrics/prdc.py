"""Precision, recall (Kynkaanniemi et al. 2019), density and coverage (Naeem et al. 2020), k = 5.

FID folds fidelity and diversity into one number; these separate them. Each real point ``x_i`` has
a ball of radius ``r_i`` = distance to its k-th nearest other real point (likewise ``s_j`` for a
generated ``y_j`` among generated points). With N reals and M generated samples:

* precision = (1/M) sum_j [exists i: |y_j - x_i| < r_i]: generated samples inside the real manifold;
* recall    = (1/N) sum_i [exists j: |x_i - y_j| < s_j]: real samples inside the generated manifold;
* density   = 1/(kM) sum_j sum_i [|y_j - x_i| < r_i]: how many real balls hold each sample (about
  1 for samples like the reals, above 1 in dense real regions, robust to real outliers);
* coverage  = (1/N) sum_i [min_j |x_i - y_j| < r_i]: real points with a generated sample in their ball.

Strict ``<`` as the reference implementation (clovaai/generative-evaluation-prdc). Distances are taken
in row blocks, so memory stays O(block x N) at any n.
"""

from __future__ import annotations

import torch

from cgan_tui.gan.metrics.context import MetricContext
from cgan_tui.gan.weights import MetricUnavailable

PRDC_K = 5
"""Neighbours behind each ball: the papers' setting (Naeem et al. 2020 recommend k = 5)."""
_ROWS = 1024
"""Rows of a distance matrix held at once."""


def kth_neighbour_radii(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each row of ``x`` to its k-th nearest other row."""
    radii = torch.empty(x.shape[0], dtype=x.dtype, device=x.device)
    for start in range(0, x.shape[0], _ROWS):
        block = torch.cdist(x[start : start + _ROWS], x)
        radii[start : start + _ROWS] = block.topk(k + 1, dim=1, largest=False).values[:, k]  # [0] is the row itself
    return radii


def prdc(real: torch.Tensor, fake: torch.Tensor, k: int = PRDC_K) -> dict[str, float]:
    """``{"precision", "recall", "density", "coverage"}`` of feature sets ``real`` (N, d), ``fake`` (M, d)."""
    fake = torch.as_tensor(fake).detach().double()  # on the features' device: a GPU at n = 10,000
    real = torch.as_tensor(real).detach().to(fake.device, torch.float64)
    if min(real.shape[0], fake.shape[0]) <= k:
        raise ValueError(f"precision/recall need more than k={k} samples per set, got {real.shape[0]} real, "
                         f"{fake.shape[0]} generated")  # fmt: skip
    real_r, fake_r = kth_neighbour_radii(real, k), kth_neighbour_radii(fake, k)
    on = {"device": fake.device}
    in_real = torch.zeros(fake.shape[0], dtype=torch.bool, **on)  # precision: y_j in some real ball
    balls = torch.zeros(fake.shape[0], dtype=torch.float64, **on)  # density: how many real balls hold y_j
    recalled = torch.zeros(real.shape[0], dtype=torch.bool, **on)
    covered = torch.zeros(real.shape[0], dtype=torch.bool, **on)
    for start in range(0, real.shape[0], _ROWS):
        d = torch.cdist(real[start : start + _ROWS], fake)  # (block, M)
        r = real_r[start : start + _ROWS, None]
        inside = d < r
        in_real |= inside.any(dim=0)
        balls += inside.sum(dim=0)
        recalled[start : start + _ROWS] = (d < fake_r[None, :]).any(dim=1)
        covered[start : start + _ROWS] = d.min(dim=1).values < r[:, 0]
    return {
        "precision": float(in_real.double().mean()),
        "recall": float(recalled.double().mean()),
        "density": float(balls.mean() / k),
        "coverage": float(covered.double().mean()),
    }


def prdc_classifier(ctx: MetricContext) -> dict[str, float]:
    """PRDC of the generated samples against the real test images, on classifier features."""
    real = ctx.real_summary("classifier")
    if real.features is None:
        raise MetricUnavailable("precision/recall need the real features, not kept for this extractor")
    if min(real.n, ctx.n) <= PRDC_K:
        raise MetricUnavailable(f"precision/recall need n > k = {PRDC_K} (n={ctx.n})")
    return prdc(torch.from_numpy(real.features), ctx.fake_features("classifier"))
