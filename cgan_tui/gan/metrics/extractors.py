"""The feature extractors a ``MetricContext`` builds on demand, by key (``inception``, ``inception_logits``,
``classifier``). Tests and plugins may pass their own factories to ``evaluate``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import torch

from cgan_tui.gan import features as feat
from cgan_tui.gan import weights
from cgan_tui.gan.weights import WeightsUnavailable


class ExtractorHost(Protocol):
    """What a factory uses of the ``MetricContext`` that calls it (this module never imports the context,
    which imports it)."""

    device: torch.device

    def extractor(self, key: str) -> Any: ...


ExtractorFactory = Callable[[ExtractorHost], Any]


def _inception(ctx: ExtractorHost):
    if weights.status("fid-inception").path is None and weights.status("torch-fidelity-inception").path is not None:
        try:
            return feat.TorchFidelityInception(ctx.device)
        except (ImportError, WeightsUnavailable):
            pass
    return feat.InceptionFID(ctx.device)


def _inception_logits(ctx: ExtractorHost):
    if weights.status("fid-inception").path is None:  # FID runs on torch-fidelity's network too:
        try:  # IS shares its model and its one pass over the samples
            shared = ctx.extractor("inception")
        except WeightsUnavailable:
            shared = None
        if isinstance(shared, feat.TorchFidelityInception):
            return shared
    try:
        return feat.TorchFidelityInception(ctx.device)
    except WeightsUnavailable as exc:
        raise WeightsUnavailable(
            f"Inception Score needs Inception logits: {exc.reason} (default_1.pt has no logits layer)"
        ) from None
    except ImportError:
        raise WeightsUnavailable(
            "Inception Score needs torch-fidelity's Inception (pip install torch-fidelity, plus its weights "
            "file); default_1.pt has no logits layer"
        ) from None


def _classifier(ctx: ExtractorHost):
    from cgan_tui.gan import classifier

    return classifier.extractor(ctx.device)


DEFAULT_EXTRACTORS: dict[str, ExtractorFactory] = {
    "inception": _inception,
    "inception_logits": _inception_logits,
    "classifier": _classifier,
}
"""Extractor key -> factory(ctx). Tests and plugins may pass their own mapping to ``evaluate``."""
