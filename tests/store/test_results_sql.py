"""The results reads in plain SQL: the TUI's SQLAlchemy-free first screenful (``sqlite_reader``) gives
exactly the rows the store gives, and steps aside (None) whenever it cannot answer exactly."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from cgan_tui.plugins import load_plugins
from cgan_tui.results import load_results
from cgan_tui.store import queries, results_sql
from cgan_tui.store.db import open_store
from cgan_tui.store.location import SCHEMA_VERSION
from cgan_tui.store.tables import RunStatus
from tests.report import fixture_db


@pytest.fixture(scope="module")
def registries():
    return load_plugins()


@pytest.fixture
def study(tmp_path, registries):
    """Six runs with train statistics, FID/IS/LPIPS at two checkpoint epochs, ratings, a value at a
    second n, a value the backend could not produce, and runs in three states."""
    path = tmp_path / "experiments.db"
    ids = fixture_db.build(path, registries, settings=3, seeds=2)
    store = open_store(f"sqlite:///{path}")
    queries.upsert_metrics(store, ids[1], 3, {"fid": 99.5}, backend="inception", n_samples=100)
    queries.upsert_metric(store, ids[2], 3, "kid", None, backend="inception", n_samples=500, unavailable="no weights")
    queries.update_run(store, ids[4], status=RunStatus.failed, error="boom")
    queries.update_run(store, ids[5], status=RunStatus.queued, current_epoch=0)
    yield store
    store.dispose()


@pytest.mark.parametrize("limit_runs", [None, 2, 0])
def test_the_sqlite_reader_gives_the_rows_the_store_gives(study, registries, limit_runs):
    reader = results_sql.sqlite_reader(study.url)
    assert reader is not None
    through_store = load_results(study, registries, limit_runs=limit_runs)
    through_sqlite = load_results(None, registries, limit_runs=limit_runs, reader=reader)
    assert through_sqlite == through_store
    assert len(through_store) == (12 if limit_runs is None else 2 * limit_runs)
    assert reader(results_sql.status_counts) == queries.status_counts(study) == {"completed": 4, "failed": 1, "queued": 1}


def test_the_sqlite_reader_steps_aside_when_it_cannot_answer_exactly(study, tmp_path):
    assert results_sql.sqlite_reader("postgresql://u:p@db/cgan") is None
    assert results_sql.sqlite_reader(f"sqlite:///{tmp_path / 'missing.db'}") is None  # the store creates it
    assert results_sql.sqlite_reader(f"sqlite:///{tmp_path / 'experiments.db'}?mode=ro") is None
    other = tmp_path / "other.db"
    shutil.copy(tmp_path / "experiments.db", other)
    conn = sqlite3.connect(other)
    conn.execute("UPDATE schemainfo SET version = ?", (SCHEMA_VERSION + 1,))  # newer: the store explains
    conn.commit()
    conn.close()
    assert results_sql.sqlite_reader(f"sqlite:///{other}") is None
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert results_sql.sqlite_reader(f"sqlite:///{tmp_path / 'junk.db'}") is None


def test_the_tuis_first_screenful_is_read_without_the_database_layer(study, registries):
    """What the TUI shows first comes from ``sqlite3`` alone: in a fresh interpreter, reading it
    imports neither SQLAlchemy nor SQLModel (importing them is the second the table used to wait)."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import json, sys\n"
        "from cgan_tui.ui.services import Services\n"
        f"rows, counts = Services({study.url!r}).quick_results(limit_runs=2)\n"
        "print(json.dumps([len(rows), counts, sorted({'sqlalchemy', 'sqlmodel', 'torch'} & set(sys.modules))]))\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, check=True)
    n_rows, counts, imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert (n_rows, imported) == (4, []) and counts == queries.status_counts(study)
