"""Class metrics on the classifier: class consistency and per-class diversity (mode collapse)."""

from __future__ import annotations

import torch

from cgan_tui.classes import MODE_COLLAPSE_THRESHOLD, class_diversity_key
from cgan_tui.gan import features as feat
from cgan_tui.gan.metrics.context import MetricContext
from cgan_tui.gan.weights import MetricUnavailable


def class_acc(ctx: MetricContext) -> dict[str, float]:
    """Class consistency: the share of samples of class c that the classifier assigns to c."""
    pred = ctx.fake_logits("classifier").argmax(dim=1).cpu()
    return {"class_acc": float((pred == ctx.fake_labels.cpu()).double().mean())}


def diversity(ctx: MetricContext) -> dict[str, float]:
    """Per-class diversity relative to real data and the number of mode-collapsed classes."""
    real_div = torch.as_tensor(ctx.real_summary("classifier").class_diversity)
    fake_div = feat.class_diversity(ctx.fake_features("classifier"), ctx.fake_labels, ctx.num_classes)
    ratio = fake_div / real_div
    valid = torch.isfinite(ratio)
    if not bool(valid.any()):
        raise MetricUnavailable(
            f"diversity needs at least 2 samples per class (n={ctx.n} gives {ctx.n // ctx.num_classes}); use n >= 20"
        )
    per_class = {class_diversity_key(c): float(ratio[c]) for c in range(len(ratio)) if bool(valid[c])}
    ratio = ratio[valid]
    return {
        "diversity": float(ratio.mean()),
        "min_diversity": float(ratio.min()),
        "mode_collapse": float((ratio < MODE_COLLAPSE_THRESHOLD).sum()),
        **per_class,
    }

