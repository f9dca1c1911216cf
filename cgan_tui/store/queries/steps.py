"""Step-level training curves (``StepSeries``): written with an epoch's training rows, read per run.

A database older than schema 6 (read as it is, ``store.db.READABLE_SINCE``) has no step table: reads
see no curves, and the first write of one upgrades it (``store.db.upgrade``)."""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlmodel import Session, select

from cgan_tui.store.db import Store, upgrade
from cgan_tui.store.location import STEPS_SINCE
from cgan_tui.store.queries.session import read
from cgan_tui.store.tables import SchemaInfo, StepSeries


@dataclass(frozen=True)
class EpochSteps:
    """One epoch's curves as the engine reports them (``gan.train_events.EpochEnd.step_values``)."""

    values: Mapping[str, Sequence[float]]
    every: int
    steps: int


@dataclass
class StepCurve:
    """One value's curve over a run: global step, the same position in epochs (epoch ``e`` ends at
    ``e``, where the per-epoch values sit) and the value; windows without a value are left out.
    ``every``: the K its latest epoch was recorded with (what ``log_every`` ``auto`` chose)."""

    steps: list[int] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    every: int = 0


def has_steps(session: Session) -> bool:
    """Whether this database holds the step table (read each time: another process may have upgraded it)."""
    info = session.get(SchemaInfo, 1)
    return info is not None and info.version >= STEPS_SINCE


def encode(values: Sequence[float]) -> bytes:
    """Little-endian float32, 4 bytes a point (NaN kept: a window without the value)."""
    out = array("f", (float(v) for v in values))
    if sys.byteorder == "big":  # pragma: no cover
        out.byteswap()
    return out.tobytes()


def decode(data: bytes) -> list[float]:
    values = array("f")
    values.frombytes(data)
    if sys.byteorder == "big":  # pragma: no cover
        values.byteswap()
    return values.tolist()


def prepare(store: Store, steps: EpochSteps | None) -> None:
    """Before a transaction that writes ``steps``: upgrade an older database to have the table."""
    if steps is not None and steps.values:
        upgrade(store)


def put_steps_in(session: Session, run_id: int, epoch: int, steps: EpochSteps) -> None:
    """Replace the run's curves of ``epoch`` (a retrained epoch rewrites them) inside the caller's
    transaction; ``prepare`` must have run first."""
    session.execute(delete(StepSeries).where(StepSeries.run_id == int(run_id), StepSeries.epoch == int(epoch)))
    for name, values in steps.values.items():
        session.add(StepSeries(run_id=int(run_id), epoch=int(epoch), name=name, every=int(steps.every),
                               steps=int(steps.steps), data=encode(values)))  # fmt: skip


def drop_steps_after_in(session: Session, run_id: int, epoch: int) -> None:
    """Drop the curves of epochs after ``epoch`` (they are retrained) inside the caller's transaction."""
    if has_steps(session):
        session.execute(delete(StepSeries).where(StepSeries.run_id == int(run_id), StepSeries.epoch > int(epoch)))


def step_curves(store: Store, run_ids: Iterable[int]) -> dict[int, dict[str, StepCurve]]:
    """run id -> value name -> its curve over all recorded epochs (runs without curves are absent)."""
    ids = [int(i) for i in run_ids]

    def fetch(session: Session) -> list[StepSeries]:
        if not ids or not has_steps(session):
            return []
        stmt = select(StepSeries).where(StepSeries.run_id.in_(ids))  # type: ignore[attr-defined]
        return list(session.exec(stmt.order_by(StepSeries.run_id, StepSeries.name, StepSeries.epoch)).all())

    out: dict[int, dict[str, StepCurve]] = {}
    for row in read(store, fetch):
        curve = out.setdefault(row.run_id, {}).setdefault(row.name, StepCurve())
        steps, every = max(1, int(row.steps)), max(1, int(row.every))
        curve.every = every
        for i, value in enumerate(decode(row.data)):
            if not math.isfinite(value):
                continue
            local = min((i + 1) * every, steps)
            curve.steps.append((row.epoch - 1) * steps + local)
            curve.epochs.append(row.epoch - 1 + local / steps)
            curve.values.append(value)
    return out
