"""The Ray executor on a local Ray instance (2 CPUs, one fake GPU): fractional GPUs share a GPU, queued
runs run to completion in actors, an actor killed with SIGKILL leaves a run that another actor resumes
with exact epoch rows, and a graceful stop sends the run in progress back to the queue.

Starting Ray and its actors (each imports torch) is the slow part, so the module shares one Ray
instance, one database and one executor with two polling actors; the tests run in file order and the
last one stops the executor. Every wait is on an event (actors ready, a claim, an epoch row, a run's
end) and its hang guard counts from the last progress, so a slow or busy machine only makes the tests
slower: under two busy processes on 2 cores the actors used to need minutes (Ray's workers run at
nice 15 by default; the executor now starts them at normal priority).
"""

from __future__ import annotations

import os
import signal

import pytest
from runner_helpers import HANG_GUARD_S, Gate, wait_for

from cgan_tui.runner import queue
from cgan_tui.runner.executors import EXECUTORS
from cgan_tui.runner.logs import log_path
from cgan_tui.runner.ray_executor import start_local_ray
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow

ACTOR_ENV = ("PYTHONPATH", "CGAN_TUI_EXTRA_PLUGINS", "CGAN_TUI_EVAL", "CGAN_TEST_GATE")
WORKER_ARGS = ["--poll", "0.2", "--heartbeat", "0.5"]


@pytest.fixture(scope="module")
def ray_instance():
    """A new local Ray instance: 2 CPUs and one fake GPU (to Ray a GPU is a count, so fractional
    placement is testable here). ``$RAY_ADDRESS`` points at a cluster that does not exist while it
    starts: the tests must never attach to another instance (a developer's cluster, a stale one)."""
    saved = os.environ.get("RAY_ADDRESS")
    os.environ["RAY_ADDRESS"] = "127.0.0.1:9"  # nothing listens there: attaching would fail
    try:
        start_local_ray(num_cpus=2, num_gpus=1)
    finally:
        if saved is None:
            os.environ.pop("RAY_ADDRESS")
        else:
            os.environ["RAY_ADDRESS"] = saved
    assert ray.cluster_resources().get("CPU") == 2 and ray.cluster_resources().get("GPU") == 1
    assert len([n for n in ray.nodes() if n["Alive"]]) == 1
    yield ray
    ray.shutdown()


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


def _actor_env(gate: Gate) -> dict[str, str]:
    return {k: v for k, v in gate.env().items() if k in ACTOR_ENV}


def _wait_ready(ex) -> None:
    """Each actor's loop built (torch and the plugins imported): one event per actor."""
    wait_for(lambda: ex.wait_ready(timeout=0) == len(ex.status()), interval=0.2, what="the Ray actors' worker loops",
             progress=lambda: (ex.wait_ready(timeout=0), [s.pid for s in ex.status()]))  # fmt: skip


@pytest.fixture(scope="module")
def executor(ray_instance, ray_store, ray_gate):
    """Two polling actors (one CPU each) on the module's Ray instance, their loops ready."""
    ex = EXECUTORS["ray"](ray_store.url, workers=2, cpus_per_run=1, env=_actor_env(ray_gate), extra_args=WORKER_ARGS)
    ex.start()
    _wait_ready(ex)
    yield ex
    ex.stop(timeout=HANG_GUARD_S)


def _progress(ex, store):
    """What changes while the work advances: actors placed, ready or ended; each run's state, owner and
    epoch rows. Heartbeats are left out: they keep beating while a run is stuck."""
    runs = tuple((r.id, r.status, r.attempts, r.pid, len(q.epoch_rows(store, r.id))) for r in q.list_runs(store))
    return ex.wait_ready(timeout=0), tuple((s.pid, s.returncode) for s in ex.status()), runs


def _wait_done(ex, store, ids, what: str) -> None:
    wait_for(lambda: all(q.get_run(store, rid).status.finished for rid in ids), interval=0.1, what=what,
             progress=lambda: _progress(ex, store))  # fmt: skip


def _gated(tiny, epochs: int):
    """One step per epoch (64 images, batch 64), so the gate's step k is epoch k."""
    return tiny(loss="test-gate", epochs=epochs, checkpoint_epochs=(epochs,), batch_size=64)


