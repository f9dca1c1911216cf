"""A results database made by REAL tiny training runs, copied fresh for every test.

Three seed004 runs (bce, hinge, lsgan; limit_train 64, 2 epochs, checkpoints at 1 and 2) are queued
and executed once per session through the runner (``enqueue_grid`` -> ``claim_next`` -> ``execute_run``),
so runs, per-epoch losses, sample grids, checkpoints and run logs are the real thing.

Metric values: the runs go through the real evaluation hook with ``metrics=("psnr",)`` and
``eval_n=20``, so every epoch gets a real, measured ``psnr@pixel``. Inception FID/IS cost minutes on
this CPU and LPIPS has no weights offline, so each model also gets FID/IS (backend ``inception``) and
LPIPS (backend ``lpips``) rows with ``n_samples=FIXTURE_N`` (17, which marks them) whose values are
derived from that run's own recorded G loss: fixture values, not measurements, there so that the
combined/final scores and their sorting have inputs. Assertions compare against the values read back
from the database, never against numbers written in a test.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from cgan_tui.hooks import hookimpl
from cgan_tui.plugins import load_plugins
from cgan_tui.specs import Loss

FIXTURE_N = 17  # an odd sample count: marks the fixture's metric rows
LOSSES = ("bce", "hinge", "lsgan")


class BrokenPlugin:
    """An in-process plugin whose hook raises: the plugins screen must list it with its error."""

    __name__ = "tests.ui.broken_plugin"

    @hookimpl
    def register_losses(self):
        raise RuntimeError("broken on purpose for the UI test")


class ExtraLossPlugin:
    __name__ = "tests.ui.extra_loss"

    @hookimpl
    def register_losses(self):
        return [Loss(name="ui-test-loss", d_loss=lambda r, f: 0, g_loss=lambda f: 0)]


@pytest.fixture(scope="session")
def registries():
    return load_plugins(extra=[("ui-broken", BrokenPlugin()), ("ui-extra", ExtraLossPlugin())])


def _train_runs(url: str, data_dir: Path, registries) -> list[int]:
    from cgan_tui.config import RunConfig
    from cgan_tui.runner.execute import execute_run
    from cgan_tui.runner.queue import claim_next, enqueue_grid
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store

    store = open_store(url)
    configs = [
        RunConfig(model="seed004", loss=loss, conditioning="embedding", embed_dim=dim, epochs=2,
                  checkpoint_epochs=(1, 2), limit_train=64, seed=4, device="cpu", data_dir=str(data_dir),
                  metrics=("psnr",), eval_n=20)
        for loss, dim in zip(LOSSES, (10, 32, 10), strict=True)
    ]  # fmt: skip
    ids = enqueue_grid(store, configs, registries=registries, experiment="ui-fixture")
    for _ in ids:
        run = claim_next(store, "ui-test-worker")
        outcome = execute_run(store, run.id, registries, worker_id="ui-test-worker")  # real evaluation hook
        assert outcome.status == "completed", outcome
    for run_id in ids:
        for row in queries.epoch_rows(store, run_id):
            g = abs(row.g_loss or 0.0)
            queries.upsert_metrics(
                store, run_id, row.epoch, {"fid": 20.0 + 7.0 * run_id + 10.0 * g + 3.0 * row.epoch, "is": 1.5 + 0.1 * run_id},
                backend="inception", n_samples=FIXTURE_N,
            )
            queries.upsert_metrics(store, run_id, row.epoch, {"lpips": 0.3 + 0.05 * ((run_id * 3 + row.epoch) % 4)},
                                   backend="lpips", n_samples=FIXTURE_N)
    store.dispose()
    return ids


STABLE_DATA_DIR = Path(tempfile.gettempdir()) / "cgan-tui-ui-fmnist"
"""The runs' configs store their data_dir; a fixed path keeps the detail snapshot identical between runs."""


@pytest.fixture(scope="session")
def trained_db(tmp_path_factory, fmnist_dir, registries) -> SimpleNamespace:
    """The session's master copy (never opened by tests directly)."""
    shutil.copytree(fmnist_dir, STABLE_DATA_DIR, dirs_exist_ok=True)
    root = tmp_path_factory.mktemp("ui-master")
    path = root / "experiments.db"
    ids = _train_runs(f"sqlite:///{path}", STABLE_DATA_DIR, registries)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return SimpleNamespace(path=path, run_ids=ids)


@pytest.fixture
def ui_db(trained_db, tmp_path) -> SimpleNamespace:
    """A private copy of the trained database (and its artifacts folder) for one test."""
    path = tmp_path / "experiments.db"
    shutil.copy(trained_db.path, path)
    artifacts = trained_db.path.with_name("experiments_artifacts")
    if artifacts.exists():
        shutil.copytree(artifacts, tmp_path / "experiments_artifacts")
    return SimpleNamespace(url=f"sqlite:///{path}", path=path, run_ids=list(trained_db.run_ids))


