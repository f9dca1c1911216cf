"""Human ratings of a model's sample grid (one per rater and criterion)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from cgan_tui.errors import UserError
from cgan_tui.store.db import Store
from cgan_tui.store.queries.grids import grid_epochs
from cgan_tui.store.queries.runs import get_run
from cgan_tui.store.queries.session import read, write
from cgan_tui.store.tables import RATING_CRITERIA, Rating, utcnow


def check_rateable(store: Store, run_id: int, epoch: int) -> None:
    """Refuse a rating of a model nobody can have looked at: the (run, epoch) must have a sample grid.

    The one check the CLI (``rate``) and the TUI (rate screen) share; ``UserError`` names the epochs
    that can be rated."""
    run = get_run(store, run_id)
    have = grid_epochs(store, int(run_id))
    if int(epoch) in have:
        return
    valid = ", ".join(map(str, have)) if have else "none yet (the run has no samples: train it first)"
    reached = f"run {run_id} reached epoch {run.current_epoch} of {run.epochs}"
    raise UserError(f"run {run_id} has no samples at epoch {epoch} ({reached}); epochs that can be rated: {valid}")


def add_rating(store: Store, run_id: int, epoch: int, criterion: str, value: int, rater: str = "me") -> None:
    """Store a human rating 1..5 of a model's grid (replacing this rater's earlier one)."""
    if criterion not in RATING_CRITERIA:
        raise UserError(f"unknown rating criterion {criterion!r}; valid: {', '.join(RATING_CRITERIA)}")
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise UserError(f"rating for {criterion} must be an integer 1..5, got {value!r}")
    check_rateable(store, run_id, epoch)
    if not rater:
        raise UserError("rater name must not be empty")

    def apply(session: Session) -> None:
        existing = session.exec(
            select(Rating).where(
                Rating.run_id == int(run_id),
                Rating.epoch == int(epoch),
                Rating.criterion == criterion,
                Rating.rater == rater,
            )
        ).first()
        row = existing or Rating(run_id=int(run_id), epoch=int(epoch), criterion=criterion, value=value, rater=rater)
        row.value, row.created_at = int(value), utcnow()
        session.add(row)

    write(store, apply)


def ratings(store: Store, run_ids: Iterable[int] | None = None) -> list[Rating]:
    def fetch(session: Session) -> list[Rating]:
        stmt = select(Rating).order_by(Rating.run_id, Rating.epoch, Rating.criterion)
        if run_ids is not None:
            stmt = stmt.where(Rating.run_id.in_(list(run_ids)))  # type: ignore[attr-defined]
        return list(session.exec(stmt).all())

    return read(store, fetch)
