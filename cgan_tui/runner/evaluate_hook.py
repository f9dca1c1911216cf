"""The runner's epoch hook: evaluate the live generator and store MetricValue rows.

Policy (documented in docs/metrics.md):

* every epoch: the cheap ``every_epoch`` metrics (classifier backend, PSNR);
* at checkpoint epochs (``event.is_checkpoint_epoch``): every enabled metric;
* sample count ``config.eval_n``, else 10,000 on CUDA and 1,000 on CPU (logged with each evaluation);
* ``config.metrics`` selects metrics (names or backends); ``()`` turns evaluation off for the run;
* debug runs (``limit_train`` below 10,000) with neither ``metrics`` nor ``eval_n`` set get only the
  classifier backend (``ALWAYS_BACKENDS``), at checkpoint epochs: FID, IS, LPIPS and so
  ``combined@classifier`` for every run, at a cost of seconds; ``cgan-tui eval RUN_ID`` adds the rest;
* ``CGAN_TUI_EVAL=off`` switches the hook off everywhere.

Values whose weights are missing are stored with ``value=None`` and the reason; classifier values
carry the classifier file's hash (``backbone``). Real-data statistics live in the FeatureCache
table, so every run and epoch after the first reuses them.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable

from cgan_tui.gan.cache_counter import CacheCounter
from cgan_tui.keys import TRAIN_BACKEND
from cgan_tui.settings import settings
from cgan_tui.store import queries as q
from cgan_tui.store.db import Store

log = logging.getLogger(__name__)

EVAL_SECONDS = "eval_seconds"
"""Train-backend value: wall seconds the epoch's evaluation took (``epoch_seconds`` is the training alone)."""
DEBUG_LIMIT = 10_000
"""Runs trained on fewer images than this are debug runs: only ``ALWAYS_BACKENDS`` are evaluated."""
ALWAYS_BACKENDS = ("classifier",)
MEMORISED_KEY = "memorised@classifier"
"""When this value was computed, the grid's flagged samples are recorded too (``record_grid_neighbours``)."""
"""Backends evaluated at every checkpoint epoch of every run (cheap, weights shipped in the package)."""


