"""A full disk (a tiny tmpfs) while a worker writes a checkpoint, and while it writes an epoch's rows.

The run is held at a training step of epoch 2 (``Gate``) while the test fills the disk, so the
fault hits exactly the write under test. Afterwards space is freed and the run resumes from its last
complete checkpoint (epoch 1): nothing written before the fault is lost.
"""

from __future__ import annotations

import re
from pathlib import Path

from cgan_tui.runner.worker import EXIT_CANNOT_WRITE
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store

from .conftest import assert_kept, cli, fill, one_line, rows


def _gated(tiny):
    return tiny(loss="test-gate", epochs=3, checkpoint_epochs=(1,))


def _finish_after_freeing(db: Path, filler: Path, start_worker, gate, run_id: int = 1) -> str:
    """Free the space, requeue if needed, run a worker to the end; returns the run's log."""
    filler.unlink(missing_ok=True)
    store = open_store(f"sqlite:///{db}")
    try:
        if q.get_run(store, run_id).status.value in ("failed",):
            done = cli("queue", "requeue", str(run_id), "--db", str(db))
            assert done.returncode == 0, done.stderr
        worker = start_worker(f"sqlite:///{db}", "--once", "--stale-after", "1", env=gate.env())
        assert worker.wait(timeout=600) == 0, worker.log_path.read_text()
        run = q.get_run(store, run_id)
        assert run.status.value == "completed", (run.status, run.error)
        assert [r.epoch for r in q.epoch_rows(store, run_id)] == [1, 2, 3]
    finally:
        store.dispose()
    return (db.parent / "experiments_artifacts" / f"run_{run_id:05d}" / "run.log").read_text()


def test_disk_full_during_a_checkpoint_write(tmp_path, tiny, gate, start_worker, mounts):
    db = tmp_path / "experiments.db"
    store = open_store(f"sqlite:///{db}")
    run_id = q.create_run(store, _gated(tiny), priority=1)
    waiting = [q.create_run(store, tiny(seed=s)) for s in range(3)]
    artifacts = mounts.tmpfs(tmp_path / "experiments_artifacts", "128m")  # the checkpoints' disk only
    gate.hold(2)  # epoch 2's only step: epoch 1's checkpoint and rows are complete
    worker = start_worker(f"sqlite:///{db}", "--once", env=gate.env())
    gate.wait_arrived()
    before = rows(db, strict_runs=False)
    filler = fill(artifacts)
    gate.release()
    assert worker.wait(timeout=600) == EXIT_CANNOT_WRITE, worker.log_path.read_text()
    log = worker.log_path.read_text()
    assert "Traceback" not in log and "Logging error" not in log, log
    # it stops claiming: one line naming the folder and its free space; the other runs stay queued
    line = one_line(log, f"the artifacts folder {artifacts} is full (", " free)", f"queue requeue {run_id}")
    assert "gave up after 1 run(s)" in line
    assert [q.get_run(store, rid).status.value for rid in waiting] == ["queued"] * 3
    run = q.get_run(store, run_id)
    assert run.status.value == "failed"
    assert run.error.startswith("disk full while writing") and "\n" not in run.error, run.error
    assert re.search(r"last\.pt\.\S+\.\d+\.tmp", run.error) and "resumes from its last complete checkpoint" in run.error
    assert_kept(before, rows(db, strict_runs=False), same=False)
    assert [c.epoch for c in q.checkpoints(store, run_id)] == [1, 1]  # last + milestone of epoch 1
    store.dispose()
    run_log = _finish_after_freeing(db, filler, start_worker, gate, run_id)
    assert "resume from epoch 1" in run_log
    store = open_store(f"sqlite:///{db}")
    assert [q.get_run(store, rid).status.value for rid in waiting] == ["completed"] * 3
    store.dispose()


def test_a_pool_on_a_full_artifacts_disk_claims_nothing_and_prints_each_reason(tmp_path, tiny, mounts):
    db = tmp_path / "experiments.db"
    store = open_store(f"sqlite:///{db}")
    ids = [q.create_run(store, tiny(seed=s)) for s in range(3)]
    artifacts = mounts.tmpfs(tmp_path / "experiments_artifacts", "8m")
    fill(artifacts, leave=256 * 1024)  # the worker logs still fit; a run's files would not
    before = rows(db)
    pools = [cli("worker", "--workers", "2", "--once", "--db", str(db), "--poll", "0.2") for _ in range(2)]
    for pool in pools:
        assert pool.returncode == EXIT_CANNOT_WRITE, pool.stderr
        assert "Traceback" not in pool.stderr, pool.stderr
        reasons = [line for line in pool.stderr.splitlines() if line.startswith("cgan-tui worker: worker ")]
        assert len(reasons) == 2, pool.stderr
        for reason in reasons:
            assert f"gave up after 0 run(s): the artifacts folder {artifacts} is full (" in reason, reason
            assert "KiB free)" in reason and "queued runs stay queued" in reason and ".log)" in reason
    assert_kept(before, rows(db))  # nothing claimed, nothing written
    assert [q.get_run(store, rid).status.value for rid in ids] == ["queued"] * 3
    logs = sorted(p.name for p in (artifacts / "workers").iterdir())
    assert len(logs) == 4, logs  # two pools, two workers each: four files, none appended to twice
    store.dispose()


def test_disk_full_during_a_metric_write(tmp_path, tiny, gate, start_worker, mounts):
    folder = mounts.tmpfs(tmp_path / "dbdisk", "8m")  # the database's disk
    mounts.tmpfs(folder / "experiments_artifacts", "128m")  # checkpoints elsewhere: only the rows fail
    db = folder / "experiments.db"
    store = open_store(f"sqlite:///{db}")
    run_id = q.create_run(store, _gated(tiny))
    store.dispose()
    gate.hold(2)
    worker = start_worker(f"sqlite:///{db}", "--once", env=gate.env())
    gate.wait_arrived()
    before = rows(db, strict_runs=False)
    filler = fill(folder)
    gate.release()
    assert worker.wait(timeout=600) == 3, worker.log_path.read_text()
    log = worker.log_path.read_text()
    assert "Traceback" not in log, log
    givings = [line for line in log.splitlines() if "giving up" in line]
    assert len(givings) == 1 and "is full" in givings[0] and "nothing was saved" in givings[0], log
    assert_kept(before, rows(db, strict_runs=False), same=False)
    run_log = _finish_after_freeing(db, filler, start_worker, gate, run_id)
    assert "resume from epoch 1" in run_log
