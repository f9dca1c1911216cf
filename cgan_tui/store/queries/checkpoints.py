"""Checkpoint rows: milestone files and the rolling ``last`` file of each run."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete
from sqlmodel import Session, select

from cgan_tui.store.db import Store
from cgan_tui.store.queries.session import read, write
from cgan_tui.store.tables import Checkpoint, newest_checkpoint, utcnow


def add_checkpoint(store: Store, run_id: int, epoch: int, path: str, kind: str = "milestone") -> None:
    """Record a checkpoint file. Replaces the row for (run, epoch, kind); a ``last`` checkpoint also
    replaces older ``last`` rows of the run, because that file is overwritten every epoch."""

    def apply(session: Session) -> None:
        if kind == "last":
            session.execute(
                delete(Checkpoint).where(
                    Checkpoint.run_id == int(run_id), Checkpoint.kind == "last", Checkpoint.epoch != int(epoch)
                )
            )
        existing = session.exec(
            select(Checkpoint).where(
                Checkpoint.run_id == int(run_id), Checkpoint.epoch == int(epoch), Checkpoint.kind == kind
            )
        ).first()
        row = existing or Checkpoint(run_id=int(run_id), epoch=int(epoch), path=str(path), kind=kind)
        row.path, row.created_at = str(path), utcnow()
        session.add(row)

    write(store, apply)


def checkpoints(store: Store, run_id: int) -> list[Checkpoint]:
    """Checkpoint rows of a run by epoch (milestones and the rolling ``last``)."""
    return read(
        store,
        lambda s: list(
            s.exec(
                select(Checkpoint).where(Checkpoint.run_id == int(run_id)).order_by(Checkpoint.epoch, Checkpoint.kind)
            ).all()
        ),
    )


def latest_checkpoint(store: Store, run_id: int, kinds: Iterable[str] | None = None) -> Checkpoint | None:
    """The checkpoint with the highest epoch (``last`` preferred on a tie), optionally of ``kinds``."""
    rows = checkpoints(store, run_id)
    if kinds is not None:
        wanted = set(kinds)
        rows = [r for r in rows if r.kind in wanted]
    if not rows:
        return None
    return newest_checkpoint(rows)


def drop_checkpoint(store: Store, run_id: int, path: str) -> int:
    """Forget the rows pointing at ``path`` (a damaged file that was moved aside); how many went."""

    def apply(session: Session) -> int:
        stmt = delete(Checkpoint).where(Checkpoint.run_id == int(run_id), Checkpoint.path == str(path))
        return int(session.execute(stmt).rowcount or 0)

    return write(store, apply)
