"""KID: kernel inception distance over subsets, torchmetrics' kernel and estimator, kernels computed once."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from cgan_tui.gan.metrics.bootstrap import BOOTSTRAP_RESAMPLES, kid_se
from cgan_tui.gan.metrics.context import MetricContext
from cgan_tui.gan.weights import MetricUnavailable

KID_SUBSET = 1000
KID_SUBSETS = 100
KID_MIN_SUBSET = 10
"""Below subsets of 10 (n < 20 samples) KID's spread over subsets says nothing: the std is not stored."""


def kid_subset_size(n_real: int, n_fake: int) -> int | None:
    """KID as published (Binkowski et al. 2018; torchmetrics needs ``subset_size < n``): subsets of
    ``min(1000, n/2)`` of each set, so the 100 subsets differ and their std measures something.
    None when that is below ``KID_MIN_SUBSET`` (the std would be meaningless)."""
    m = min(KID_SUBSET, n_real // 2, n_fake // 2)
    return m if m >= KID_MIN_SUBSET else None


def kid(
    real_features: np.ndarray | torch.Tensor,
    fake_features: torch.Tensor,
    seed: int = 0,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET,
) -> tuple[float, float]:
    """(KID mean, std over subsets) exactly as torchmetrics computes it (its polynomial kernel and MMD
    estimator, subsets of ``min(1000, n_real, n_fake)``), but with the three kernel matrices computed
    once and subsets taken as index selections: 100 subsets cost about as much as one."""
    mean, std, _ = kid_with_se(real_features, fake_features, seed, subsets, subset_size, resamples=0)
    return mean, std


def kid_with_se(
    real_features: np.ndarray | torch.Tensor,
    fake_features: torch.Tensor,
    seed: int = 0,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float, float]:
    """``kid`` plus the bootstrap SE over the generated samples (``bootstrap.kid_se``: the unbiased
    MMD^2 of all reals against ``resamples`` resamples of the generated set, from the same kernels);
    the SE is nan when ``resamples`` is 0."""
    from torchmetrics.image.kid import maximum_mean_discrepancy, poly_kernel

    real = torch.as_tensor(real_features).float().cpu()
    fake = fake_features.detach().float().cpu()
    m = min(subset_size, real.shape[0], fake.shape[0])
    if m < 2:
        raise ValueError("KID needs at least 2 real and 2 fake samples")
    k_rr, k_ff, k_rf = poly_kernel(real, real), poly_kernel(fake, fake), poly_kernel(real, fake)
    se = kid_se(k_rr, k_rf, k_ff, resamples) if resamples > 1 else float("nan")
    gen = torch.Generator().manual_seed(seed)
    scores = []
    for _ in range(subsets):
        ir = torch.randperm(real.shape[0], generator=gen)[:m]
        jf = torch.randperm(fake.shape[0], generator=gen)[:m]
        scores.append(maximum_mean_discrepancy(k_rr[ir][:, ir], k_rf[ir][:, jf], k_ff[jf][:, jf]))
    values = torch.stack(scores)
    return float(values.mean()), float(values.std(unbiased=False)), se


def kid_inception(ctx: MetricContext) -> dict[str, Any]:
    """KID over 100 subsets of min(1000, n/2); with too few samples for subsets, the mean over the
    whole sets and no std (stored as unavailable with the reason)."""
    real, fake = ctx.real_summary("inception").kid_features, ctx.fake_features("inception")
    m = kid_subset_size(len(real), len(fake))
    if m is None:
        mean, _ = kid(real, fake, subsets=1, subset_size=max(len(real), len(fake)))
        reason = (f"n={len(fake)} is too small for KID subsets (needs n >= {2 * KID_MIN_SUBSET}): "
                  "no spread to report")  # fmt: skip
        return {"kid": mean, "kid_std": MetricUnavailable(reason), "kid_se": MetricUnavailable(reason)}
    mean, std, se = kid_with_se(real, fake, subset_size=m)
    return {"kid": mean, "kid_std": std, "kid_se": se}
