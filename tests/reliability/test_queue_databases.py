"""Every queue statement on SQLite and on the real PostgreSQL (issue 26): claim, claim one run, heartbeat,
cancel, reprioritise, requeue and the stale sweep, with enum columns compared and assigned as enums.

Before issue 26 the stale sweep's ``UPDATE run SET status=CASE ...`` failed on PostgreSQL with
``DatatypeMismatch: column "status" is of type runstatus but expression is of type text``: every worker
logged a traceback every poll and one dead worker stalled the whole queue.
"""

from __future__ import annotations

import subprocess
from datetime import timedelta

import pytest

from cgan_tui.errors import UserError
from cgan_tui.runner import queue
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus, utcnow

from .conftest import cli, one_line


@pytest.fixture
def db(any_db_url):
    store = open_store(any_db_url)
    yield store
    store.dispose()


def _dead_pid() -> int:
    dead = subprocess.Popen(["true"])
    dead.wait()
    return dead.pid


def test_every_queue_statement(db, tiny, registries):
    a, b, c, d = (queue.enqueue(db, tiny(), registries=registries) for _ in range(4))
    assert queue.claim_next(db, "w1", 1, "h").id == a  # claim
    assert queue.claim_run(db, b, "w2", pid=2, hostname="h")  # claim one given run
    assert not queue.claim_run(db, b, "w3", pid=3, hostname="h")  # not queued any more
    assert q.touch_heartbeat(db, a, "w1") and not q.touch_heartbeat(db, a, "other")  # heartbeat
    assert queue.cancel(db, c) == "cancelled"  # queued -> cancelled
    assert queue.cancel(db, b) == "cancel_requested"  # running -> asked to stop
    queue.reprioritise(db, d, 7)
    assert q.get_run(db, d).priority == 7
    queue.requeue(db, c)  # cancelled -> queued
    assert q.get_run(db, c).status == RunStatus.queued
    with pytest.raises(UserError, match="running on worker w1"):
        queue.requeue(db, a)
    with pytest.raises(UserError, match=rf"run {c} is already queued \(a worker claims it"):
        queue.requeue(db, c)  # said, not "requeued" again
    assert q.status_counts(db) == {"running": 2, "queued": 2}
    assert [r.id for r in q.list_runs(db, statuses=[RunStatus.running])] == [a, b]

    # the stale sweep: a (heartbeat very old, other host) -> queued; b (cancel requested) -> cancelled
    old = utcnow() - timedelta(seconds=3600)
    q.update_run(db, a, heartbeat_at=old, hostname="elsewhere")
    q.update_run(db, b, heartbeat_at=old, hostname="elsewhere")
    assert queue.requeue_stale(db, 30, hostname="here") == [a, b]
    ra, rb = q.get_run(db, a), q.get_run(db, b)
    assert (ra.status, ra.worker_id, ra.heartbeat_at, ra.finished_at) == (RunStatus.queued, None, None, None)
    assert "stopped heart-beating" in ra.error
    assert rb.status == RunStatus.cancelled and rb.finished_at is not None
    # claim after the death: priority first, then age
    assert [queue.claim_next(db, "w4").id for _ in range(3)] == [d, a, c]
    assert queue.claim_next(db, "w4") is None


def test_dead_process_is_requeued_at_once_and_claimed_again(db, tiny, registries):
    run_id = queue.enqueue(db, tiny(), registries=registries)
    queue.claim_next(db, "w1", pid=_dead_pid(), hostname="here")  # fresh heartbeat, its process gone
    assert queue.requeue_stale(db, 30, hostname="here") == [run_id]
    assert "is gone" in q.get_run(db, run_id).error
    again = queue.claim_next(db, "w2", pid=1, hostname="here")
    assert (again.id, again.attempts, again.worker_id) == (run_id, 2, "w2")


def test_cli_cancel_and_requeue(any_db_url, db, tiny, registries):
    run_id = queue.enqueue(db, tiny(), registries=registries)
    done = cli("queue", "cancel", str(run_id), "--db", any_db_url)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert q.get_run(db, run_id).status == RunStatus.cancelled
    done = cli("queue", "requeue", str(run_id), "--db", any_db_url)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert q.get_run(db, run_id).status == RunStatus.queued
    queue.claim_next(db, "w1", pid=1, hostname="elsewhere")
    refused = cli("queue", "requeue", str(run_id), "--db", any_db_url)
    assert refused.returncode != 0
    one_line(refused.stderr, "running on worker w1")


def test_a_run_without_heartbeat_shows_as_stale_not_running_with_an_eta(any_db_url, db, tiny, registries):
    fresh, dead = (queue.enqueue(db, tiny(epochs=4), registries=registries) for _ in range(2))
    for rid in (fresh, dead):
        queue.claim_next(db, f"w{rid}", pid=1, hostname="elsewhere")
        q.update_run(db, rid, current_epoch=2, current_step=1, steps_per_epoch=2, images_per_s=100.0)
    q.update_run(db, dead, heartbeat_at=utcnow() - timedelta(seconds=queue.STALE_AFTER_S + 60))
    rows = {r.id: r for r in queue.queue_rows(db)}
    assert (rows[fresh].shown_status, rows[fresh].stale) == ("running", False) and rows[fresh].eta_s
    assert (rows[dead].shown_status, rows[dead].eta_s) == ("stale?", None)
    listed = cli("queue", "ls", "--db", any_db_url)
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if x.split()[0] == str(dead))
    assert line.split()[1] == "stale?" and ":" not in line.split("stale?")[1].split(f"w{dead}")[0], line  # no ETA
