"""The Ray executor on a local Ray instance (2 CPUs): queued runs run to completion in actors, an actor
killed with SIGKILL leaves a run that another actor resumes with exact epoch rows, and a graceful stop
sends the run in progress back to the queue.

Starting Ray and its actors (each imports torch) is the slow part, so the module shares one Ray
instance, one database and one executor with two polling actors; the tests run in file order and the
last one stops the executor.
"""

from __future__ import annotations

import os
import signal

import pytest
from runner_helpers import HANG_GUARD_S, Gate, wait_for

from cgan_tui.runner import queue
from cgan_tui.runner.executors import EXECUTORS
from cgan_tui.runner.logs import log_path
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

ACTOR_ENV = ("PYTHONPATH", "CGAN_TUI_EXTRA_PLUGINS", "CGAN_TUI_EVAL", "CGAN_TEST_GATE")


@pytest.fixture(scope="module")
def ray_gate(tmp_path_factory):
    gate = Gate(tmp_path_factory.mktemp("ray-gate"))
    yield gate
    gate.release()


@pytest.fixture(scope="module")
def ray_store(tmp_path_factory):
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('ray-db') / 'experiments.db'}")
    yield store
    store.dispose()


@pytest.fixture(scope="module")
def executor(ray_store, ray_gate):
    """Two polling actors (one CPU each) on a local Ray instance started for this module."""
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=128 * 1024**2, log_to_driver=False)
    env = {k: v for k, v in ray_gate.env().items() if k in ACTOR_ENV}
    ex = EXECUTORS["ray"](ray_store.url, workers=2, cpus_per_run=1, env=env,
                          extra_args=["--poll", "0.2", "--heartbeat", "0.5"])  # fmt: skip
    ex.start()
    yield ex
    ex.stop(timeout=HANG_GUARD_S)
    ray.shutdown()


def _gated(tiny, epochs: int):
    """One step per epoch (64 images, batch 64), so the gate's step k is epoch k."""
    return tiny(loss="test-gate", epochs=epochs, checkpoint_epochs=(epochs,), batch_size=64)


def _done(store, ids) -> bool:
    return all(q.get_run(store, rid).status.finished for rid in ids)


def test_three_queued_runs_complete(executor, ray_store, tiny, registries):
    ids = queue.enqueue_grid(ray_store, [tiny(seed=s, limit_train=32, batch_size=32) for s in range(3)], registries)
    wait_for(lambda: _done(ray_store, ids), what="three runs to finish in Ray actors")
    for rid in ids:
        run = q.get_run(ray_store, rid)
        assert (run.status, run.attempts) == (RunStatus.completed, 1), run.error
        assert "-ray" in run.worker_id
        assert [r.epoch for r in q.epoch_rows(ray_store, rid)] == [1]
        assert log_path(ray_store, rid).read_text().count("start run") == 1
    assert executor.alive() == 2 and len(executor.status()) == 2


def test_killed_actor_run_is_resumed_by_another_with_exact_epochs(executor, ray_store, tiny, registries, ray_gate):
    ray_gate.hold(2)  # the run blocks inside epoch 2's only step: epoch 1 is checkpointed
    rid = queue.enqueue(ray_store, _gated(tiny, 4), registries=registries)
    ray_gate.wait_arrived()
    victim = q.get_run(ray_store, rid).pid
    os.kill(victim, signal.SIGKILL)  # the actor's process: no chance to clean up
    ray_gate.release()
    wait_for(lambda: _done(ray_store, [rid]), what="the resumed run to finish")
    run = q.get_run(ray_store, rid)
    assert (run.status, run.attempts) == (RunStatus.completed, 2), run.error
    assert run.pid != victim
    assert [r.epoch for r in q.epoch_rows(ray_store, rid)] == [1, 2, 3, 4]
    assert q.grid_epochs(ray_store, rid) == [1, 2, 3, 4]
    text = log_path(ray_store, rid).read_text()
    assert "requeued by the stale-run sweep" in text and text.count("resume from epoch 1") == 1


def test_stop_sends_the_run_in_progress_back_to_the_queue(executor, ray_store, tiny, registries, ray_gate):
    ray_gate.hold(2)
    rid = queue.enqueue(ray_store, _gated(tiny, 3), registries=registries)
    ray_gate.wait_arrived()
    executor.request_stop()  # what Ctrl-C/SIGTERM on `cgan-tui worker --executor ray` does
    ray_gate.release()
    wait_for(lambda: executor.alive() == 0, what="the actors to stop")
    executor.stop()
    run = q.get_run(ray_store, rid)
    assert (run.status, run.worker_id) == (RunStatus.queued, None)
    assert q.latest_checkpoint(ray_store, rid).epoch == 2  # the step in flight finished epoch 2
