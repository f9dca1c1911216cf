"""Frechet distances of many feature sets at once, and bootstrap standard errors over generated samples.

A value at n = 1,000 has a sampling spread comparable to the gaps it ranks, so FID, KID and intra-FID
carry a standard error: the generated features are resampled with replacement ``BOOTSTRAP_RESAMPLES``
times (the real statistics stay fixed: they are the reference, not the thing measured) and the value
recomputed on each resample, with no network pass. The SE is the standard deviation (ddof 1) of those
replicates. Resamples are batched (``frechet_batch``), so 100 of them cost a few matrix products.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

BOOTSTRAP_RESAMPLES = 50
BOOTSTRAP_SEED = 0
"""Resamples and seed of every stored ``*_se``: the same features always give the same error."""
_BATCH_ELEMENTS = 4_000_000
"""Resampled feature values held at once (float64, 32 MB): bounds memory at n = 10,000 and beyond."""
_COLUMNS = 1024
"""Kernel columns converted to float64 at once in ``mmd_replicates``."""


def resample_indices(n: int, resamples: int, seed: int) -> torch.Tensor:
    """``(resamples, n)`` indices drawn with replacement from ``range(n)``, reproducible by seed."""
    gen = torch.Generator().manual_seed(int(seed))
    return torch.randint(0, n, (resamples, n), generator=gen)


def standard_error(replicates: torch.Tensor | np.ndarray) -> float:
    """Standard deviation (ddof 1) of bootstrap replicates: the standard error of the statistic."""
    values = torch.as_tensor(replicates, dtype=torch.float64)
    return float(values.std(unbiased=True)) if values.numel() > 1 else float("nan")


@dataclass(frozen=True)
class Gaussian:
    """Mean and covariance of the real features (the fixed side of every Frechet distance here)."""

    mu: torch.Tensor  # (d,) float64
    sigma: torch.Tensor  # (d, d) float64, unbiased

    @classmethod
    def from_sums(cls, n: int, feature_sum, cov_sum) -> Gaussian:
        """From the running sums a ``RealSummary`` keeps (``sum x`` and ``sum x^T x`` over n rows)."""
        if n < 2:
            raise ValueError("a Frechet distance needs at least 2 real samples")
        mu = torch.as_tensor(np.asarray(feature_sum), dtype=torch.float64) / n
        sigma = (torch.as_tensor(np.asarray(cov_sum), dtype=torch.float64) - n * torch.outer(mu, mu)) / (n - 1)
        return cls(mu, sigma)

    @cached_property
    def root(self) -> torch.Tensor:
        """Symmetric square root of ``sigma`` (PSD part), for sets of more samples than features."""
        evals, evecs = torch.linalg.eigh(self.sigma)
        return (evecs * evals.clamp(min=0).sqrt()) @ evecs.T

    @cached_property
    def trace(self) -> float:
        return float(torch.trace(self.sigma))


def frechet_batch(real: Gaussian, x: torch.Tensor) -> torch.Tensor:
    """FID of each feature set ``x[b]`` (``(B, m, d)``) against ``real``: ``(B,)`` float64.

    ``|mu_r - mu_f|^2 + tr S_r + tr S_f - 2 tr sqrt(S_r S_f)`` (torchmetrics' formula), in symmetric
    form: the eigenvalues of ``S_r S_f`` are those of ``Y S_r Y^T`` (``S_f = Y^T Y``, m x m, when
    m <= d) or of ``S_r^1/2 S_f S_r^1/2`` (d x d), so ``eigvalsh`` applies, batched over B.
    """
    x = x.double()
    m, d = x.shape[1], x.shape[2]
    if m < 2:
        raise ValueError("a Frechet distance needs at least 2 generated samples")
    mu_f = x.mean(dim=1)
    y = (x - mu_f[:, None, :]) / math.sqrt(m - 1)
    trace_f = y.square().sum(dim=(1, 2))
    if m <= d:
        mat = y @ real.sigma @ y.transpose(1, 2)
    else:
        mat = real.root @ (y.transpose(1, 2) @ y) @ real.root
    mat = (mat + mat.transpose(1, 2)) / 2
    cross = torch.linalg.eigvalsh(mat).clamp(min=0).sqrt().sum(dim=-1)
    return (real.mu - mu_f).square().sum(dim=-1) + real.trace + trace_f - 2.0 * cross


def frechet(real: Gaussian, x: torch.Tensor) -> float:
    """FID of one feature set ``(m, d)`` against ``real``."""
    return float(frechet_batch(real, x.detach().cpu()[None])[0])


def frechet_replicates(real: Gaussian, x: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """FID of ``x[indices[b]]`` for every row b of ``indices`` (batched within a memory bound)."""
    x = x.detach().double().cpu()
    per_batch = max(1, _BATCH_ELEMENTS // max(1, indices.shape[1] * x.shape[1]))
    out = [frechet_batch(real, x[indices[i : i + per_batch]]) for i in range(0, indices.shape[0], per_batch)]
    return torch.cat(out) if out else torch.empty(0, dtype=torch.float64)


def fid_se(real: Gaussian, x: torch.Tensor, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> float:
    """Bootstrap SE of FID over the generated features ``x`` (rows resampled with replacement)."""
    return standard_error(frechet_replicates(real, x, resample_indices(x.shape[0], resamples, seed)))


def mmd_replicates(k_rr: torch.Tensor, k_rf: torch.Tensor, k_ff: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """Unbiased MMD^2 (KID's estimator) of all reals against each generated resample ``indices[b]``.

    With counts ``w`` of each generated sample in a resample, the off-diagonal kernel sum over the
    resample's positions is ``w^T K_ff w - sum_i w_i K_ff[i, i]``: one matrix-vector product per resample
    instead of gathering an n x n matrix (same number as ``torchmetrics``' estimator on ``x[indices[b]]``).
    """
    m, n = k_rf.shape
    w = torch.zeros(indices.shape[0], n, dtype=torch.float64)
    w.scatter_add_(1, indices, torch.ones_like(indices, dtype=torch.float64))
    size = indices.shape[1]
    ff = torch.zeros(indices.shape[0], dtype=torch.float64)
    for start in range(0, n, _COLUMNS):  # K_ff in float64 column blocks: no n x n float64 copy
        block = k_ff[:, start : start + _COLUMNS].double()
        ff += ((w @ block) * w[:, start : start + _COLUMNS]).sum(dim=1)
    ff -= w @ torch.diagonal(k_ff).double()
    rr = (k_rr.double().sum() - torch.diagonal(k_rr).double().sum()) / (m * (m - 1))
    rf = (w @ k_rf.double().sum(dim=0)) / (m * size)
    return ff / (size * (size - 1)) + rr - 2.0 * rf


def kid_se(k_rr: torch.Tensor, k_rf: torch.Tensor, k_ff: torch.Tensor, resamples: int = BOOTSTRAP_RESAMPLES,
           seed: int = BOOTSTRAP_SEED) -> float:  # fmt: skip
    """Bootstrap SE of KID over the generated samples, from the kernel matrices KID computed anyway."""
    return standard_error(mmd_replicates(k_rr, k_rf, k_ff, resample_indices(k_ff.shape[0], resamples, seed)))