@pytest.fixture
def make_app(registries, tmp_path):
    """``make_app(url)`` -> a CganApp on that database with forced half-cell images and fast polling."""
    from cgan_tui.ui.app import CganApp
    from cgan_tui.ui.services import Services

    apps = []

    def factory(url: str, **overrides):
        options = dict(plugin_loader=lambda: registries, image_renderer="halfcell", poll_interval=0.3,
                       grids_dir=Path(__file__).resolve().parents[2] / "grids")  # fmt: skip
        options.update(overrides)
        app = CganApp(Services(url, **options))
        apps.append(app)
        return app

    return factory


HANG_GUARD_S = 300.0
"""A wait's upper bound only turns a hang into a failure: waits return as soon as their condition holds,
so a slow or busy machine makes a test slower, never red. Whatever it waits for (a poll, a thread worker,
a database write) is an event the app produces, not a duration."""


def app_state(app) -> str:
    """What the app shows, for a failed wait's message: the screen stack, toasts, running workers, form errors."""
    screens = " > ".join(type(s).__name__ for s in app.screen_stack)
    toasts = [m for _, m in getattr(app, "notices", [])][-5:]
    workers = [w.name or str(w) for w in app.workers if w.is_running]
    errors = [str(w.render()) for w in app.screen.query("#form-error")]
    return f"screens: {screens}; toasts: {toasts}; running workers: {workers}; form errors: {errors}"


async def wait_for(pilot, predicate, timeout: float = HANG_GUARD_S, what: str = "condition") -> None:
    """Let the app run (workers, polls) until ``predicate()`` holds; a hang fails after ``timeout``
    with the app's state in the message."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}; {app_state(pilot.app)}")
        await pilot.pause(0.05)


def results_loaded(app) -> bool:
    from cgan_tui.ui.screens.results import ResultsScreen

    screen = app.screen
    return isinstance(screen, ResultsScreen) and screen.complete and bool(screen.table.shown)


def build_synthetic_db(path: Path | None, registries, url: str | None = None) -> list[int]:
    """Deterministic content for the snapshot tests: written through the store API like a worker would,
    but with numbers and pictures that do not depend on the CPU's floating-point details (real runs
    can differ in the last digits between machines, which would change a snapshot)."""
    import io

    import numpy as np
    from PIL import Image

    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store

    store = open_store(url or f"sqlite:///{path}")
    configs = [
        resolve(RunConfig(model="seed004", loss=loss, embed_dim=dim, epochs=2, checkpoint_epochs=(1, 2), seed=4),
                registries)
        for loss, dim in zip(LOSSES, (10, 32, 10), strict=True)
    ]  # fmt: skip
    ids = queries.create_runs(store, configs, status="completed", experiment="snapshot")
    images = np.random.default_rng(7).integers(0, 256, size=(80, 28, 28), dtype=np.uint8)
    for k, run_id in enumerate(ids):
        for epoch in (1, 2):
            queries.upsert_metrics(store, run_id, epoch, {"g_loss": 1.5 - 0.25 * epoch + 0.1 * k,
                                                          "d_loss": 0.5 + 0.05 * epoch * k}, backend="train")
            queries.upsert_metrics(store, run_id, epoch, {"fid": 30.0 + 5 * k - 2 * epoch, "is": 1.5 + 0.1 * k},
                                   backend="inception", n_samples=FIXTURE_N)
            queries.upsert_metrics(store, run_id, epoch, {"lpips": 0.3 + 0.05 * k}, backend="lpips",
                                   n_samples=FIXTURE_N)
            queries.upsert_metrics(store, run_id, epoch, {"psnr": 7.0 + 0.25 * epoch + 0.1 * k}, backend="pixel",
                                   n_samples=20)
            tiles = (images.astype(np.int32) * (epoch + k) // 4).clip(0, 255).astype(np.uint8)
            grid = tiles.reshape(10, 8, 28, 28).transpose(0, 2, 1, 3).reshape(280, 224)
            buf = io.BytesIO()
            Image.fromarray(grid, mode="L").save(buf, format="PNG")
            queries.save_grid(store, run_id, epoch, buf.getvalue(), rows=10, cols=8)
            queries.add_checkpoint(store, run_id, epoch, str(store.run_dir(run_id) / f"epoch_{epoch:03d}.pt"))
        queries.update_run(store, run_id, current_epoch=2)
    store.dispose()
    return ids


@pytest.fixture
def snapshot_db(tmp_path, registries) -> SimpleNamespace:
    path = tmp_path / "experiments.db"
    ids = build_synthetic_db(path, registries)
    return SimpleNamespace(url=f"sqlite:///{path}", path=path, run_ids=ids)
