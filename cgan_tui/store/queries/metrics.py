"""Metric values (training statistics included) and the real-data feature cache."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, select

from cgan_tui.keys import TRAIN_BACKEND, TRAIN_STATS
from cgan_tui.store.db import Store
from cgan_tui.store.queries.session import read, write
from cgan_tui.store.queries.steps import drop_steps_after_in
from cgan_tui.store.tables import FeatureCache, MetricValue, SampleGrid, utcnow

FAILED_AFTER_VALUE = "kept; a later evaluation gave no value: "
"""Prefix of the note stored beside a value that a later evaluation of the same (run, epoch, name,
backend, n, backbone) failed to recompute: the value stays, the note says what happened."""


def _upsert_metric_in(
    session: Session,
    run_id: int,
    epoch: int,
    name: str,
    value: float | None,
    backend: str,
    n_samples: int,
    unavailable: str | None,
    backbone: str = "",
) -> None:
    existing = session.exec(
        select(MetricValue).where(
            MetricValue.run_id == run_id,
            MetricValue.epoch == epoch,
            MetricValue.name == name,
            MetricValue.backend == backend,
            MetricValue.n_samples == n_samples,
            MetricValue.backbone == backbone,
        )
    ).first()
    if existing is not None and existing.value is not None and value is None:
        # a failed (re-)evaluation never replaces a stored value: the failure is recorded beside it
        existing.unavailable = f"{FAILED_AFTER_VALUE}{unavailable or 'no value'}"
        session.add(existing)
        return
    row = existing or MetricValue(
        run_id=run_id, epoch=epoch, name=name, backend=backend, n_samples=n_samples, backbone=backbone
    )
    row.value = None if value is None else float(value)
    row.unavailable = unavailable
    row.created_at = utcnow()
    session.add(row)


def upsert_metric(
    store: Store,
    run_id: int,
    epoch: int,
    name: str,
    value: float | None,
    *,
    backend: str,
    n_samples: int = 0,
    unavailable: str | None = None,
    backbone: str = "",
) -> None:
    """Store one value; an existing row with the same run/epoch/name/backend/n_samples/backbone is replaced,
    unless ``value`` is None and the row holds a value: then the value stays and ``unavailable`` (why the
    new evaluation gave none) is recorded beside it (``FAILED_AFTER_VALUE``)."""
    write(
        store,
        lambda s: _upsert_metric_in(
            s, int(run_id), int(epoch), name, value, backend, int(n_samples), unavailable, backbone
        ),
    )


def upsert_metrics(
    store: Store,
    run_id: int,
    epoch: int,
    values: Mapping[str, float | None],
    *,
    backend: str,
    n_samples: int = 0,
    unavailable: Mapping[str, str] | None = None,
    backbone: str = "",
    also: Callable[[Session], None] | None = None,
) -> None:
    """Several values of one (run, epoch, backend, n, backbone) in a single transaction; ``also`` writes
    further rows in the same transaction (an epoch's step curves: all of the epoch's rows or none)."""
    reasons = dict(unavailable or {})

    def apply(session: Session) -> None:
        for name, value in values.items():
            _upsert_metric_in(
                session, int(run_id), int(epoch), name, value, backend, int(n_samples), reasons.get(name), backbone
            )
        if also is not None:
            also(session)

    write(store, apply)


def metric_rows(store: Store, run_ids: Iterable[int] | None = None) -> list[MetricValue]:
    """All metric rows (training statistics included), ordered by run, epoch, name."""

    def fetch(session: Session) -> list[MetricValue]:
        stmt = select(MetricValue).order_by(MetricValue.run_id, MetricValue.epoch, MetricValue.name)
        if run_ids is not None:
            stmt = stmt.where(MetricValue.run_id.in_(list(run_ids)))  # type: ignore[attr-defined]
        return list(session.exec(stmt).all())

    return read(store, fetch)


@dataclass(frozen=True)
class EpochRow:
    """Training statistics of one epoch (None where not recorded)."""

    epoch: int
    g_loss: float | None = None
    d_loss: float | None = None
    epoch_seconds: float | None = None
    images_per_s: float | None = None
    sample_images_per_s: float | None = None
    """Sampling cost: images/s of the epoch's fixed-noise grid."""
    eval_seconds: float | None = None
    """Wall seconds of the epoch's evaluation (stored by the runner's evaluation hook)."""
    losses: dict[str, float | None] = field(default_factory=dict)
    """Other training values of families with their own trainer (e.g. ``diffusion_loss``)."""


def epoch_rows(store: Store, run_id: int) -> list[EpochRow]:
    """Per-epoch training statistics of a run, by epoch (one row per recorded epoch)."""

    def fetch(session: Session) -> list[MetricValue]:
        stmt = (
            select(MetricValue)
            .where(MetricValue.run_id == int(run_id), MetricValue.backend == TRAIN_BACKEND)
            .order_by(MetricValue.epoch)
        )
        return list(session.exec(stmt).all())

    by_epoch: dict[int, dict[str, Any]] = {}
    for row in read(store, fetch):
        slot = by_epoch.setdefault(row.epoch, {"losses": {}})
        if row.name in TRAIN_STATS:
            slot[row.name] = row.value
        else:
            slot["losses"][row.name] = row.value
    return [EpochRow(epoch=e, **by_epoch[e]) for e in sorted(by_epoch)]


def delete_epochs_after(store: Store, run_id: int, epoch: int) -> int:
    """Drop per-epoch rows (metrics, step curves, grids, non-milestone checkpoints) newer than ``epoch``.

    Used when a run resumes from an older checkpoint than its last recorded epoch (a crash between
    the epoch's rows and its checkpoint): the epochs are retrained, so their stale rows must go.
    Returns how many metric rows were removed.
    """

    def apply(session: Session) -> int:
        result = session.execute(
            delete(MetricValue).where(MetricValue.run_id == int(run_id), MetricValue.epoch > int(epoch))
        )
        session.execute(
            delete(SampleGrid).where(SampleGrid.run_id == int(run_id), SampleGrid.epoch > int(epoch))
        )
        drop_steps_after_in(session, run_id, epoch)
        return int(result.rowcount or 0)

    return write(store, apply)


def cached_feature(store: Store, dataset: str, backend: str, n: int) -> bytes | None:
    """A cached real-data payload for (dataset, backend, n), or None."""
    return read(
        store,
        lambda s: s.exec(
            select(FeatureCache.payload).where(
                FeatureCache.dataset == dataset, FeatureCache.backend == backend, FeatureCache.n == int(n)
            )
        ).first(),
    )


def cache_feature(store: Store, dataset: str, backend: str, n: int, payload: bytes) -> None:
    """Store (or replace) the cached real-data payload for (dataset, backend, n)."""

    def apply(session: Session) -> None:
        row = session.exec(
            select(FeatureCache).where(
                FeatureCache.dataset == dataset, FeatureCache.backend == backend, FeatureCache.n == int(n)
            )
        ).first()
        row = row or FeatureCache(dataset=dataset, backend=backend, n=int(n), payload=b"")
        row.payload = bytes(payload)
        session.add(row)

    write(store, apply)
