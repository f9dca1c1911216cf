"""The Ray executor on a local Ray instance (2 CPUs, shared by this module's tests): queued runs run to
completion in actors, an actor killed with SIGKILL leaves a run that another actor resumes with exact
epoch rows, and a graceful stop sends the run in progress back to the queue."""

from __future__ import annotations

import os
import signal

import pytest

from cgan_tui.runner import queue
from cgan_tui.runner.executors import EXECUTORS
from cgan_tui.runner.logs import log_path
from cgan_tui.store import queries as q
from cgan_tui.store.tables import RunStatus

from runner_helpers import HANG_GUARD_S, wait_for, worker_env

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

FAST = ["--poll", "0.2", "--heartbeat", "0.5"]
ACTOR_ENV = ("PYTHONPATH", "CGAN_TUI_EXTRA_PLUGINS", "CGAN_TUI_EVAL", "CGAN_TEST_GATE")


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One small local Ray instance for the module (its start-up is the slow part)."""
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=128 * 1024**2, log_to_driver=False)
    yield
    ray.shutdown()


def _executor(db_url, env, **kw):
    env = {k: env[k] for k in ACTOR_ENV if k in env}
    return EXECUTORS["ray"](db_url, env=env, extra_args=FAST, cpus_per_run=1, **kw)


def _gated(tiny, epochs: int):
    return tiny(loss="test-gate", epochs=epochs, checkpoint_epochs=(epochs,), batch_size=64)


def test_three_queued_runs_complete_in_two_actors(store, tiny, registries, db_url):
    ids = queue.enqueue_grid(store, [tiny(seed=s, limit_train=32, batch_size=32) for s in range(3)], registries)
    executor = _executor(db_url, worker_env(), workers=2, once=True)
    executor.start()
    codes = executor.wait(timeout=HANG_GUARD_S)
    executor.stop()
    assert codes == [0, 0]
    for rid in ids:
        run = q.get_run(store, rid)
        assert (run.status, run.attempts) == (RunStatus.completed, 1), run.error
        assert "-ray" in run.worker_id
        assert [r.epoch for r in q.epoch_rows(store, rid)] == [1]
        assert log_path(store, rid).read_text().count("start run") == 1


def test_killed_actor_run_is_resumed_by_another_with_exact_epochs(store, tiny, registries, db_url, gate):
    rid = queue.enqueue(store, _gated(tiny, 4), registries=registries)
    gate.hold(2)  # the run blocks inside epoch 2's only step: epoch 1 is checkpointed
    executor = _executor(db_url, gate.env(), workers=2)
    executor.start()
    try:
        gate.wait_arrived()
        victim = q.get_run(store, rid).pid
        os.kill(victim, signal.SIGKILL)  # the actor's process, no chance to clean up
        gate.release()
        wait_for(lambda: q.get_run(store, rid).status == RunStatus.completed, what="the resumed run to complete")
    finally:
        executor.stop()
    run = q.get_run(store, rid)
    assert run.attempts == 2 and run.pid != victim
    assert [r.epoch for r in q.epoch_rows(store, rid)] == [1, 2, 3, 4]
    assert q.grid_epochs(store, rid) == [1, 2, 3, 4]
    text = log_path(store, rid).read_text()
    assert "requeued by the stale-run sweep" in text and text.count("resume from epoch 1") == 1


def test_stop_sends_the_run_in_progress_back_to_the_queue(store, tiny, registries, db_url, gate):
    rid = queue.enqueue(store, _gated(tiny, 3), registries=registries)
    gate.hold(1)
    executor = _executor(db_url, gate.env(), workers=1)
    executor.start()
    gate.wait_arrived()
    assert executor.alive() == 1
    executor.request_stop()  # what Ctrl-C/SIGTERM on `cgan-tui worker --executor ray` does
    gate.release()
    executor.stop(timeout=HANG_GUARD_S)
    run = q.get_run(store, rid)
    assert (run.status, run.worker_id) == (RunStatus.queued, None)
    assert q.latest_checkpoint(store, rid).epoch == 1  # resumes from here later
    assert executor.alive() == 0
