"""Round trips of the named queries against a real SQLite file."""

from __future__ import annotations

import threading

import pytest

from cgan_tui.config import RunConfig
from cgan_tui.errors import UserError
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus


def _cfg(**kw) -> RunConfig:
    base = dict(model="seed004", loss="hinge", conditioning="embedding", d_conditioning="one-hot-channels",
                embed_dim=32, epochs=3, checkpoint_epochs=(1, 3), seed=4)
    base.update(kw)
    return RunConfig(**base)


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    yield s
    s.dispose()


def test_run_round_trip(store):
    rid = q.create_run(store, _cfg(), priority=3, experiment="study")
    run = q.get_run(store, rid)
    assert (run.loss, run.embed_dim, run.epochs, run.priority, run.status) == ("hinge", 32, 3, 3, RunStatus.queued)
    assert run.experiment_id is not None
    assert q.run_config(run) == _cfg()
    rid2 = q.create_run(store, _cfg(loss="bce"), experiment="study", status="completed")
    assert q.get_run(store, rid2).experiment_id == run.experiment_id
    assert [r.id for r in q.list_runs(store)] == [rid, rid2]
    assert [r.id for r in q.list_runs(store, statuses=["completed"])] == [rid2]
    assert q.status_counts(store) == {"queued": 1, "completed": 1}
    q.update_run(store, rid, current_epoch=2, images_per_s=123.5)
    assert q.get_run(store, rid).current_epoch == 2


def test_missing_run_lists_ids(store):
    with pytest.raises(UserError, match="no run 99; the database has no runs"):
        q.get_run(store, 99)
    rid = q.create_run(store, _cfg())
    with pytest.raises(UserError, match=rf"no run 99; ids: {rid}$"):
        q.get_run(store, 99)


def test_metric_upsert_replaces_per_key(store):
    rid = q.create_run(store, _cfg())
    q.upsert_metric(store, rid, 1, "fid", 50.0, backend="inception", n_samples=1000)
    q.upsert_metric(store, rid, 1, "fid", 40.0, backend="inception", n_samples=1000)
    q.upsert_metric(store, rid, 1, "fid", 60.0, backend="inception", n_samples=500)
    q.upsert_metric(store, rid, 1, "is", None, backend="inception", n_samples=1000, unavailable="no weights")
    rows = q.metric_rows(store, [rid])
    got = {(r.name, r.n_samples): (r.value, r.unavailable) for r in rows}
    assert got == {("fid", 1000): (40.0, None), ("fid", 500): (60.0, None), ("is", 1000): (None, "no weights")}
    assert q.metric_rows(store, [rid + 1]) == []


def test_epoch_rows_from_train_stats(store):
    rid = q.create_run(store, _cfg())
    for epoch in (2, 1):
        q.upsert_metrics(store, rid, epoch, {"g_loss": epoch * 1.5, "d_loss": 0.5, "epoch_seconds": 2.0,
                                             "images_per_s": 100.0}, backend=q.TRAIN_BACKEND)
    q.upsert_metric(store, rid, 1, "fid", 3.0, backend="classifier", n_samples=100)
    rows = q.epoch_rows(store, rid)
    assert [r.epoch for r in rows] == [1, 2]
    assert rows[1].g_loss == 3.0 and rows[0].d_loss == 0.5
    assert q.delete_epochs_after(store, rid, 1) == 4
    assert [r.epoch for r in q.epoch_rows(store, rid)] == [1]


def test_grids_and_checkpoints(store):
    rid = q.create_run(store, _cfg())
    q.save_grid(store, rid, 1, b"png1", 10, 8)
    q.save_grid(store, rid, 2, b"png2", 10, 8)
    q.save_grid(store, rid, 1, b"png1b", 10, 4)
    assert q.grid_epochs(store, rid) == [1, 2]
    g = q.grid(store, rid, 1)
    assert (g.png, g.cols) == (b"png1b", 4)
    assert q.grid(store, rid, 3) is None

    assert q.latest_checkpoint(store, rid) is None
    q.add_checkpoint(store, rid, 1, "/x/last.pt", "last")
    q.add_checkpoint(store, rid, 1, "/x/e1.pt", "milestone")
    q.add_checkpoint(store, rid, 2, "/x/last.pt", "last")
    rows = q.checkpoints(store, rid)
    assert [(r.epoch, r.kind) for r in rows] == [(1, "milestone"), (2, "last")]
    latest = q.latest_checkpoint(store, rid)
    assert (latest.epoch, latest.kind) == (2, "last")
    assert q.latest_checkpoint(store, rid, kinds=["milestone"]).path == "/x/e1.pt"
    q.add_checkpoint(store, rid, 1, "/x/e1b.pt", "milestone")
    assert len(q.checkpoints(store, rid)) == 2


