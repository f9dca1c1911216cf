"""Named queries the workers, the CLI and the TUI share; the only place that writes rows.

Every function takes a ``Store`` and opens its own short session, so callers never hold a
transaction across training steps. Every write and read goes through ``store.guard``: a locked
database is waited for (bounded, with a progress line), any other fault is one ``StoreWriteError``
line. Torch-free: the TUI imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from cgan_tui.config import RunConfig
from cgan_tui.errors import UserError
from cgan_tui.store import guard
from cgan_tui.store.db import Store
from cgan_tui.store.tables import (
    RATING_CRITERIA,
    Checkpoint,
    Experiment,
    MetricValue,
    Rating,
    Run,
    RunStatus,
    SampleGrid,
    utcnow,
)

T = TypeVar("T")

TRAIN_BACKEND = "train"
"""Backend of the per-epoch training statistics (MetricValue rows with n_samples 0)."""
TRAIN_STATS = ("g_loss", "d_loss", "epoch_seconds", "images_per_s", "sample_images_per_s")



class NoSuchRun(UserError, LookupError):
    """A run id that is not in the database; the message lists the ids that are."""


def write(store: Store, fn: Callable[[Session], T], what: str = "write") -> T:
    """Run ``fn(session)`` in one short transaction and commit; it lands or raises ``StoreWriteError``.

    A locked database is waited for (bounded, visibly: ``store.guard``); read-only, full and vanished
    databases raise at once with a one-line message. ``fn`` must be safe to repeat: on a retry it runs
    again in a fresh session. A unique-key race (two writers inserting the same metric) is retried
    too: the second attempt sees the row.
    """
    integrity_failures = 0

    def attempt() -> T:
        nonlocal integrity_failures
        while True:
            try:
                with store.session() as session:
                    result = fn(session)
                    session.commit()
                    return result
            except IntegrityError:
                integrity_failures += 1
                if integrity_failures > 2:
                    raise

    return guard.attempt_loop(store, attempt, what=what)


def read(store: Store, fn: Callable[[Session], T]) -> T:
    """Run a read-only ``fn(session)``, waiting on locks like ``write`` (a WAL reader rarely sees one)."""

    def attempt() -> T:
        with store.session() as session:
            return fn(session)

    return guard.attempt_loop(store, attempt, what="read")


# --------------------------------------------------------------------------------------------- runs


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
        config_json=_config_json(config),
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


def _config_json(config: RunConfig) -> str:
    import json

    return json.dumps(config.to_dict(), sort_keys=True)


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


def _describe_ids(ids: Sequence[int]) -> str:
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
        raise NoSuchRun(f"no run {run_id}; {_describe_ids(ids)}")
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


# ------------------------------------------------------------------------------------------ metrics


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
    """Store one value; an existing row with the same run/epoch/name/backend/n_samples/backbone is replaced."""
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
) -> None:
    """Several values of one (run, epoch, backend, n, backbone) in a single transaction."""
    reasons = dict(unavailable or {})

    def apply(session: Session) -> None:
        for name, value in values.items():
            _upsert_metric_in(
                session, int(run_id), int(epoch), name, value, backend, int(n_samples), reasons.get(name), backbone
            )

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
    """Drop per-epoch rows (metrics, grids, non-milestone checkpoints) newer than ``epoch``.

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
        return int(result.rowcount or 0)

    return write(store, apply)


# -------------------------------------------------------------------------------------------- grids


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


# -------------------------------------------------------------------------------------- checkpoints


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
    return max(rows, key=lambda r: (r.epoch, r.kind == "last"))


# ------------------------------------------------------------------------------------------ ratings


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


def status_counts(store: Store) -> dict[str, int]:
    """Number of runs per status (for headers and the queue screen)."""
    rows = read(store, lambda s: list(s.exec(select(Run.status, func.count()).group_by(Run.status)).all()))
    return {RunStatus(status).value: int(count) for status, count in rows}


__all__ = [
    "TRAIN_BACKEND",
    "TRAIN_STATS",
    "NoSuchRun",
    "EpochRow",
    "write",
    "read",
    "create_run",
    "create_runs",
    "new_run_row",
    "get_run",
    "run_config",
    "list_runs",
    "update_run",
    "touch_heartbeat",
    "cancel_requested",
    "upsert_metric",
    "upsert_metrics",
    "metric_rows",
    "epoch_rows",
    "delete_epochs_after",
    "save_grid",
    "grid",
    "grid_epochs",
    "add_checkpoint",
    "checkpoints",
    "latest_checkpoint",
    "add_rating",
    "check_rateable",
    "ratings",
    "status_counts",
]
