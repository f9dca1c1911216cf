"""Sample grids: the fixed-noise PNG of each (run, epoch)."""

from __future__ import annotations

from sqlmodel import Session, select

from cgan_tui.store.db import Store
from cgan_tui.store.queries.session import read, write
from cgan_tui.store.tables import SampleGrid, utcnow


def save_grid(store: Store, run_id: int, epoch: int, png: bytes, rows: int, cols: int) -> None:
    """Store the fixed-noise sample grid of an epoch (replacing an earlier one for that epoch)."""

    def apply(session: Session) -> None:
        existing = session.exec(
            select(SampleGrid).where(SampleGrid.run_id == int(run_id), SampleGrid.epoch == int(epoch))
        ).first()
        row = existing or SampleGrid(run_id=int(run_id), epoch=int(epoch), png=b"")
        row.png, row.rows, row.cols, row.created_at = bytes(png), int(rows), int(cols), utcnow()
        session.add(row)

    write(store, apply)


def grid(store: Store, run_id: int, epoch: int) -> SampleGrid | None:
    return read(
        store,
        lambda s: s.exec(
            select(SampleGrid).where(SampleGrid.run_id == int(run_id), SampleGrid.epoch == int(epoch))
        ).first(),
    )


def grid_epochs(store: Store, run_id: int) -> list[int]:
    """Epochs that have a sample grid, ascending (without loading the PNG bytes)."""
    return read(
        store,
        lambda s: list(
            s.exec(select(SampleGrid.epoch).where(SampleGrid.run_id == int(run_id)).order_by(SampleGrid.epoch)).all()
        ),
    )
