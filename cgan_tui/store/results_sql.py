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
from collections import namedtuple
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from cgan_tui.store.location import LABELS_SINCE, READABLE_SINCE, SCHEMA_VERSION, sqlite_path

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

# Every row comes back as a named tuple of the columns its SELECT names: callers read fields by name
# (``run.config_json``), so a column added to a SELECT cannot shift what another one reads.
RunRow = namedtuple("RunRow", RUN_COLUMNS)
ValueRow = namedtuple("ValueRow", VALUE_COLUMNS)
LatestRow = namedtuple("LatestRow", ("run_id", "epoch"))
MilestoneRow = namedtuple("MilestoneRow", ("run_id", "epoch"))
RatingRow = namedtuple("RatingRow", ("run_id", "epoch", "criterion", "value"))
ExperimentRow = namedtuple("ExperimentRow", ("id", "name"))


def _select(execute: Execute, row: type[T], sql: str) -> list[T]:
    """``SELECT <row's fields> <sql>``: the column list is the row type's, so names and values match."""
    return [row(*values) for values in execute(f"SELECT {', '.join(row._fields)} {sql}")]  # type: ignore[attr-defined]


def _ints(values: Iterable[Any]) -> str:
    return ", ".join(str(int(v)) for v in values)


def index(execute: Execute, limit_runs: int | None = None) -> tuple[list, list, list, list, list]:
    """Runs (by id, the first ``limit_runs``), each run's latest metric epoch, milestone checkpoints,
    ratings and experiment names."""
    limit = f" LIMIT {int(limit_runs)}" if limit_runs is not None else ""
    runs = _select(execute, RunRow, f"FROM run ORDER BY id{limit}")
    only = f" WHERE run_id IN ({_ints(r.id for r in runs)})" if limit_runs is not None and runs else ""
    if limit_runs is not None and not runs:
        only = " WHERE 1 = 0"
    latest = [LatestRow(*r) for r in execute(f"SELECT run_id, max(epoch) AS epoch FROM metricvalue{only} GROUP BY run_id")]
    milestones = _select(execute, MilestoneRow, "FROM checkpoint WHERE kind = 'milestone'")
    rates = _select(execute, RatingRow, "FROM rating")
    experiments = _select(execute, ExperimentRow, "FROM experiment")
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
    return _select(execute, ValueRow, f"FROM metricvalue WHERE {where} ORDER BY id")


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
    path = sqlite_path(url) if "?" not in url else None  # URL options: the store applies them
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
