"""Removing runs: every row that belongs to them, in one transaction, and never a running run.

The rows go first (all or none); the caller then removes the files the returned checkpoint locations
and the run folders name, through the artifact store (``cgan_tui.artifacts.remove_run_files``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, inspect
from sqlmodel import Session, SQLModel, select

from cgan_tui.errors import UserError
from cgan_tui.store.db import Store
from cgan_tui.store.queries.runs import NoSuchRun, describe_ids
from cgan_tui.store.queries.session import write
from cgan_tui.store.tables import Checkpoint, Run, RunStatus


class RunIsRunning(UserError, RuntimeError):
    """A run a worker holds: removing it under the worker would lose what it writes next."""


@dataclass(frozen=True)
class RemovedRun:
    """A run whose rows are gone: what it was, and where its checkpoint files were recorded."""

    run_id: int
    status: str
    checkpoint_locations: tuple[str, ...]


def _run_tables(session: Session) -> list:
    """Every table of ours with a ``run_id`` column that this database has, children before ``run``."""
    present = set(inspect(session.connection()).get_table_names())
    ordered = reversed(SQLModel.metadata.sorted_tables)  # dependants first
    return [t for t in ordered if "run_id" in t.c and t.name in present]


def remove_runs(store: Store, run_ids: Sequence[int]) -> list[RemovedRun]:
    """Delete the runs and every row of theirs (metrics, grids, ratings, checkpoints, labels, ...).

    All or nothing: an unknown id or a running run (``RunIsRunning``: cancel it first) removes none.
    The status is checked again by the delete itself, so a worker claiming a queued run meanwhile wins
    and nothing is removed."""
    ids = list(dict.fromkeys(int(i) for i in run_ids))

    def apply(session: Session) -> list[RemovedRun]:
        runs = {r.id: r for r in session.exec(select(Run).where(Run.id.in_(ids))).all()}  # type: ignore[union-attr]
        missing = [i for i in ids if i not in runs]
        if missing:
            every = list(session.exec(select(Run.id).order_by(Run.id)).all())
            raise NoSuchRun(f"no run {', '.join(map(str, missing))}; {describe_ids(every)}; nothing was removed")
        running = [i for i in ids if runs[i].status == RunStatus.running]
        if running:
            which = ", ".join(map(str, running))
            raise RunIsRunning(f"run {which} is running; cancel it first (cgan-tui queue cancel {which}), "
                               "then remove it once it stopped; nothing was removed")  # fmt: skip
        removed = []
        for i in ids:
            paths = session.exec(select(Checkpoint.path).where(Checkpoint.run_id == i)).all()
            removed.append(RemovedRun(i, getattr(runs[i].status, "value", str(runs[i].status)), tuple(paths)))
        session.expunge_all()
        for table in _run_tables(session):
            session.execute(delete(table).where(table.c.run_id.in_(ids)))
        gone = session.execute(delete(Run).where(Run.id.in_(ids), Run.status != RunStatus.running)).rowcount
        if gone != len(ids):  # a worker claimed one since it was read: roll back, remove none
            raise RunIsRunning("a run started while it was being removed; nothing was removed (cancel it first)")
        return removed

    return write(store, apply, what="removing runs")
