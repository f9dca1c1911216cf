"""Runs and experiments: create, read, update, and the worker's start/finish/heartbeat writes."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from cgan_tui.config import ConfigError, RunConfig
from cgan_tui.errors import UserError
from cgan_tui.store.db import Store
from cgan_tui.store.queries.session import read, write
from cgan_tui.store.tables import Experiment, Run, RunStatus, utcnow


class NoSuchRun(UserError, LookupError):
    """A run id that is not in the database; the message lists the ids that are."""


def _experiment_id(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    found = session.exec(select(Experiment).where(Experiment.name == name)).first()
    if found is None:
        found = Experiment(name=name)
        session.add(found)
        session.flush()
    return found.id


def new_run_row(config: RunConfig, *, status: str = "queued", priority: int = 0) -> Run:
    """A Run row for a resolved config (denormalised columns filled), not yet added to a session."""
    return Run(
        config_json=stored_config_json(config),
        model=config.model,
        loss=config.loss,
        conditioning=config.conditioning,
        d_conditioning=config.d_conditioning or "",
        embed_dim=config.embed_dim,
        epochs=config.epochs,
        seed=config.seed,
        status=RunStatus(status),
        priority=int(priority),
    )


def stored_config_json(config: RunConfig) -> str:
    """The stored JSON: strict (NaN and infinity are not JSON; SQLite's json_extract rejects them)."""
    import json

    try:
        return json.dumps(config.to_dict(), sort_keys=True, allow_nan=False)
    except ValueError:
        raise ConfigError(f"run config {config.label} holds NaN or infinity; every number must be finite") from None


def create_run(
    store: Store,
    config: RunConfig,
    *,
    status: str = "queued",
    priority: int = 0,
    experiment: str | None = None,
) -> int:
    """Store one run for an already ``resolve()``d config; returns its id."""
    return create_runs(store, [config], status=status, priority=priority, experiment=experiment)[0]


def create_runs(
    store: Store,
    configs: Sequence[RunConfig],
    *,
    status: str = "queued",
    priority: int = 0,
    experiment: str | None = None,
) -> list[int]:
    """Store several runs in one transaction (all or none); returns their ids in order."""

    def insert(session: Session) -> list[int]:
        exp_id = _experiment_id(session, experiment)
        rows = []
        for config in configs:
            row = new_run_row(config, status=status, priority=priority)
            row.experiment_id = exp_id
            session.add(row)
            rows.append(row)
        session.flush()
        return [int(r.id) for r in rows]  # type: ignore[arg-type]

    return write(store, insert)


def describe_ids(ids: Sequence[int]) -> str:
    """The runs there are, for a "no run N" message: ``ids: 1, 2, 3`` (or the first and last five)."""
    if not ids:
        return "the database has no runs yet"
    if len(ids) <= 12:
        return "ids: " + ", ".join(map(str, ids))
    return f"ids: {', '.join(map(str, ids[:5]))}, ..., {', '.join(map(str, ids[-5:]))} ({len(ids)} runs)"


def get_run(store: Store, run_id: int) -> Run:
    """The run, or ``NoSuchRun`` ("no run 7; ids: 1, 2, 3")."""

    def fetch(session: Session) -> Run | None:
        return session.get(Run, int(run_id))

    run = read(store, fetch)
    if run is None:
        ids = read(store, lambda s: list(s.exec(select(Run.id).order_by(Run.id)).all()))
        raise NoSuchRun(f"no run {run_id}; {describe_ids(ids)}")
    return run


def run_config(run: Run) -> RunConfig:
    """The stored (resolved) config of a run."""
    return RunConfig.from_dict(run.config)


def list_runs(store: Store, statuses: Iterable[str | RunStatus] | None = None) -> list[Run]:
    """Runs by id, optionally only those in ``statuses``."""

    def fetch(session: Session) -> list[Run]:
        stmt = select(Run).order_by(Run.id)
        if statuses is not None:
            stmt = stmt.where(Run.status.in_([RunStatus(s) for s in statuses]))  # type: ignore[attr-defined]
        return list(session.exec(stmt).all())

    return read(store, fetch)


def update_run(store: Store, run_id: int, **values: object) -> None:
    """Set columns of one run (progress, status, error, ...) in a short transaction."""

    def apply(session: Session) -> None:
        run = session.get(Run, int(run_id))
        if run is None:
            raise NoSuchRun(f"no run {run_id}")
        for key, value in values.items():
            if not hasattr(Run, key):
                raise AttributeError(f"Run has no column {key!r}")
            setattr(run, key, value)
        session.add(run)

    write(store, apply)


def touch_heartbeat(store: Store, run_id: int, worker_id: str) -> bool:
    """Refresh the heartbeat of a run this worker holds; False when it is no longer ours/running."""

    def apply(session: Session) -> bool:
        run = session.get(Run, int(run_id))
        if run is None or run.worker_id != worker_id or run.status != RunStatus.running:
            return False
        run.heartbeat_at = utcnow()
        session.add(run)
        return True

    return write(store, apply)


def cancel_requested(store: Store, run_id: int) -> bool:
    """Whether someone asked this run to stop (cheap single-column read, polled ~1/s)."""
    value = read(store, lambda s: s.exec(select(Run.cancel_requested).where(Run.id == int(run_id))).first())
    return bool(value)


def status_counts(store: Store) -> dict[str, int]:
    """Number of runs per status (for headers and the queue screen)."""
    rows = read(store, lambda s: list(s.exec(select(Run.status, func.count()).group_by(Run.status)).all()))
    return {RunStatus(status).value: int(count) for status, count in rows}


def start_run(store: Store, run_id: int, worker_id: str, device: str, precision: str | None, code_version: str) -> None:
    """Mark a claimed run running on this process and device; clears what an earlier attempt left."""

    def apply(session: Session) -> None:
        run = session.get(Run, int(run_id))
        run.status = RunStatus.running
        run.worker_id = worker_id
        run.pid = run.pid or os.getpid()
        run.hostname = run.hostname or socket.gethostname()
        run.heartbeat_at = utcnow()
        run.started_at = run.started_at or utcnow()
        run.finished_at = None
        run.device = device
        run.precision = precision
        run.eval_progress = None
        run.code_version = code_version
        run.error = None
        session.add(run)

    write(store, apply)


def finish_run(store: Store, run_id: int, owner: str, **values: Any) -> bool:
    """Write a run's final columns only if ``owner`` still holds it (not requeued as stale meanwhile);
    False when it does not, and nothing was written."""

    def apply(session: Session) -> bool:
        run = session.get(Run, int(run_id))
        if run is None or run.worker_id != owner:
            return False
        for key, value in values.items():
            setattr(run, key, value)
        session.add(run)
        return True

    return write(store, apply)


def append_run_error(store: Store, run_id: int, note: str) -> None:
    """Add one line to a run's ``error`` notes (a failed epoch hook) without losing earlier ones."""

    def apply(session: Session) -> None:
        run = session.get(Run, int(run_id))
        if run is not None:
            run.error = f"{run.error}\n{note}" if run.error else note
            session.add(run)

    write(store, apply)
