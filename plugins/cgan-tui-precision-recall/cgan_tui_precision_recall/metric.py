"""``compute(ctx)``: precision/recall of the generated samples on the classifier's features.

Uses the evaluation's ``cgan_tui.MetricContext``: the generated samples'
classifier features come from the context (shared with the built-in classifier metrics), the real
test images' features are computed once per (data set, classifier, n) and kept in the evaluation's
feature cache, so a second evaluation embeds no real image.
"""

from __future__ import annotations

import io

import numpy as np
import torch

from cgan_tui_precision_recall.prdc import DEFAULT_K, precision_recall

EXTRACTOR = "classifier"


def real_features(ctx) -> torch.Tensor:
    """All real test-image features for the context's classifier, from the feature cache when present."""
    ext = ctx.extractor(EXTRACTOR)
    real = ctx.real
    cache_key = f"{ext.name}/features"  # full features, beside the built-in summaries (same dataset key)
    payload = ctx.cache.get(ctx.dataset_key, cache_key, len(real))
    if payload is not None:
        return torch.from_numpy(np.load(io.BytesIO(payload), allow_pickle=False))
    ctx.real_extractions += 1
    with torch.no_grad():
        feats = ext(real.images).float().cpu()
    buf = io.BytesIO()
    np.save(buf, feats.numpy(), allow_pickle=False)
    ctx.cache.put(ctx.dataset_key, cache_key, len(real), buf.getvalue())
    return feats


def compute(ctx) -> dict[str, float]:
    """``{"precision": p, "recall": r}`` with k = 3 (Kynkaanniemi et al. 2019)."""
    fake = ctx.fake_features(EXTRACTOR)
    return precision_recall(real_features(ctx), fake, k=DEFAULT_K)
