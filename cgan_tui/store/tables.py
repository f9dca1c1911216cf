"""SQLModel tables. The database is the only channel between workers and the UI.

A "model" in the seed study's sense is a (run, epoch) pair: one 30-epoch run evaluated at 10, 20 and
30 gives three models. Metric values are stored in long format, one row per value, each with the
backend that produced it and the sample count, so values are only ever compared like for like.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from cgan_tui.scoring import RATING_CRITERIA  # noqa: F401 - its home is scoring; re-exported for store users
from cgan_tui.store.location import SCHEMA_VERSION  # noqa: F401 - re-exported (its home: location)


def utcnow() -> datetime:
    return datetime.now(UTC)  # sqlmodel >= 0.0.50 refuses naive datetimes


class RunStatus(str, Enum):
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    diverged = "diverged"
    cancelled = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (RunStatus.completed, *RESUMABLE)

    @property
    def resumable(self) -> bool:
        """A run that stopped short (``RESUMABLE``): ``queue retry`` requeues it, ``train --resume`` goes on."""
        return self in RESUMABLE


RESUMABLE: tuple[RunStatus, ...] = (RunStatus.failed, RunStatus.diverged, RunStatus.cancelled)
"""The one list of statuses a run can be requeued or resumed from (besides queued, which never started)."""


class SchemaInfo(SQLModel, table=True):
    """One row: the schema version this database was written with."""

    id: int = Field(default=1, primary_key=True)
    version: int
    created_at: datetime = Field(default_factory=utcnow)


class Experiment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    notes: str = ""
    created_at: datetime = Field(default_factory=utcnow)


class Run(SQLModel, table=True):
    """One training job. ``config_json`` holds the fully resolved RunConfig."""

    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int | None = Field(default=None, foreign_key="experiment.id", index=True)
    config_json: str
    # denormalised from the config for filtering and sorting without JSON parsing
    model: str = Field(index=True)
    loss: str = Field(index=True)
    conditioning: str
    d_conditioning: str = ""
    embed_dim: int
    epochs: int
    seed: int = 0
    status: RunStatus = Field(default=RunStatus.queued, index=True)
    priority: int = Field(default=0, index=True)
    # claiming and liveness
    worker_id: str | None = None
    pid: int | None = None
    hostname: str | None = None
    heartbeat_at: datetime | None = None
    cancel_requested: bool = False
    attempts: int = 0
    # live progress (written by the worker, polled by the UI)
    current_epoch: int = 0
    current_step: int = 0
    steps_per_epoch: int = 0
    images_per_s: float | None = None
    eval_progress: str | None = None  # "backend x/y" while an epoch hook evaluates, else NULL
    eval_pending: str | None = None
    """Epochs whose evaluation started but was not stored ("2,3"): done by the next worker before it trains."""
    # provenance and outcome
    device: str | None = None
    precision: str | None = None  # what the run trains in and why, e.g. "fp32 (auto: CPU without ...)"
    code_version: str | None = None
    error: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def config(self) -> dict[str, Any]:
        return json.loads(self.config_json)


class RunLabel(SQLModel, table=True):
    """What the researcher says about a run: a free-text note, tags, and whether it is archived
    (hidden from ``ls`` and the results table unless asked). A run without a row has none of these.

    A table of its own (schema 5), not columns of ``run``: a schema-4 database reads as before without
    being migrated (``store.db``: readers see no labels; the first label write upgrades it)."""

    run_id: int = Field(foreign_key="run.id", primary_key=True)
    note: str = ""
    tags: str = ""
    """Space-separated, sorted, unique (``cgan_tui.labels`` says what a tag may be)."""
    archived: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class Checkpoint(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("run_id", "epoch", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    epoch: int
    path: str
    kind: str = "milestone"  # milestone (kept) | last (overwritten each epoch, for resume)
    is_best: bool = False
    created_at: datetime = Field(default_factory=utcnow)


def checkpoint_rank(checkpoint: Checkpoint) -> tuple[int, bool]:
    """Order of checkpoints, newest last: by epoch; on a tie the milestone after the rolling ``last``.

    At one epoch both hold the same weights, but ``last`` is overwritten at the next epoch (a reader
    holding its row may load a newer file), while a milestone stays: the one rule for "newest"."""
    return checkpoint.epoch, checkpoint.kind == "milestone"


def newest_checkpoint(rows: Iterable[Checkpoint]) -> Checkpoint | None:
    """The newest of ``rows`` by ``checkpoint_rank`` (resume, ``eval``, ``sample``); None when empty."""
    return max(rows, key=checkpoint_rank, default=None)


class MetricValue(SQLModel, table=True):
    """One value. ``value`` is NULL when the metric could not run; ``unavailable`` says why.

    Training statistics use backend ``train`` (g_loss, d_loss, epoch_seconds, images_per_s).
    ``backbone`` is the short SHA-256 of the weights behind a value of a versioned backend (the
    classifier), "" otherwise: values of two different networks are two rows, never one.
    """

    __table_args__ = (UniqueConstraint("run_id", "epoch", "name", "backend", "n_samples", "backbone"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    epoch: int = Field(index=True)
    name: str = Field(index=True)
    value: float | None = None
    backend: str = ""
    n_samples: int = 0
    unavailable: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    backbone: str = Field(default="", sa_column_kwargs={"server_default": ""})


class StepSeries(SQLModel, table=True):
    """One training value's step curve over one epoch: its mean over every ``every`` steps, as
    little-endian float32 (4 bytes a point; NaN where a window had no such step). Point ``i`` ends at
    step ``min((i + 1) * every, steps)`` of the epoch. Written with the epoch's ``train`` rows in one
    transaction, so an epoch has its whole curve or none (schema 6, ``store.queries.steps``)."""

    __table_args__ = (UniqueConstraint("run_id", "epoch", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    epoch: int
    name: str
    every: int
    steps: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SampleGrid(SQLModel, table=True):
    """Fixed-noise samples: one row per class, ``cols`` samples each, PNG bytes."""

    __table_args__ = (UniqueConstraint("run_id", "epoch"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    epoch: int
    rows: int = 10
    cols: int = 8
    png: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class Rating(SQLModel, table=True):
    """A human visual rating (1..5) of a model's grid on one criterion."""

    __table_args__ = (UniqueConstraint("run_id", "epoch", "criterion", "rater"),)

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="run.id", index=True)
    epoch: int
    criterion: str
    value: int
    rater: str = "me"
    created_at: datetime = Field(default_factory=utcnow)


class FeatureCache(SQLModel, table=True):
    """Real-data feature statistics per (dataset, backend, n), so reals are embedded once."""

    __table_args__ = (UniqueConstraint("dataset", "backend", "n"),)

    id: int | None = Field(default=None, primary_key=True)
    dataset: str
    backend: str
    n: int
    payload: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)