class StoreFeatureCache(CacheCounter):
    """FeatureCache rows as the evaluation's cache: (dataset, backend, n) -> payload bytes."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, dataset: str, backend: str, n: int) -> bytes | None:
        return self.counted(q.cached_feature(self.store, dataset, backend, n))

    def put(self, dataset: str, backend: str, n: int, payload: bytes) -> None:
        q.cache_feature(self.store, dataset, backend, n, payload)


def evaluation_enabled(config) -> bool:
    """Whether the hook evaluates this run at all (see the module docstring)."""
    if not settings().evaluation_on:
        return False
    if config.metrics is not None:
        return len(config.metrics) > 0
    return True


def is_debug_run(config) -> bool:
    """A run on few images with no evaluation settings of its own: only ``ALWAYS_BACKENDS``."""
    if config.metrics is not None or config.eval_n is not None:
        return False
    return config.limit_train is not None and config.limit_train < DEBUG_LIMIT


def store_results(store: Store, run_id: int, epoch: int, results: Iterable) -> int:
    """Write MetricResults grouped per (backend, n, backbone) in one transaction each; returns rows written."""
    groups: dict[tuple[str, int, str], list] = defaultdict(list)
    for r in results:
        groups[(r.backend, r.n_samples, getattr(r, "backbone", ""))].append(r)
    count = 0
    for (backend, n, backbone), items in groups.items():
        q.upsert_metrics(
            store, run_id, epoch,
            {r.name: r.value for r in items},
            backend=backend, n_samples=n, backbone=backbone,
            unavailable={r.name: r.unavailable for r in items if r.unavailable},
        )  # fmt: skip
        count += len(items)
    return count


class ProgressWriter:
    """``Run.eval_progress`` = "inception generated 300/1000" while a worker evaluates, for the run
    detail; written at most every ``interval_s`` (and at each extraction's end), cleared afterwards."""

    def __init__(self, store: Store, run_id: int, interval_s: float = 1.0) -> None:
        self.store, self.run_id, self.interval_s = store, run_id, interval_s
        self._last = float("-inf")

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last >= self.interval_s or done >= total:
            self._last = now
            self._write(f"{label} {done}/{total}")

    def clear(self) -> None:
        self._write(None)

    def _write(self, text: str | None) -> None:
        from cgan_tui.store import queries as q

        try:
            q.update_run(self.store, self.run_id, eval_progress=text)
        except Exception:
            log.debug("could not write eval progress of run %s", self.run_id, exc_info=True)


def planned_keys(config, epoch: int, registries) -> list[str]:
    """The ``name@backend`` values this hook stores for ``epoch`` of a run (empty: evaluation off)."""
    if not evaluation_enabled(config):
        return []
    from cgan_tui.gan.metrics.engine import select_metrics, value_names

    full = epoch in tuple(config.checkpoint_epochs or ()) or epoch == config.epochs
    debug = is_debug_run(config)
    if debug and not full:
        return []
    wanted = list(ALWAYS_BACKENDS) if debug else config.metrics
    selected = select_metrics(registries.metrics, wanted, every_epoch_only=not full)
    return [f"{name}@{m.backend}" for m in selected for name in value_names(m)]


def _device_of(generator):
    try:
        return next(generator.parameters()).device
    except (StopIteration, AttributeError):
        return "cpu"


def record_grid_neighbours(store: Store, run_id: int, epoch: int, results: Iterable, context) -> None:
    """When ``memorised@classifier`` was computed: the stored grid's memorised samples and their nearest
    training images, beside the run's files (``cgan_tui.memorised``). A failure is logged and never fails
    the run or the command (the metric value itself is stored)."""
    if not any(r.key == MEMORISED_KEY and r.value is not None for r in results):
        return
    grid = q.grid(store, run_id, epoch)
    if grid is None:
        return
    from cgan_tui import memorised
    from cgan_tui.gan.metrics.grid_neighbours import grid_neighbours

    try:
        memorised.write(store.artifact_store, run_id, grid_neighbours(context, bytes(grid.png), grid.rows, grid.cols, epoch))
    except Exception:
        log.warning("run %s epoch %d: memorised grid samples not recorded", run_id, epoch, exc_info=True)


def after_epoch(store: Store, run_id: int, config, event, registries) -> None:
    """Evaluate after one epoch (every-epoch metrics; all metrics at checkpoint epochs)."""
    if event.generator is None or not evaluation_enabled(config):
        return
    from cgan_tui.gan.metrics.context import default_n
    from cgan_tui.gan.metrics.engine import evaluate

    full = bool(event.is_checkpoint_epoch)
    debug = is_debug_run(config)
    if debug and not full:
        return
    device = _device_of(event.generator)
    n = config.eval_n or default_n(device)
    metrics = list(ALWAYS_BACKENDS) if debug else config.metrics
    started = time.perf_counter()
    progress = ProgressWriter(store, run_id)
    q.mark_eval_pending(store, run_id, event.epoch)  # a worker killed before the clear leaves it: resumed
    from cgan_tui.gan.metrics import MetricContext

    context = MetricContext(event.generator, latent_dim=int(config.latent_dim), n=int(n), device=device,
                            data_dir=config.data_dir, feature_cache=StoreFeatureCache(store), progress=progress)  # fmt: skip
    try:
        results = evaluate(
            event.generator, config, registries,
            epoch=event.epoch, n=n, device=device, metrics=metrics,
            feature_cache=StoreFeatureCache(store), every_epoch_only=not full, progress=progress, context=context,
        )  # fmt: skip
    finally:
        progress.clear()
    written = store_results(store, run_id, event.epoch, results)
    record_grid_neighbours(store, run_id, event.epoch, results, context)
    seconds = time.perf_counter() - started
    # stored beside epoch_seconds so the cost of evaluating is a number in the database, not only a log line
    q.upsert_metrics(store, run_id, event.epoch, {EVAL_SECONDS: seconds}, backend=TRAIN_BACKEND)
    q.clear_eval_pending(store, run_id, event.epoch)
    missing = sorted({r.key for r in results if r.value is None})
    log.info(
        "run %s epoch %d: %s evaluation, n=%d on %s%s, %d values in %.1fs%s",
        run_id, event.epoch, "debug-run (classifier)" if debug else "full" if full else "every-epoch", n, device,
        "" if config.eval_n else " (default: 10,000 on CUDA, 1,000 on CPU; set eval_n to change)",
        written, seconds,
        f"; unavailable: {', '.join(missing)}" if missing else "",
    )  # fmt: skip
