"""Step curves (``StepSeries``, schema 6) on SQLite and PostgreSQL: written with the epoch's rows, read per
run, rewritten by a retrained epoch, dropped with a resumed run's stale epochs and by ``rm``; a schema-5
database is read without curves and upgraded by the first write of one."""

from __future__ import annotations

import math

import pytest

from cgan_tui.config import RunConfig
from cgan_tui.runner.recorder import RunRecorder
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.queries.steps import decode, encode
from cgan_tui.store.tables import SCHEMA_VERSION, RunStatus


class End:
    """The fields of ``EpochEnd`` the recorder reads (the engine's event without torch)."""

    def __init__(self, epoch: int, values: dict[str, list[float]], every: int = 2, steps: int = 5) -> None:
        self.epoch, self.g_loss, self.d_loss, self.seconds, self.images_per_s = epoch, 1.0, 0.5, 1.0, 100.0
        self.images_seen, self.grid_png, self.grid_rows, self.grid_cols = 80 * epoch, b"", 10, 8
        self.step_values, self.step_every, self.epoch_steps = values, every, steps


def _count(store, run_id: int) -> int:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(f"SELECT count(*) FROM stepseries WHERE run_id = {int(run_id)}").scalar()


def test_float32_blob_round_trip_keeps_nan():
    out = decode(encode([1.5, float("nan"), -2.25]))
    assert out[0] == 1.5 and math.isnan(out[1]) and out[2] == -2.25
    assert len(encode([0.0] * 7)) == 28


def test_curves_written_per_epoch_read_per_run_rewritten_dropped_and_removed(any_db_url):
    store = open_store(any_db_url)
    a, b = q.create_runs(store, [RunConfig(epochs=3), RunConfig(epochs=3, seed=1)])
    rec = RunRecorder(store, a, resuming=False)
    rec.on_epoch_end(End(1, {"g_loss": [1.0, float("nan"), 3.0], "d_loss": [0.5, 0.4, 0.3]}))
    rec.on_epoch_end(End(2, {"g_loss": [4.0, 5.0, 6.0], "d_loss": [0.2, 0.1, 0.0]}))
    RunRecorder(store, b, resuming=False).on_epoch_end(End(1, {"d_loss": [9.0, 9.0, 9.0]}))

    curves = q.step_curves(store, [a, b])
    g = curves[a]["g_loss"]
    assert g.steps == [2, 5, 7, 9, 10]  # epoch 1: steps 2, (4 is NaN), 5; epoch 2: 5 + 2, 5 + 4, 5 + 5
    assert g.epochs == pytest.approx([0.4, 1.0, 1.4, 1.8, 2.0])
    assert g.values == [1.0, 3.0, 4.0, 5.0, 6.0]
    assert len(curves[a]["d_loss"].values) == 6 and set(curves[b]) == {"d_loss"}
    assert q.epoch_rows(store, a)[0].g_loss == 1.0  # the per-epoch values stay what they were

    # a retrained epoch rewrites its curves (one set per epoch), a resumed run drops later epochs' curves
    rec.on_epoch_end(End(2, {"g_loss": [7.0, 7.0, 7.0], "d_loss": [0.0, 0.0, 0.0]}))
    assert _count(store, a) == 4 and q.step_curves(store, [a])[a]["g_loss"].values[-3:] == [7.0, 7.0, 7.0]
    q.delete_epochs_after(store, a, 1)
    assert _count(store, a) == 2 and max(q.step_curves(store, [a])[a]["d_loss"].epochs) == 1.0

    q.update_run(store, a, status=RunStatus.completed)
    q.remove_runs(store, [a])
    assert _count(store, a) == 0 and _count(store, b) == 1
    store.dispose()


def test_schema_5_is_read_without_curves_and_upgraded_by_the_first_curve(any_db_url):
    store = open_store(any_db_url)
    run_id = q.create_run(store, RunConfig(epochs=2))
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE stepseries")
        conn.exec_driver_sql("UPDATE schemainfo SET version = 5")
    store.dispose()

    old = open_store(any_db_url, create=False)
    assert old.schema_version == 5 and q.step_curves(old, [run_id]) == {}
    q.delete_epochs_after(old, run_id, 0)  # a resumed run on the old schema: nothing to drop, no error
    RunRecorder(old, run_id, resuming=False).on_epoch_end(End(1, {"d_loss": [1.0, 2.0, 3.0]}))
    assert old.schema_version == SCHEMA_VERSION == 6
    old.dispose()
    fresh = open_store(any_db_url, create=False)
    assert q.step_curves(fresh, [run_id])[run_id]["d_loss"].values == [1.0, 2.0, 3.0]
    fresh.dispose()
