"""A worker dies mid-training (kill -9, or its PostgreSQL server stops), then a pool of two
``cgan-tui worker --once`` finishes the queue: every run completed exactly once with exact epoch rows,
no traceback in any log, on SQLite and on PostgreSQL (issue 26's acceptance).

The dying worker is held inside a training step of epoch 2 (``Gate``): epoch 1's checkpoint and rows
are complete, so the resumed run must start from epoch 1 and write epochs 2 and 3 once.
"""

from __future__ import annotations

import signal
from pathlib import Path

from cgan_tui.runner.executors import LocalPool
from cgan_tui.runner.logs import log_path
from cgan_tui.store import queries as q
from cgan_tui.store.db import StoreError, open_store
from cgan_tui.store.tables import RunStatus
from tests import pg_server as pg

from .conftest import wait_for

POOL_ARGS = ["--poll", "0.2", "--heartbeat", "0.5", "--stale-after", "1"]


def _queue(store, tiny) -> tuple[int, list[int]]:
    """One gated 3-epoch run claimed first (priority), three plain 2-epoch runs behind it."""
    gated = q.create_run(store, tiny(loss="test-gate", epochs=3, checkpoint_epochs=(1,)), priority=5)
    others = [q.create_run(store, tiny(seed=s, epochs=2, checkpoint_epochs=(1,))) for s in range(3)]
    return gated, others


def _finish_with_a_pool(url: str, gate, tmp_path: Path) -> str:
    """``worker --workers 2 --once`` (the CLI's pool); returns every worker's log, checked clean."""
    pool = LocalPool(url, workers=2, once=True, env=gate.env(), log_dir=tmp_path / "pool-logs", extra_args=POOL_ARGS)
    pool.start()

    def logs() -> str:
        return "".join(Path(s.log_path).read_text() for s in pool.status())

    try:  # ends early when a worker starts retrying the queue (the PostgreSQL stall before issue 26)
        wait_for(lambda: not pool.alive() or "queue access failed" in logs(), interval=0.2, what="the pool",
                 progress=lambda: q_claims(logs()))  # fmt: skip
    finally:
        pool.stop(timeout=30)
    codes, logs = pool.wait(), logs()
    assert codes == [0, 0], logs
    assert "Traceback" not in logs and "queue access failed" not in logs, logs
    return logs


def q_claims(logs: str) -> int:
    return sum("claimed" in line or "epoch" in line for line in logs.splitlines())


def _check_exactly_once(store, gated: int, others: list[int], logs: str) -> None:
    assert f"requeued stale run {gated}" in logs, logs
    run = q.get_run(store, gated)
    assert (run.status, run.attempts) == (RunStatus.completed, 2), run.error
    assert [r.epoch for r in q.epoch_rows(store, gated)] == [1, 2, 3]
    text = log_path(store, gated).read_text()
    assert "resume from epoch 1" in text and text.count("start run") == 2
    for rid in others:
        run = q.get_run(store, rid)
        assert (run.status, run.attempts) == (RunStatus.completed, 1), run.error
        assert [r.epoch for r in q.epoch_rows(store, rid)] == [1, 2]
        assert log_path(store, rid).read_text().count("start run") == 1
    assert len([line for line in logs.splitlines() if "claimed" in line]) == 4  # none twice, none skipped


def _open_when_up(url: str):
    try:
        return open_store(url)
    except StoreError as exc:
        assert "starting up" in str(exc) or "connection" in str(exc), exc
        return None


def test_kill9_of_one_worker_then_a_pool_finishes_every_run_once(any_db_url, tiny, gate, start_worker, tmp_path):
    store = open_store(any_db_url)
    gated, others = _queue(store, tiny)
    gate.hold(2)
    worker = start_worker(any_db_url, "--once", env=gate.env())
    gate.wait_arrived()
    worker.send_signal(signal.SIGKILL)
    assert worker.wait(timeout=120) == -signal.SIGKILL
    gate.release()
    assert q.get_run(store, gated).status == RunStatus.running  # until a sweep sees its process is gone
    logs = _finish_with_a_pool(any_db_url, gate, tmp_path)
    _check_exactly_once(store, gated, others, logs)
    store.dispose()


def test_postgresql_stopped_mid_training_then_restarted(tiny, gate, start_worker, tmp_path, monkeypatch):
    """A server of its own (the suite's shared one must not go down): stopped while a worker trains,
    started again; the worker that lost it gives up in one line, the pool finishes the queue."""
    why = pg.missing()
    if why:
        import pytest

        pytest.skip(why)
    monkeypatch.setenv("CGAN_TUI_ARTIFACTS", f"file://{tmp_path / 'artifacts'}")
    monkeypatch.setenv("CGAN_TUI_LOCK_WAIT_S", "2")
    server = pg.start_server()
    try:
        name, janitor = server.fresh_database()
        with janitor:
            url = server.url(name)
            store = open_store(url)
            gated, others = _queue(store, tiny)
            store.dispose()
            gate.hold(2)
            worker = start_worker(url, "--once", env=gate.env())
            gate.wait_arrived()
            server.executor.stop()  # type: ignore[attr-defined]
            gate.release()
            code = worker.wait(timeout=600)
            wlog = worker.log_path.read_text()
            assert code == 3 and "Traceback" not in wlog, wlog
            assert len([line for line in wlog.splitlines() if "giving up" in line]) == 1, wlog
            server.executor.start()  # type: ignore[attr-defined]
            store = wait_for(lambda: _open_when_up(url), what="the server to accept connections again")
            wait_for(lambda: q.get_run(store, gated).status == RunStatus.running, what="the server back")
            logs = _finish_with_a_pool(url, gate, tmp_path)
            _check_exactly_once(store, gated, others, logs)
            store.dispose()
    finally:
        pg.stop_server(server)
