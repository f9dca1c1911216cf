"""Four real worker processes share one PostgreSQL queue: twelve runs, each executed exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from runner_helpers import HANG_GUARD_S, worker_env

from cgan_tui.runner import queue
from cgan_tui.runner.executors import LocalPool
from cgan_tui.runner.logs import log_path
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus
from tests.pg_server import PASSWORD

pytestmark = pytest.mark.slow


def test_four_workers_twelve_runs_each_exactly_once(pg_url, tiny, registries, tmp_path):
    store = open_store(pg_url)
    ids = queue.enqueue_grid(store, [tiny(seed=s, limit_train=32, batch_size=32) for s in range(12)], registries)
    pool = LocalPool(pg_url, workers=4, once=True, env=worker_env(), log_dir=tmp_path / "logs",
                     extra_args=["--poll", "0.2", "--heartbeat", "0.5"])  # fmt: skip
    pool.start()
    codes = pool.wait(timeout=HANG_GUARD_S)
    logs = "".join(Path(s.log_path).read_text() for s in pool.status())
    assert codes == [0, 0, 0, 0], logs
    assert PASSWORD not in logs
    for rid in ids:
        run = q.get_run(store, rid)
        assert (run.status, run.attempts) == (RunStatus.completed, 1), run.error
        assert [r.epoch for r in q.epoch_rows(store, rid)] == [1]
        assert set(q.step_curves(store, [rid])[rid]) == {"g_loss", "d_loss"}  # step curves written by workers too
        assert log_path(store, rid).read_text().count("start run") == 1
        assert all(c.path.startswith(str(tmp_path / "artifacts")) for c in q.checkpoints(store, rid))  # file:// root
    executed = [line for line in logs.splitlines() if "claimed" in line]
    assert len(executed) == 12  # no run claimed twice, none skipped
    store.dispose()
