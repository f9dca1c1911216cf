"""The queue's state changes as single conditional UPDATEs, so a worker claiming, a user cancelling
and a sweeper requeueing never overwrite each other (the policy lives in ``runner.queue``).

The claim is ``UPDATE ... WHERE id = (SELECT ... LIMIT 1 [FOR UPDATE SKIP LOCKED]) RETURNING id``: on
SQLite inside ``BEGIN IMMEDIATE`` (one writer at a time), on PostgreSQL the row lock skips rows
another worker is claiming.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import case, cast, or_, update
from sqlmodel import select

from cgan_tui.store.db import Store
from cgan_tui.store.queries.session import write
from cgan_tui.store.tables import Run, RunStatus, utcnow


def _claimed(worker_id: str, pid: int, hostname: str) -> dict:
    """The columns every claim sets: the run is this worker's now, and one more attempt."""
    return dict(status=RunStatus.running, worker_id=worker_id, pid=pid, hostname=hostname,
                heartbeat_at=utcnow(), attempts=Run.attempts + 1)  # fmt: skip


def claim_statement(worker_id: str, pid: int, hostname: str):
    """The portable claim: ``UPDATE run ... WHERE id = (SELECT ... [FOR UPDATE SKIP LOCKED]) RETURNING id``."""
    pick = (
        select(Run.id)
        .where(Run.status == RunStatus.queued)
        .order_by(Run.priority.desc(), Run.id)  # type: ignore[attr-defined]
        .limit(1)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's compiler leaves it out
        .scalar_subquery()
    )
    return (
        update(Run)
        .where(Run.id == pick, Run.status == RunStatus.queued)
        .values(**_claimed(worker_id, pid, hostname), current_step=0)
        .returning(Run.id)
    )


def claim_next_queued(store: Store, worker_id: str, pid: int, hostname: str) -> int | None:
    """Take the highest-priority queued run (oldest first) for this worker; its id, or None."""
    sqlite = store.engine.dialect.name == "sqlite"
    stmt = claim_statement(worker_id, pid, hostname)

    def attempt(_session) -> int | None:
        with store.engine.connect() as conn:
            if sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            run_id = conn.execute(stmt).scalar()
            conn.commit()
        return run_id

    return write(store, attempt)


def claim_run_in(
    store: Store, run_id: int, worker_id: str, statuses: Sequence[RunStatus], pid: int, hostname: str
) -> bool:
    """Take one given run if its status is one of ``statuses``; False when it is not."""
    stmt = (
        update(Run)
        .where(Run.id == int(run_id), Run.status.in_(list(statuses)))  # type: ignore[attr-defined]
        .values(**_claimed(worker_id, pid, hostname), cancel_requested=False, finished_at=None)
    )
    return write(store, lambda s: s.execute(stmt).rowcount) == 1


def set_if_status(store: Store, run_id: int, statuses: Sequence[RunStatus], **values: object) -> bool:
    """Set columns of a run only while its status is one of ``statuses``; whether it was."""
    stmt = (
        update(Run)
        .where(Run.id == int(run_id), Run.status.in_(list(statuses)))  # type: ignore[attr-defined]
        .values(**values)
    )
    return write(store, lambda s: s.execute(stmt).rowcount) == 1


def _as_status(expression):
    """An expression as the ``status`` column's enum type: PostgreSQL types a CASE of bare literals as
    ``text`` and refuses to store it in its ``runstatus`` enum (SQLite takes either)."""
    return cast(expression, Run.__table__.c.status.type)  # type: ignore[attr-defined]


def requeue_if_stale(store: Store, run: Run, cutoff: datetime, note: str) -> bool:
    """Requeue a running run if it is still held by the same worker and its heartbeat is older than
    ``cutoff`` (a run whose cancel was requested before its worker died ends ``cancelled``)."""
    stmt = (
        update(Run)
        .where(
            Run.id == run.id,
            Run.status == RunStatus.running,
            Run.worker_id == run.worker_id if run.worker_id is not None else Run.worker_id.is_(None),  # type: ignore[union-attr]
            or_(Run.heartbeat_at.is_(None), Run.heartbeat_at < cutoff),  # type: ignore[union-attr]
        )
        .values(
            status=_as_status(case((Run.cancel_requested.is_(True), RunStatus.cancelled), else_=RunStatus.queued)),  # type: ignore[attr-defined]
            finished_at=case((Run.cancel_requested.is_(True), utcnow()), else_=None),  # type: ignore[attr-defined]
            worker_id=None, pid=None, hostname=None, heartbeat_at=None, error=note,
        )  # fmt: skip
    )
    return write(store, lambda s: s.execute(stmt).rowcount) == 1
