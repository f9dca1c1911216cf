"""cgan-tui: run and compare conditional GAN experiments on Fashion-MNIST from the terminal.

This module is the public API for plugin authors (docs/plugins.md): a plugin imports only from
``cgan_tui``. Everything in ``__all__`` is covered by ``HOOKSPEC_VERSION``. The eager names load no
torch; the names in ``_LAZY`` (torch building blocks, the engine's ``train``) are imported on first
use, so ``import cgan_tui`` stays as cheap as listing plugins.
"""

from __future__ import annotations

import pkgutil
from typing import Any

from cgan_tui.classes import IMAGE_SHAPE, NUM_CLASSES
from cgan_tui.errors import MetricUnavailable, PluginCallError, WeightsUnavailable
from cgan_tui.hooks import hookimpl
from cgan_tui.lazy import lazy
from cgan_tui.specs import (
    HOOKSPEC_VERSION,
    Backend,
    BackendWeights,
    Conditioning,
    Loss,
    Metric,
    ModelFamily,
    Score,
)

__version__ = "0.2.0"
"""0.N.x carries hook spec N + 1 (``specs.package_version_for``); pyproject.toml reads it from here."""

_LAZY: dict[str, str] = {  # public name -> "module:attr"; imported on first use (no torch at import)
    # discovery and run configs, for a plugin's own tests (torch-free)
    "load_plugins": "cgan_tui.plugins:load_plugins",
    "RunConfig": "cgan_tui.config:RunConfig",
    "resolve_config": "cgan_tui.config:resolve",
    # what a metric's compute(ctx) receives
    "MetricContext": "cgan_tui.gan.metrics.context:MetricContext",
    # a backend plugin's metric: Frechet distance of generated features to cached real statistics
    "frechet_distance": "cgan_tui.gan.metrics.fid:frechet_distance_to_summary",
    # a backend plugin's extractor: the path of one of its weight files, or WeightsUnavailable (torch-free)
    "weight_file": "cgan_tui.gan.weights:require",
    # building blocks of conditioning schemes and model families (torch modules)
    "LabelEncoder": "cgan_tui.gan.models.common:LabelEncoder",
    "DiscriminatorConditioner": "cgan_tui.gan.models.common:DiscriminatorConditioner",
    "DiscOutput": "cgan_tui.gan.models.common:DiscOutput",
    "ConditionedGenerator": "cgan_tui.gan.models.common:ConditionedGenerator",
    "ConditionedDiscriminator": "cgan_tui.gan.models.common:ConditionedDiscriminator",
    "EmbeddingEncoder": "cgan_tui.gan.conditioning:EmbeddingEncoder",
    "OneHotEncoder": "cgan_tui.gan.conditioning:OneHotEncoder",
    # the training engine, for a plugin's own smoke test
    "train": "cgan_tui.gan.training:train",
    # what ModelFamily.trainer(config, device) returns: a training step (the GAN's is built in; hook spec 3)
    "FamilyTrainer": "cgan_tui.gan.trainer:FamilyTrainer",
}


def __getattr__(name: str) -> Any:
    """Resolve a lazy public name on first access and keep it (later lookups skip this hook)."""
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'cgan_tui' has no attribute {name!r}")
    value = pkgutil.resolve_name(target)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "HOOKSPEC_VERSION",
    "Backend",
    "BackendWeights",
    "IMAGE_SHAPE",
    "NUM_CLASSES",
    "Conditioning",
    "Loss",
    "Metric",
    "MetricUnavailable",
    "ModelFamily",
    "PluginCallError",
    "Score",
    "WeightsUnavailable",
    "hookimpl",
    "lazy",
    *_LAZY,
]
