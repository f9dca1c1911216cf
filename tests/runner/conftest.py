"""Fixtures for queue/worker tests: registries with the broken test losses, tiny configs, workers."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from runner_helpers import HERE, PLUGIN_MODULE, Gate, worker_env

from cgan_tui.config import RunConfig
from cgan_tui.plugins import load_plugins
from cgan_tui.store.db import open_store


@pytest.fixture(scope="session")
def registries():
    sys.path.insert(0, str(HERE))
    import cgan_test_losses

    return load_plugins(extra=[(PLUGIN_MODULE, cgan_test_losses)])


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def tiny(fmnist_dir) -> Callable[..., RunConfig]:
    """A seed004 run on 64 CPU images, no evaluation: about a second per epoch."""

    def make(**kw) -> RunConfig:
        base = dict(model="seed004", loss="lsgan", epochs=1, checkpoint_epochs=(1,), limit_train=64,
                    data_dir=str(fmnist_dir), device="cpu", metrics=())
        base.update(kw)
        return RunConfig(**base)

    return make


@pytest.fixture
def start_worker(db_url, tmp_path):
    """Start ``cgan-tui worker --workers 1`` with fast polling/heartbeats; all killed at teardown."""
    procs: list[subprocess.Popen] = []

    def start(*args: str, name: str = "w", env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(tmp_path / f"{name}-{len(procs)}.log", "wb")
        cmd = [sys.executable, "-m", "cgan_tui", "worker", "--workers", "1", "--db", db_url, "--poll", "0.2",
               "--heartbeat", "0.5", "--worker-id", f"{name}{len(procs)}", *args]
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env or worker_env())
        proc.log_path = log.name  # type: ignore[attr-defined]
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.fixture
def gate(tmp_path) -> Gate:
    """Hold a ``test-gate`` run inside a training step (see ``runner_helpers.Gate``); released at teardown."""
    g = Gate(tmp_path / "gate")
    yield g
    g.release()
