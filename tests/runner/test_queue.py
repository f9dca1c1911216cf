"""Queue semantics on a real SQLite file, no training: validation, claim order and atomicity,
cancel/reprioritise/requeue, stale detection, the UI's queue rows, executors' GPU detection."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from runner_helpers import HANG_GUARD_S

from cgan_tui.config import GridSpec
from cgan_tui.errors import UserError
from cgan_tui.runner import queue
from cgan_tui.runner.executors import EXECUTORS, LocalPool, RayExecutor, default_workers, detect_gpus
from cgan_tui.runner.logs import log_path
from cgan_tui.store import queries as q
from cgan_tui.store.tables import RunStatus, utcnow


def test_enqueue_validates_before_storing(store, tiny, registries):
    with pytest.raises(UserError, match=r"unknown loss 'hnge'; valid: .*hinge"):
        queue.enqueue(store, tiny(loss="hnge"), registries=registries)
    with pytest.raises(UserError, match="embed_dim must be an integer >= 1"):
        queue.enqueue(store, tiny(embed_dim=0), registries=registries)
    assert q.list_runs(store) == []
    rid = queue.enqueue(store, tiny(loss="hinge"), priority=2, experiment="e1", registries=registries)
    run = q.get_run(store, rid)
    assert (run.status, run.priority, run.loss) == (RunStatus.queued, 2, "hinge")
    assert q.run_config(run).lr_g is not None  # stored resolved


def test_enqueue_grid_is_all_or_nothing(store, tiny, registries, tmp_path):
    good, bad = tiny(loss="bce"), tiny(loss="nope")
    with pytest.raises(UserError, match="unknown loss 'nope'"):
        queue.enqueue_grid(store, [good, good, bad], registries)
    assert q.list_runs(store) == []
    spec = GridSpec(name="study", base={"model": "seed004", "epochs": 1}, matrix={"loss": ["bce", "hinge"], "embed_dim": [10, 32]})
    ids = queue.enqueue_grid(store, spec, registries, priority=1)
    assert len(ids) == 4
    toml = tmp_path / "g.toml"
    toml.write_text('[experiment]\nname = "fromfile"\n[base]\nmodel = "seed004"\n[matrix]\nloss = ["lsgan", "bce"]\n')
    ids2 = queue.enqueue_grid(store, toml, registries)
    runs = q.list_runs(store)
    assert [r.loss for r in runs] == ["bce", "bce", "hinge", "hinge", "lsgan", "bce"]
    assert len({r.experiment_id for r in runs[:4]}) == 1 and runs[4].experiment_id != runs[0].experiment_id
    assert len(ids2) == 2


def test_claim_order_and_empty(store, tiny, registries):
    low = queue.enqueue(store, tiny(), registries=registries)
    high = queue.enqueue(store, tiny(), priority=5, registries=registries)
    low2 = queue.enqueue(store, tiny(), registries=registries)
    claimed = [queue.claim_next(store, "w", 1, "h").id for _ in range(3)]
    assert claimed == [high, low, low2]
    assert queue.claim_next(store, "w") is None
    run = q.get_run(store, high)
    assert (run.status, run.worker_id, run.pid, run.hostname, run.attempts) == (RunStatus.running, "w", 1, "h", 1)
    assert run.heartbeat_at is not None


CLAIMER = """
import sys
from cgan_tui.store.db import open_store
from cgan_tui.runner.queue import claim_next
store = open_store(sys.argv[1])
sys.stdin.readline()  # start together
ids = []
while (run := claim_next(store, sys.argv[2])) is not None:
    ids.append(run.id)
