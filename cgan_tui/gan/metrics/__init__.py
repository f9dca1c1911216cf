"""Metric bodies, one module per metric family, and the thin registry the built-in plugin reads.

As stylegan2-ada's ``metric_main``: ``BODIES`` names every built-in metric function by target
(``module:function``) and ``body(name)`` returns it lazily, so registering the built-in metrics never
imports torch. One module per job:

* ``context`` -- ``MetricContext`` (lazy samples, reals, features, cached real summaries), ``MetricResult``
* ``extractors`` -- the feature networks a context builds by key
* ``engine`` -- ``evaluate()``: every selected metric, honest results for missing weights and errors
* ``fid``, ``kid``, ``inception_score``, ``lpips``, ``psnr``, ``classes``, ``intra_fid``, ``prdc``,
  ``memorisation`` -- the metrics themselves
* ``bootstrap`` -- batched Frechet distances and the bootstrap standard errors (``*_se``)
* ``pairs`` -- which images paired metrics compare

Import each name from the module that defines it (the old re-exporting shims are gone).
"""

from __future__ import annotations

from typing import Any

from cgan_tui.errors import UserError
from cgan_tui.lazy import LazyCallable, lazy

_P = "cgan_tui.gan.metrics."
BODIES: dict[str, str] = {
    "fid_inception": _P + "fid:fid_inception",
    "fid_classifier": _P + "fid:fid_classifier",
    "kid_inception": _P + "kid:kid_inception",
    "is_inception": _P + "inception_score:is_inception",
    "is_classifier": _P + "inception_score:is_classifier",
    "lpips_to_real": _P + "lpips:lpips_to_real",
    "lpips_diversity": _P + "lpips:lpips_diversity",
    "lpips_classifier": _P + "lpips:lpips_classifier",
    "lpips_diversity_classifier": _P + "lpips:lpips_diversity_classifier",
    "psnr_pixel": _P + "psnr:psnr_pixel",
    "class_acc": _P + "classes:class_acc",
    "diversity": _P + "classes:diversity",
    "intra_fid": _P + "intra_fid:intra_fid",
    "prdc_classifier": _P + "prdc:prdc_classifier",
    "memorisation": _P + "memorisation:memorisation",
}
"""Built-in metric function name -> ``module:function`` (each takes a ``MetricContext``, returns a dict)."""


def body(name: str) -> LazyCallable:
    """The built-in metric function ``name``, imported on its first call."""
    try:
        return lazy(BODIES[name])
    except KeyError:
        raise UserError(f"unknown metric body {name!r}; valid: {', '.join(BODIES)}") from None


def list_bodies() -> list[str]:
    return list(BODIES)


_LAZY = {
    "MetricContext": "context", "MetricResult": "context", "MemoryFeatureCache": "context", "default_n": "context",
    "generate": "context", "evaluate": "engine", "select_metrics": "engine", "value_names": "engine",
}  # fmt: skip


def __getattr__(name: str) -> Any:
    """``from cgan_tui.gan.metrics import evaluate, MetricContext``: imported (with torch) on first use."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_P + _LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BODIES", "body", "list_bodies", *_LAZY]
