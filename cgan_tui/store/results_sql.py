"""The results table's reads as plain SQL, runnable through SQLAlchemy or through the standard library.

``cgan_tui.results.load_results`` runs ``index`` and ``values`` inside one read transaction of a
*reader*: ``store_reader`` (the store's SQLAlchemy engine, any database) or ``sqlite_reader`` (a
SQLite file opened read-only with ``sqlite3``). The second exists for the TUI's first screenful:
importing SQLAlchemy and SQLModel costs about 1 s on a 2-core machine, longer than reading 50 runs,
so the table fills from this module while the database layer is still being imported.

The SQL is portable (SQLite and PostgreSQL) and takes no parameters: the only values put into it are
integers read from the database (``int()`` on each), so it can go through any DB-API driver as is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from cgan_tui.store.location import LABELS_SINCE, READABLE_SINCE, SCHEMA_VERSION, sqlite_file

if TYPE_CHECKING:
    from cgan_tui.store.db import Store

T = TypeVar("T")
Execute = Callable[[str], list]
"""Runs one SQL statement, returns its rows as tuples."""
Reader = Callable[[Callable[[Execute], T]], T]
"""Calls ``fn(execute)`` inside one read transaction and returns what it returns."""

RUN_COLUMNS = ("id", "experiment_id", "config_json", "model", "loss", "conditioning", "d_conditioning",
               "embed_dim", "epochs", "seed", "status", "current_epoch", "error")  # fmt: skip
VALUE_COLUMNS = ("run_id", "epoch", "name", "backend", "value", "n_samples", "unavailable", "backbone")


def _ints(values: Iterable[Any]) -> str:
    return ", ".join(str(int(v)) for v in values)


def index(execute: Execute, limit_runs: int | None = None) -> tuple[list, list, list, list, list]:
    """Runs (by id, the first ``limit_runs``), each run's latest metric epoch, milestone checkpoints,
    ratings and experiment names."""
    limit = f" LIMIT {int(limit_runs)}" if limit_runs is not None else ""
    runs = execute(f"SELECT {', '.join(RUN_COLUMNS)} FROM run ORDER BY id{limit}")
    only = f" WHERE run_id IN ({_ints(r[0] for r in runs)})" if limit_runs is not None and runs else ""
    if limit_runs is not None and not runs:
        only = " WHERE 1 = 0"
    latest = execute(f"SELECT run_id, max(epoch) FROM metricvalue{only} GROUP BY run_id")
    milestones = execute("SELECT run_id, epoch FROM checkpoint WHERE kind = 'milestone'")
    rates = execute("SELECT run_id, epoch, criterion, value FROM rating")
    experiments = execute("SELECT id, name FROM experiment")
    return runs, latest, milestones, rates, experiments


def values(execute: Execute, epochs: Iterable[int], run_ids: Iterable[int] | None = None) -> list:
    """Every metric value at ``epochs`` (of ``run_ids`` only, when given), in the order they were written."""
    epochs = list(epochs)
    if not epochs:
        return []
    where = f"epoch IN ({_ints(epochs)})"
    if run_ids is not None:
        ids = list(run_ids)
        if not ids:
            return []
        where += f" AND run_id IN ({_ints(ids)})"
    return execute(f"SELECT {', '.join(VALUE_COLUMNS)} FROM metricvalue WHERE {where} ORDER BY id")


def labels(execute: Execute) -> list:
    """(run_id, note, tags, archived) of every run with a label; none on a database older than schema 5."""
    version = execute("SELECT version FROM schemainfo WHERE id = 1")
    if not version or int(version[0][0]) < LABELS_SINCE:
        return []
    return execute("SELECT run_id, note, tags, archived FROM runlabel")


def status_counts(execute: Execute) -> dict[str, int]:
    """Number of runs per status (the stored enum names are the status values)."""
    return {str(status): int(count) for status, count in execute("SELECT status, count(*) FROM run GROUP BY status")}


def store_reader(store: Store) -> Reader:
    """Read through the store's engine, retried while SQLite is locked (``queries.read``)."""
    from cgan_tui.store.queries import read

    def run(fn):
        return read(store, lambda session: fn(lambda sql: session.connection().exec_driver_sql(sql).all()))

    return run


def sqlite_reader(url: str, timeout_s: float = 0.2) -> Reader | None:
    """A read-only ``sqlite3`` reader for a SQLite file whose schema is this version's, else None.

    None means "ask the store": another database kind, no file yet, an older (to be migrated: below
    ``READABLE_SINCE``) or newer
    schema, or a file that is not readable right now. The caller then reads through ``store_reader``,
    whose errors are the ones the user sees.
    """
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return None

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout_s, isolation_level=None)

    try:
        conn = connect()
        try:
            row = conn.execute("SELECT version FROM schemainfo WHERE id = 1").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if row is None or not READABLE_SINCE <= row[0] <= SCHEMA_VERSION:
        return None

    def run(fn):
        conn = connect()
        try:
            conn.execute("BEGIN")  # one snapshot for every statement of ``fn``
            return fn(lambda sql: conn.execute(sql).fetchall())
        finally:
            conn.close()  # nothing was written: closing ends the transaction

    return run
