"""Intra-FID (Miyato & Koyama 2018): FID within each class, and their mean, from the evaluation's features.

FID over all classes cannot see a generator that draws good shirts for every label: its samples still
cover the real distribution when labels are ignored. Intra-FID compares the samples generated *for*
class c with the real images *of* class c, per class, and averages. The generated features are those
FID@classifier already extracted; the real per-class sums come from the cached ``RealSummary``.
"""

from __future__ import annotations

import torch

from cgan_tui.classes import intra_fid_key
from cgan_tui.gan import features as feat
from cgan_tui.gan.metrics.bootstrap import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    Gaussian,
    frechet,
    frechet_replicates,
    resample_indices,
    standard_error,
)  # fmt: skip
from cgan_tui.gan.metrics.context import Counted, MetricContext
from cgan_tui.gan.weights import MetricUnavailable


def class_gaussians(real: feat.RealSummary) -> dict[int, Gaussian]:
    """Each class's real mean and covariance (classes with fewer than 2 real images left out)."""
    if real.class_count is None or real.class_sum is None or real.class_cov_sum is None:
        raise MetricUnavailable(
            f"intra-FID needs per-class real statistics, kept only for extractors of at most "
            f"{feat.CLASS_STATS_MAX_DIM} features (this one has {real.feature_sum.shape[0]})"
        )
    return {
        c: Gaussian.from_sums(int(count), real.class_sum[c], real.class_cov_sum[c])
        for c, count in enumerate(real.class_count)
        if count >= 2
    }


def intra_fid_values(
    real: feat.RealSummary,
    fake: torch.Tensor,
    labels: torch.Tensor,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = BOOTSTRAP_SEED,
) -> tuple[dict[int, float], dict[int, int], float]:
    """(FID per class, generated samples per class, bootstrap SE of their mean).

    The SE resamples within each class (the generated labels are fixed by design, i % classes):
    class c's resamples are ``resample_indices(n_c, resamples, seed + 1 + c)``; a replicate of the mean
    is the mean over classes of the class replicates of the same index.
    """
    fake = fake.detach().double().cpu()
    labels = labels.cpu()
    values: dict[int, float] = {}
    counts: dict[int, int] = {}
    replicates = []
    for c, gaussian in class_gaussians(real).items():
        x = fake[labels == c]
        if x.shape[0] < 2:
            continue
        values[c], counts[c] = frechet(gaussian, x), int(x.shape[0])
        if resamples > 1:
            replicates.append(frechet_replicates(gaussian, x, resample_indices(x.shape[0], resamples, seed + 1 + c)))
    se = standard_error(torch.stack(replicates).mean(dim=0)) if replicates else float("nan")
    return values, counts, se


def intra_fid(ctx: MetricContext) -> dict[str, object]:
    """``intra_fid`` (mean over classes), ``intra_fid_se`` and ``intra_fid_cK`` stored with class K's n."""
    values, counts, se = intra_fid_values(
        ctx.real_summary("classifier"), ctx.fake_features("classifier"), ctx.fake_labels
    )
    if not values:
        raise MetricUnavailable(
            f"intra-FID needs at least 2 samples per class in both sets (n={ctx.n} gives "
            f"{ctx.n // ctx.num_classes}); use n >= {2 * ctx.num_classes}"
        )
    out: dict[str, object] = {"intra_fid": sum(values.values()) / len(values), "intra_fid_se": se}
    out.update({intra_fid_key(c): Counted(v, counts[c]) for c, v in values.items()})
    return out