def test_ratings_validate_and_replace(store):
    rid = q.create_run(store, _cfg())
    with pytest.raises(UserError, match=r"no samples at epoch 3 .*epochs that can be rated: none yet"):
        q.add_rating(store, rid, 3, "sharpness", 4)  # nobody can have looked at a model without samples
    q.save_grid(store, rid, 3, b"png", 10, 8)
    q.add_rating(store, rid, 3, "sharpness", 4)
    q.add_rating(store, rid, 3, "sharpness", 2)
    q.add_rating(store, rid, 3, "class_fit", 5, rater="other")
    got = {(r.criterion, r.rater): r.value for r in q.ratings(store, [rid])}
    assert got == {("sharpness", "me"): 2, ("class_fit", "other"): 5}
    with pytest.raises(UserError, match="valid: sharpness, structure, detail, class_fit"):
        q.add_rating(store, rid, 3, "beauty", 3)
    with pytest.raises(UserError, match="1..5"):
        q.add_rating(store, rid, 3, "detail", 6)
    with pytest.raises(UserError, match="no samples at epoch 4 .*epochs that can be rated: 3"):
        q.add_rating(store, rid, 4, "detail", 3)
    with pytest.raises(UserError, match="no run"):
        q.add_rating(store, rid + 5, 1, "detail", 3)


def test_concurrent_metric_writers_do_not_lock(db_url):
    stores = [open_store(db_url) for _ in range(4)]
    rid = q.create_run(stores[0], _cfg())
    errors: list[BaseException] = []

    def hammer(store, k):
        try:
            for i in range(40):
                q.upsert_metric(store, rid, i % 5 + 1, f"m{k}", float(i), backend="x", n_samples=i)
                q.metric_rows(store, [rid])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(s, k)) for k, s in enumerate(stores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(q.metric_rows(stores[0], [rid])) == 4 * 40
    for s in stores:
        s.dispose()


def test_writes_retry_when_sqlite_refuses_at_once(db_url, monkeypatch):
    """With no busy wait, a held write lock makes SQLite answer "database is locked" immediately;
    the write retries with back-off and lands once the lock is released."""
    import sqlite3
    import time

    from sqlalchemy import event

    store = open_store(db_url)
    rid = q.create_run(store, _cfg())
    store.engine.dispose()
    event.listen(store.engine, "connect", lambda conn, _r: conn.execute("PRAGMA busy_timeout = 0"))
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None, timeout=0, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    sleeps: list[float] = []
    real_sleep = time.sleep

    def back_off(seconds: float) -> None:
        """The writer met the lock and backs off: release it now (an event, not a timer)."""
        if not sleeps:
            holder.execute("COMMIT")
        sleeps.append(seconds)
        real_sleep(seconds)

    from cgan_tui.store import guard

    monkeypatch.setattr(guard.time, "sleep", back_off)
    try:
        q.upsert_metric(store, rid, 1, "fid", 12.5, backend="inception", n_samples=10)
    finally:
        holder.close()
    assert sleeps, "the first attempt should have met the lock"
    assert [m.value for m in q.metric_rows(store, [rid])] == [12.5]
    store.dispose()


def test_a_failed_reevaluation_never_replaces_a_stored_value(any_db_url):
    """Issue 28: a re-evaluation whose plugin raises is recorded beside the good value, which stays."""
    store = open_store(any_db_url)
    try:
        rid = q.create_run(store, _cfg())
        q.upsert_metrics(store, rid, 3, {"fid": 41.5}, backend="inception", n_samples=100)
        q.upsert_metrics(store, rid, 3, {"fid": None}, backend="inception", n_samples=100,
                         unavailable={"fid": "error: plugin 'x' raised RuntimeError: boom"})
        (row,) = [m for m in q.metric_rows(store, [rid]) if m.name == "fid"]
        assert row.value == 41.5
        assert row.unavailable == q.FAILED_AFTER_VALUE + "error: plugin 'x' raised RuntimeError: boom"
        q.upsert_metric(store, rid, 3, "fid", 40.0, backend="inception", n_samples=100)  # a good one replaces it
        (row,) = [m for m in q.metric_rows(store, [rid]) if m.name == "fid"]
        assert (row.value, row.unavailable) == (40.0, None)
        q.upsert_metric(store, rid, 1, "kid", None, backend="inception", n_samples=100, unavailable="no weights")
        q.upsert_metric(store, rid, 1, "kid", None, backend="inception", n_samples=100, unavailable="still none")
        (kid,) = [m for m in q.metric_rows(store, [rid]) if m.name == "kid"]
        assert (kid.value, kid.unavailable) == (None, "still none")  # nothing to keep: the newest reason
    finally:
        store.dispose()
