"""Inception Score: exp(E KL(p(y|x) || p(y))) from a network's class logits (Inception or the classifier)."""

from __future__ import annotations

import math
import statistics

import torch

from cgan_tui.gan.metrics.context import MetricContext


def inception_score(logits: torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """IS = exp(E_x KL(p(y|x) || p(y))), mean and std over ``splits`` consecutive chunks (no shuffle)."""
    probs = logits.detach().double().softmax(dim=1).cpu()
    splits = max(1, min(splits, probs.shape[0]))
    scores = []
    for chunk in probs.chunk(splits):
        marginal = chunk.mean(dim=0, keepdim=True)
        kl = (chunk * (torch.log(chunk + 1e-12) - torch.log(marginal + 1e-12))).sum(dim=1).mean()
        scores.append(math.exp(float(kl)))
    return statistics.fmean(scores), statistics.pstdev(scores)


def is_inception(ctx: MetricContext) -> dict[str, float]:
    mean, std = inception_score(ctx.fake_logits("inception_logits"))
    return {"is": mean, "is_std": std}


def is_classifier(ctx: MetricContext) -> dict[str, float]:
    mean, std = inception_score(ctx.fake_logits("classifier"))
    return {"is": mean, "is_std": std}