print(" ".join(map(str, ids)))
"""


def test_claim_is_atomic_across_threads_and_processes(store, tiny, registries, db_url):
    ids = queue.enqueue_grid(store, [tiny()] * 60, registries)
    procs = [
        subprocess.Popen([sys.executable, "-c", CLAIMER, db_url, f"p{i}"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        for i in range(3)
    ]  # fmt: skip
    got: list[int] = []
    lock = threading.Lock()

    def claim_loop(name: str) -> None:
        from cgan_tui.store.db import open_store

        own = open_store(db_url)
        while (run := queue.claim_next(own, name)) is not None:
            with lock:
                got.append(run.id)
        own.dispose()

    threads = [threading.Thread(target=claim_loop, args=(f"t{i}",)) for i in range(3)]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        out, _ = p.communicate(timeout=HANG_GUARD_S)
        assert p.returncode == 0
        got.extend(int(x) for x in out.split())
    assert sorted(got) == sorted(ids)  # every run claimed exactly once
    assert all(r.attempts == 1 and r.status == RunStatus.running for r in q.list_runs(store))


def test_cancel_reprioritise_requeue(store, tiny, registries):
    a, b, c, d = (queue.enqueue(store, tiny(), registries=registries) for _ in range(4))
    running = queue.claim_next(store, "w").id
    assert running == a
    assert queue.cancel(store, b) == "cancelled"
    assert queue.cancel(store, a) == "cancel_requested"
    ra, rb = q.get_run(store, a), q.get_run(store, b)
    assert (ra.status, ra.cancel_requested) == (RunStatus.running, True)
    assert rb.status == RunStatus.cancelled and rb.finished_at is not None
    assert {q.get_run(store, x).status for x in (c, d)} == {RunStatus.queued}  # untouched
    with pytest.raises(UserError, match="already cancelled"):
        queue.cancel(store, b)
    with pytest.raises(UserError, match="no run 99"):
        queue.cancel(store, 99)

    queue.reprioritise(store, d, 10)
    assert queue.claim_next(store, "w").id == d
    with pytest.raises(UserError, match="priority must be an integer"):
        queue.reprioritise(store, c, "high")  # type: ignore[arg-type]

    queue.requeue(store, b)
    rb = q.get_run(store, b)
    assert (rb.status, rb.cancel_requested, rb.worker_id) == (RunStatus.queued, False, None)
    with pytest.raises(UserError, match="running on worker w; cancel it first"):
        queue.requeue(store, a)
    q.update_run(store, c, status=RunStatus.completed)
    with pytest.raises(UserError, match="only failed, diverged or cancelled"):
        queue.requeue(store, c)


def test_requeue_stale_dead_process_at_once_else_very_old_heartbeat(store, tiny, registries):
    dead = subprocess.Popen(["true"])
    dead.wait()
    import os

    ids = [queue.enqueue(store, tiny(), registries=registries) for _ in range(5)]
    for rid in ids:
        queue.claim_next(store, f"w{rid}", pid=dead.pid, hostname="thishost")
    old = utcnow() - timedelta(seconds=120)
    q.update_run(store, ids[0], heartbeat_at=old)  # old + dead -> requeued
    q.update_run(store, ids[1], heartbeat_at=old, pid=os.getpid())  # old but alive -> kept
    # ids[2]: fresh heartbeat, dead pid on this host (kill -9 a moment ago) -> requeued at once
    q.update_run(store, ids[3], heartbeat_at=old, hostname="elsewhere")  # other host: only when very old
    q.update_run(store, ids[4], heartbeat_at=old, cancel_requested=True)  # dead while cancelling -> cancelled
    assert queue.requeue_stale(store, 60, hostname="thishost") == [ids[0], ids[2], ids[4]]
    run = q.get_run(store, ids[0])
    assert run.status == RunStatus.queued and run.worker_id is None and "is gone; last heartbeat 120s ago" in run.error
    assert "requeued by the stale-run sweep" in log_path(store, ids[0]).read_text()
    assert q.get_run(store, ids[4]).status == RunStatus.cancelled and q.get_run(store, ids[4]).finished_at
    assert q.get_run(store, ids[2]).status == RunStatus.queued
    assert {q.get_run(store, i).status for i in (ids[1], ids[3])} == {RunStatus.running}
    assert queue.requeue_stale(store, 60, hard_age_s=100, hostname="thishost") == [ids[1], ids[3]]
    assert "stopped heart-beating" in q.get_run(store, ids[3]).error  # other host: pid cannot be checked


def test_queue_rows_progress_and_eta(store, tiny, registries):
    a = queue.enqueue(store, tiny(epochs=4, batch_size=32), registries=registries)
    b = queue.enqueue(store, tiny(), priority=3, registries=registries)
    queue.claim_next(store, "w")  # takes b (priority)
    q.update_run(store, b, current_epoch=1, current_step=1, steps_per_epoch=2, images_per_s=16.0)
    q.update_run(store, b, epochs=1)
    rows = queue.queue_rows(store)
    assert [(r.id, r.status) for r in rows] == [(b, "running"), (a, "queued")]
    rb = rows[0]
    assert rb.fraction == pytest.approx(0.5)
    assert rb.eta_s == pytest.approx(1 * 128 / 16.0)  # one step of the model's batch 128 left
    assert rows[1].eta_s is None and rows[1].fraction == 0.0


def test_a_resumed_run_shows_its_completed_epochs_not_zero(store, tiny, registries):
    """Requeued after epoch 1 of 4 (a worker stopped mid epoch 2), then claimed again: 1/4 until the first
    step of epoch 2 is reported (the full-scale study showed 0.2/10 queued and 0.0/10 resumed)."""
    run = queue.enqueue(store, tiny(epochs=4), registries=registries)
    queue.claim_next(store, "w")
    q.update_run(store, run, current_epoch=2, current_step=1, steps_per_epoch=5, images_per_s=16.0)
    assert queue.queue_rows(store)[0].epochs_done == pytest.approx(1.2)  # mid epoch 2
    q.update_run(store, run, status=RunStatus.queued, current_epoch=1, current_step=0)  # as execute requeues it
    assert queue.queue_rows(store)[0].epochs_done == 1.0
    queue.claim_next(store, "w2")
    assert queue.queue_rows(store)[0].epochs_done == 1.0


def test_gpu_detection_and_executor_seam(monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0,3")
    assert detect_gpus() == ["0", "3"] and default_workers() == 2
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert detect_gpus() == [] and default_workers() == 1
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert detect_gpus() == []
    assert EXECUTORS == {"local": LocalPool, "ray": RayExecutor}
    with pytest.raises(UserError, match="--gpus-per-run must be >= 0"):
        RayExecutor("sqlite:///x.db", gpus_per_run=-1)
    with pytest.raises(UserError, match="--address must be auto, ray://HOST:PORT"):
        RayExecutor("sqlite:///x.db", address="nonsense")
    with pytest.raises(UserError, match="at least 1"):
        LocalPool("sqlite:///x.db").start(0)


def test_claim_sql_is_portable():
    """The same statement compiles for PostgreSQL with row locking (no server here to run it)."""
    from sqlalchemy.dialects import postgresql, sqlite

    stmt = queue.claim_statement("w", 1, "h")
    pg = str(stmt.compile(dialect=postgresql.dialect()))
    assert "FOR UPDATE SKIP LOCKED" in pg and "RETURNING run.id" in pg and "LIMIT" in pg
    lite = str(stmt.compile(dialect=sqlite.dialect()))
    assert "FOR UPDATE" not in lite and "RETURNING" in lite
