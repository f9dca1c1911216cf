"""``evaluate()``: every selected metric over one ``MetricContext``; never raises for a missing weight.

Each metric plugin's ``compute(ctx)`` runs in turn. A metric whose weights are missing yields results
with ``value=None`` and the reason; a metric that raises yields the error text the same way, so one
broken metric never loses the others.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from typing import Any

import torch

from cgan_tui.errors import MetricUnavailable, PluginCallError
from cgan_tui.gan.metrics.context import (
    Counted,
    EvalProgress,
    FeatureCacheLike,
    MetricContext,
    MetricResult,
    default_n,
)  # fmt: skip
from cgan_tui.gan.metrics.extractors import ExtractorFactory

log = logging.getLogger(__name__)


def value_names(metric) -> list[str]:
    """The value names a metric produces (declared through ``better_by_value``, else its name)."""
    return list(metric.better_by_value) or [metric.name]


def select_metrics(registry: Iterable, wanted: Iterable[str] | None = None, every_epoch_only: bool = False) -> list:
    """Metrics by name or backend name (``["fid", "classifier"]``); all when ``wanted`` is None."""
    metrics = list(registry)
    if wanted is not None:
        wanted = list(wanted)
        names = {m.name for m in metrics} | {m.backend for m in metrics}
        unknown = [w for w in wanted if w not in names]
        if unknown:
            from cgan_tui.errors import UserError

            raise UserError(
                f"unknown metric(s) {', '.join(unknown)}; valid: {', '.join(sorted({m.name for m in metrics}))} "
                f"or a backend: {', '.join(sorted({m.backend for m in metrics}))}{getattr(registry, 'note', '')}"
            )
        metrics = [m for m in metrics if m.name in wanted or m.backend in wanted]
    if every_epoch_only:
        metrics = [m for m in metrics if m.every_epoch]
    return metrics


def evaluate(
    generator: torch.nn.Module,
    config,  # cgan_tui.config.RunConfig (resolved)
    registries,  # cgan_tui.plugins.Registries
    *,
    epoch: int,
    n: int | None = None,
    device: torch.device | str = "cpu",
    metrics: Iterable[str] | None = None,
    feature_cache: FeatureCacheLike | None = None,
    extractors: Mapping[str, ExtractorFactory] | None = None,
    real: Any = None,
    train: Any = None,
    every_epoch_only: bool = False,
    context: MetricContext | None = None,
    progress: EvalProgress | None = None,
) -> list[MetricResult]:
    """Compute every selected metric for ``generator`` at ``epoch``; never raises for missing weights.

    ``progress(label, done, total)`` is called after every batch of images an extractor embeds."""
    device = torch.device(device)
    n = int(n or default_n(device))
    selected = select_metrics(registries.metrics, metrics, every_epoch_only)
    ctx = context or MetricContext(
        generator, latent_dim=int(config.latent_dim), n=n, device=device, real=real, train=train, data_dir=config.data_dir,
        feature_cache=feature_cache, extractors=extractors, progress=progress,
    )  # fmt: skip
    if progress is not None and ctx.progress is None:
        ctx.progress = progress
    for backend in getattr(registries, "backends", ()):  # plugin backends: extractors by name, like the built-ins
        ctx.factories.setdefault(backend.name, backend.extractor)
    results: list[MetricResult] = []
    for metric in selected:
        started = time.perf_counter()
        reason = None
        try:
            reason = metric.available()
        except Exception as exc:  # noqa: BLE001
            reason = f"availability check failed: {type(exc).__name__}: {exc}"
        if reason is None:
            try:
                values = dict(metric.compute(ctx))
            except MetricUnavailable as exc:
                reason = exc.reason
            except Exception as exc:
                log.exception("metric %s failed", metric.name)
                named = isinstance(exc, PluginCallError)  # already names the plugin and the hook
                reason = f"error: {exc}" if named else f"error: {type(exc).__name__}: {exc}"
        backbone = _backbone(ctx, metric.backend)
        if reason is not None:
            results.extend(
                MetricResult(v, None, metric.backend, ctx.n, reason, metric.name, backbone) for v in value_names(metric)
            )
            continue
        for name, value in values.items():
            if isinstance(value, MetricUnavailable):  # one value of a metric cannot be computed here
                results.append(MetricResult(name, None, metric.backend, ctx.n, value.reason, metric.name))
                continue
            n_value = ctx.n
            if isinstance(value, Counted):  # a per-class value: stored with its own sample count
                n_value, value = value.n, value.value
            ok = value is not None and torch.isfinite(torch.tensor(float(value))).item()
            results.append(
                MetricResult(name, float(value) if ok else None, metric.backend, n_value,
                             None if ok else "not a finite number", metric.name, backbone)  # fmt: skip
            )
        log.info("metric %s (%s) n=%d took %.2fs", metric.name, metric.backend, ctx.n, time.perf_counter() - started)
    return results


def _backbone(ctx: MetricContext, backend: str) -> str:
    """The backbone hash a value of ``backend`` is stored with: the hash of the extractor of the same
    key when the backend has a versioned backbone (``cgan_tui.gan.backbones``) or its extractor names one
    (plugin backends), else ""."""
    from cgan_tui.gan import backbones

    expected = backbones.current(backend)
    if expected is None:  # a plugin backend's extractor may name its file's hash (``backbone_hash``)
        return ctx.backbone(backend)
    return ctx.backbone(backend) or expected
