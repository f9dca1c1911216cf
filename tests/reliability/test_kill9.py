"""kill -9 of a worker in the middle of writing a checkpoint: the run resumes from the previous one.

To be provably *inside* the write, the checkpoint's temporary file is a named pipe the test reads a
little from: the worker is then blocked in ``write()`` of that very file when it is killed. The pipe
is then replaced by the partial bytes, exactly what a killed writer leaves on a real disk.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import sqlite3
from contextlib import closing

from cgan_tui.atomic import temp_path
from cgan_tui.gan.training import load_checkpoint
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store

from .conftest import assert_kept, rows, wait_for

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)


def test_kill9_during_checkpoint_write_resumes_from_previous_checkpoint(tmp_path, tiny, gate, start_worker):
    db = tmp_path / "experiments.db"
    store = open_store(f"sqlite:///{db}")
    run_id = q.create_run(store, tiny(loss="test-gate", epochs=3, checkpoint_epochs=(1,)))
    gate.hold(2)  # inside epoch 2: epoch 1's checkpoint is complete
    worker = start_worker(f"sqlite:///{db}", "--once", env=gate.env())
    gate.wait_arrived()
    run_dir = tmp_path / "experiments_artifacts" / f"run_{run_id:05d}"
    last = run_dir / "last.pt"
    assert load_checkpoint(last)["epoch"] == 1
    before = rows(db, strict_runs=False)

    tmp = temp_path(last, worker.pid)  # the worker's temporary file: last.pt.<host>.<pid>.tmp
    os.mkfifo(tmp)
    reader = os.open(tmp, os.O_RDONLY | os.O_NONBLOCK)  # a reader first: the worker's open() will not block
    fcntl.fcntl(reader, F_SETPIPE_SZ, 4096)  # a small pipe: the worker blocks inside write() soon
    gate.release()
    wait_for(lambda: select.select([reader], [], [], 0.05)[0], what="the worker writing its checkpoint")
    partial = _read(reader)
    assert partial, "the pipe was readable: the worker has started writing its last.pt temporary file"
    worker.send_signal(signal.SIGKILL)  # blocked in write() of the temporary file: the pipe is full again
    assert worker.wait(timeout=120) == -signal.SIGKILL
    partial += _drain(reader)
    os.close(reader)
    os.unlink(tmp)
    tmp.write_bytes(partial)  # what a killed writer leaves: a torn temporary file, the old last.pt intact

    assert load_checkpoint(last)["epoch"] == 1
    assert_kept(before, rows(db, strict_runs=False), same=False)
    assert q.get_run(store, run_id).status.value == "running"  # until a worker sees its pid is gone

    again = start_worker(f"sqlite:///{db}", "--once", "--stale-after", "1", env=gate.env())
    assert again.wait(timeout=600) == 0, again.log_path.read_text()
    assert f"requeued stale run {run_id}" in again.log_path.read_text()
    run = q.get_run(store, run_id)
    assert run.status.value == "completed", run.error
    assert [r.epoch for r in q.epoch_rows(store, run_id)] == [1, 2, 3]
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:  # one set of curves per epoch, none torn
        steps = conn.execute("SELECT epoch, count(*) FROM stepseries WHERE run_id = ? GROUP BY epoch", (run_id,))
        assert sorted(steps.fetchall()) == [(1, 2), (2, 2), (3, 2)]
    assert "resume from epoch 1" in (run_dir / "run.log").read_text()
    assert load_checkpoint(last)["epoch"] == 3 and not tmp.exists()
    # the run went on: its one rolling "last" checkpoint row moved to epoch 3 by design; all else stays
    before["checkpoint"] = {row for row in before["checkpoint"] if "last" not in row}
    assert_kept(before, rows(db, strict_runs=False), same=False)
    store.dispose()


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 1024)
    except BlockingIOError:
        return b""


def _drain(fd: int) -> bytes:
    out = b""
    while chunk := _read(fd):
        out += chunk
    return out