def test_fractional_gpus_four_actors_share_one_gpu_and_a_fifth_waits(ray_instance, tmp_path, ray_gate):
    """``--gpus-per-run 0.25`` (through ``from_cli``, as ``cgan-tui worker`` builds it): Ray gives each
    actor a quarter of the (fake) GPU, four fill it and a fifth is placed only when one leaves. No
    run is queued: the actors poll an empty queue. A real GPU run is not possible on this machine."""
    store = open_store(f"sqlite:///{tmp_path / 'gpu.db'}")
    options = {"address": None, "gpus_per_run": 0.25, "cpus_per_run": 0.25}
    ex = EXECUTORS["ray"].from_cli(store.url, 5, False, WORKER_ARGS, options)
    ex.env = _actor_env(ray_gate)
    try:
        ex.start()
        placed = lambda: [i for i, info in enumerate(ex.actor_info()) if info]  # noqa: E731
        wait_for(lambda: len(placed()) == 4, interval=0.2, what="four actors on the GPU", progress=placed)
        assert ray.available_resources().get("GPU", 0) == 0  # four quarters fill the one GPU ...
        infos = ex.actor_info()
        (waiting,) = [i for i, info in enumerate(infos) if info is None]  # ... so the fifth is not placed
        for info in filter(None, infos):
            assert info["resources"] == {"CPU": 0.25, "GPU": 0.25}
            assert info["gpus"] == ["0"] and info["nice"] == os.nice(0)  # Ray set CUDA_VISIBLE_DEVICES=0
        assert [s.device for s in ex.status()].count("0") == 4
        ray.kill(ex._actors[placed()[0]], no_restart=True)  # one leaves: its quarter is free again
        wait_for(lambda: ex.actor_info()[waiting] is not None, interval=0.2, what="the fifth actor on the GPU",
                 progress=placed)  # fmt: skip
        assert ex.actor_info()[waiting]["resources"] == {"CPU": 0.25, "GPU": 0.25}
    finally:
        ex.stop(timeout=HANG_GUARD_S)  # returns once the placed actors' loops end (none waits for a GPU)
        store.dispose()


def test_three_queued_runs_complete(executor, ray_store, tiny, registries):
    ids = queue.enqueue_grid(ray_store, [tiny(seed=s, limit_train=32, batch_size=32) for s in range(3)], registries)
    _wait_done(executor, ray_store, ids, "three runs to finish in Ray actors")
    for rid in ids:
        run = q.get_run(ray_store, rid)
        assert (run.status, run.attempts) == (RunStatus.completed, 1), run.error
        assert "-ray" in run.worker_id
        assert [r.epoch for r in q.epoch_rows(ray_store, rid)] == [1]
        assert log_path(ray_store, rid).read_text().count("start run") == 1
    assert executor.alive() == 2 and len(executor.status()) == 2
    # the driver's priority (Ray's default would add 15), one CPU each
    assert all(info["nice"] == os.nice(0) and info["resources"] == {"CPU": 1.0} for info in executor.actor_info())


def test_killed_actor_run_is_resumed_by_another_with_exact_epochs(executor, ray_store, tiny, registries, ray_gate):
    ray_gate.hold(2)  # the run blocks inside epoch 2's only step: epoch 1 is checkpointed
    rid = queue.enqueue(ray_store, _gated(tiny, 4), registries=registries)
    ray_gate.wait_arrived(progress=lambda: _progress(executor, ray_store))
    victim = q.get_run(ray_store, rid).pid
    os.kill(victim, signal.SIGKILL)  # the actor's process: no chance to clean up
    ray_gate.release()
    _wait_done(executor, ray_store, [rid], "the resumed run to finish")
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
    ray_gate.wait_arrived(progress=lambda: _progress(executor, ray_store))
    executor.request_stop()  # what Ctrl-C/SIGTERM on `cgan-tui worker --executor ray` does
    ray_gate.release()
    wait_for(lambda: executor.alive() == 0, what="the actors to stop", progress=lambda: _progress(executor, ray_store))
    executor.stop()
    run = q.get_run(ray_store, rid)
    assert (run.status, run.worker_id) == (RunStatus.queued, None)
    assert q.latest_checkpoint(ray_store, rid).epoch == 2  # the step in flight finished epoch 2
