"""Memorisation: are generated samples closer to training images than unseen real images are?

A generator that copies training images scores well on every other metric (dgm-eval found such
memorisation on small data sets, Stein et al. 2023). For each generated sample, the distance to its
nearest training image in classifier feature space; for each held-out real test image, the same. A
sample closer than the 1st percentile of the test images' distances is flagged; ``memorised`` is the
flagged fraction: about 0.01 for a generator no closer to the training set than fresh real data, near 1
for one that returns training images.

Training images: ``context.TRAIN_SUBSET`` of them (a class-balanced prefix), embedded once per
classifier and kept in the feature cache; the test images' nearest-train distances are cached too.
"""

from __future__ import annotations

import io

import numpy as np
import torch

from cgan_tui.errors import UserError
from cgan_tui.gan.metrics.context import MetricContext
from cgan_tui.gan.weights import MetricUnavailable

MEMORISED_QUANTILE = 0.01
"""A generated sample is flagged when closer to the training set than this quantile of test images."""
_ROWS = 1024
"""Query rows per distance block: memory O(1024 x training images)."""


def nearest_distances(x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Euclidean distance from each row of ``x`` to its nearest row of ``reference`` (float32, blocks)."""
    ref = reference.detach().float()
    x = x.detach().to(ref.device, torch.float32)
    out = [torch.cdist(x[i : i + _ROWS], ref).min(dim=1).values for i in range(0, x.shape[0], _ROWS)]
    return torch.cat(out).cpu() if out else torch.empty(0)


def memorised_fraction(fake_nearest: torch.Tensor, test_nearest: torch.Tensor,
                       quantile: float = MEMORISED_QUANTILE) -> float:  # fmt: skip
    """Share of generated samples nearer to the training set than ``quantile`` of the test images."""
    threshold = torch.quantile(test_nearest.double(), quantile)
    return float((fake_nearest.double() < threshold).double().mean())


def real_nearest(ctx: MetricContext, key: str, train: torch.Tensor) -> torch.Tensor:
    """The real test images' nearest-training distances, from the feature cache when present."""
    ext = ctx.extractor(key)
    real = ctx.real_summary(key)
    if real.features is None:
        raise MetricUnavailable("memorisation needs the real features, not kept for this extractor")
    dataset = f"{ctx.dataset_key}>{ctx.train_key}"  # both image sets decide the distances
    payload = ctx.cache.get(dataset, f"{ext.name}/nearest", real.n)
    if payload is not None:
        return torch.from_numpy(np.load(io.BytesIO(payload), allow_pickle=False))
    dist = nearest_distances(torch.from_numpy(real.features), train.to(ctx.device))
    buf = io.BytesIO()
    np.save(buf, dist.numpy(), allow_pickle=False)
    ctx.cache.put(dataset, f"{ext.name}/nearest", real.n, buf.getvalue())
    return dist


def memorisation(ctx: MetricContext) -> dict[str, float]:
    """``memorised``: fraction of generated samples closer to the training set than 99 % of test images."""
    try:
        train = ctx.train_features("classifier")
    except UserError as exc:  # no training split here (DataNotFound): one clear reason, not an error
        raise MetricUnavailable(f"memorisation needs the training images: {exc}") from None
    test = real_nearest(ctx, "classifier", train)
    fake = nearest_distances(ctx.fake_features("classifier"), train.to(ctx.device))
    return {"memorised": memorised_fraction(fake, test)}
