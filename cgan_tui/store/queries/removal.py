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
from cgan_tui.store.queries.checkpoints import checkpoints
from cgan_tui.store.queries.runs import NoSuchRun, describe_ids, get_run, run_config
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


def running_refusal(run_ids: Sequence[int]) -> str:
    """Why running runs are not removed, and what to do (the CLI's and the app's one wording)."""
    which = ", ".join(map(str, run_ids))
    return f"run {which} is running; cancel it first (cgan-tui queue cancel {which}); nothing was removed"


def describe_removal(store: Store, run_ids: Sequence[int]) -> list[str]:
    """One line per run, what a confirmation shows: its id, label, status and number of checkpoint files.
    Refuses a running run (``RunIsRunning``) and an unknown id (``NoSuchRun``) before anything is asked."""
    lines, running = [], []
    for run_id in dict.fromkeys(run_ids):
        run = get_run(store, run_id)  # NoSuchRun names the ids there are
        status = getattr(run.status, "value", str(run.status))
        if status == "running":
            running.append(run_id)
        files = len(checkpoints(store, run_id))
        lines.append(f"run {run_id} {run_config(run).label} ({status}, {files} checkpoint{'' if files == 1 else 's'})")
    if running:
        raise RunIsRunning(running_refusal(running))
    return lines


def remove_runs_and_files(store: Store, run_ids: Sequence[int]) -> tuple[list[str], list[str]]:
    """Remove the runs' rows (``remove_runs``: all or none), then their files through the artifact store
    (``artifacts.remove_run_files``: only folders named for these runs). Returns (one line per removed run,
    ``LOCATION: why`` per file that could not be removed: the rows are gone, it is left for the user)."""
    from cgan_tui.artifacts import remove_run_files

    done: list[str] = []
    failed: list[str] = []
    for run in remove_runs(store, run_ids):
        files, not_removed = remove_run_files(store.artifact_store, run.run_id, run.checkpoint_locations)
        failed.extend(not_removed)
        done.append(f"removed run {run.run_id} ({run.status}) and its files "
                    f"({len(files)} path{'' if len(files) == 1 else 's'})")  # fmt: skip
    return done, failed
