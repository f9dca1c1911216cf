"""The old home of the evaluation engine and the built-in metric bodies: now ``cgan_tui.gan.metrics``.

Every name it had is re-exported here so existing imports (plugins, benchmarks, tests) keep working;
new code imports from the ``cgan_tui.gan.metrics`` modules.
"""

from __future__ import annotations

from cgan_tui.gan.metrics.classes import MODE_COLLAPSE_THRESHOLD, class_acc, diversity
from cgan_tui.gan.metrics.context import (
    DEFAULT_N_CPU,
    DEFAULT_N_CUDA,
    EVAL_SEED,
    NUM_CLASSES,
    REAL_DATASET,
    EvalProgress,
    FeatureCacheLike,
    MemoryFeatureCache,
    MetricContext,
    MetricResult,
    default_n,
    generate,
)
from cgan_tui.gan.metrics.engine import _backbone, evaluate, select_metrics, value_names
from cgan_tui.gan.metrics.extractors import (
    DEFAULT_EXTRACTORS,
    ExtractorFactory,
    _classifier,
    _inception,
    _inception_logits,
)
from cgan_tui.gan.metrics.fid import fid_classifier, fid_inception
from cgan_tui.gan.metrics.inception_score import is_classifier, is_inception
from cgan_tui.gan.metrics.kid import kid_inception
from cgan_tui.gan.metrics.lpips import (
    _LPIPS_MODELS,
    _lpips_model,
    lpips_classifier,
    lpips_diversity,
    lpips_diversity_classifier,
    lpips_to_real,
)
from cgan_tui.gan.metrics.psnr import psnr_pixel
from cgan_tui.gan.weights import MetricUnavailable, WeightsUnavailable  # noqa: F401 - imported from here before

__all__ = [
    "MODE_COLLAPSE_THRESHOLD", "class_acc", "diversity", "DEFAULT_N_CPU", "DEFAULT_N_CUDA",
    "EVAL_SEED", "NUM_CLASSES", "REAL_DATASET", "EvalProgress", "FeatureCacheLike", "MemoryFeatureCache",
    "MetricContext", "MetricResult", "default_n", "generate", "_backbone", "evaluate", "select_metrics",
    "value_names", "DEFAULT_EXTRACTORS", "ExtractorFactory", "_classifier", "_inception", "_inception_logits",
    "fid_classifier", "fid_inception", "is_classifier", "is_inception", "kid_inception", "_LPIPS_MODELS",
    "_lpips_model", "lpips_classifier", "lpips_diversity", "lpips_diversity_classifier", "lpips_to_real",
    "psnr_pixel",
]  # fmt: skip
