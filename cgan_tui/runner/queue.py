"""The run queue: enqueue, atomic claim, cancel, reprioritise, requeue (by hand or when stale).

Queue state is the ``Run`` table itself; every transition is one conditional UPDATE, so a worker
claiming, a user cancelling and a sweeper requeueing never overwrite each other (the statements
live in ``store.queries.queue``; this module holds the policy: who may claim, cancel, requeue and
when a run counts as stale). Torch-free: the TUI imports this module.
"""

from __future__ import annotations

import json
import math
import os
import socket
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cgan_tui.config import GridSpec, RunConfig, expand_all, load_grid, resolve, run_label
from cgan_tui.errors import UserError
from cgan_tui.runner.logs import append_line
from cgan_tui.store import queries as q
from cgan_tui.store.db import Store
from cgan_tui.store.queries.queue import claim_statement  # noqa: F401 - re-exported (tests, docs)
from cgan_tui.store.tables import RESUMABLE, Run, RunStatus, utcnow

if TYPE_CHECKING:
    from cgan_tui.plugins import Registries

STALE_AFTER_S = 30.0
"""A running run whose heartbeat is older than this and whose process is gone is requeued."""
HARD_STALE_AFTER_S = 600.0
"""Older than this, a heartbeat counts as dead even when its process cannot be checked."""

def _either(names: Iterable[str]) -> str:
    """``a, b or c``."""
    names = list(names)
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)


def _registries(registries: Registries | None) -> Registries:
    if registries is not None:
        return registries
    from cgan_tui.plugins import load_plugins

    return load_plugins()


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# ------------------------------------------------------------------------------------------ enqueue


def enqueue(
    store: Store,
    config: RunConfig,
    *,
    priority: int = 0,
    experiment: str | None = None,
    registries: Registries | None = None,
    given: Collection[str] = (),
) -> int:
    """Validate and resolve ``config`` (bad input -> UserError, nothing stored), then queue it.
    ``given``: the fields the user named (``config.resolve``)."""
    resolved = resolve(config, _registries(registries), given)
    return q.create_run(store, resolved, priority=_priority(priority), experiment=experiment)


def enqueue_grid(
    store: Store,
    grid: GridSpec | str | Path | Sequence[RunConfig],
    registries: Registries | None = None,
    priority: int = 0,
    experiment: str | None = None,
    given: Collection[str] = (),
) -> list[int]:
    """Queue every run of a grid (a GridSpec, a TOML path or a list of configs) in one transaction.

    Every config is resolved before anything is inserted: one typo rejects the whole grid.
    The experiment name defaults to the grid's ``[experiment] name``.
    """
    if isinstance(grid, (str, Path)):
        grid = load_grid(grid)
    if isinstance(grid, GridSpec):
        experiment = experiment or grid.name
        configs = grid.expand()
        given = {*given, *grid.base, *grid.matrix}
    else:
        configs = list(grid)
    if not configs:
        raise UserError("the grid expands to no runs; give at least one value per matrix key")
    resolved = expand_all(configs, _registries(registries), given)
    return q.create_runs(store, resolved, priority=_priority(priority), experiment=experiment)


def _priority(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f"priority must be an integer (higher runs first), got {value!r}")
    return value


# -------------------------------------------------------------------------------------------- claim


def claim_next(store: Store, worker_id: str, pid: int | None = None, hostname: str | None = None) -> Run | None:
    """Atomically take the highest-priority queued run (oldest first) for this worker, or None."""
    pid = os.getpid() if pid is None else pid
    hostname = socket.gethostname() if hostname is None else hostname
    run_id = q.claim_next_queued(store, worker_id, pid, hostname)
    return None if run_id is None else q.get_run(store, run_id)


def claim_run(
    store: Store,
    run_id: int,
    worker_id: str,
    *,
    from_statuses: Iterable[RunStatus | str] = (RunStatus.queued,),
    pid: int | None = None,
    hostname: str | None = None,
) -> bool:
    """Take one given run (the CLI's ``train``/``--resume``) if it is in ``from_statuses``."""
    pid = os.getpid() if pid is None else pid
    hostname = socket.gethostname() if hostname is None else hostname
    return q.claim_run_in(store, run_id, worker_id, [RunStatus(s) for s in from_statuses], pid, hostname)


# ---------------------------------------------------------------------------------- state changes


def cancel(store: Store, run_id: int) -> str:
    """Queued -> ``cancelled`` at once; running -> ``cancel_requested`` (the worker stops at its next
    step, keeps its checkpoints and marks it ``cancelled``). Returns ``"cancelled"`` or
    ``"cancel_requested"``; a finished run is a UserError."""
    for _ in range(3):
        if q.set_if_status(store, run_id, [RunStatus.queued], status=RunStatus.cancelled, finished_at=utcnow()):
            return "cancelled"
        if q.set_if_status(store, run_id, [RunStatus.running], cancel_requested=True):
            return "cancel_requested"
        run = q.get_run(store, run_id)
        if run.status.finished:
            raise UserError(f"run {run_id} is already {run.status.value}; only queued or running runs can be cancelled")
    raise UserError(f"run {run_id} kept changing state; try again")


def reprioritise(store: Store, run_id: int, priority: int) -> None:
    """Set a run's priority (higher is claimed first; ties by age)."""
    priority = _priority(priority)
    q.get_run(store, run_id)
    q.update_run(store, run_id, priority=priority)


def requeue(store: Store, run_id: int) -> None:
    """Put a failed, diverged or cancelled run back in the queue; it resumes from its checkpoint.
    Any other run is refused with the reason (a queued one is not "requeued" again)."""
    values = dict(
        status=RunStatus.queued, cancel_requested=False, worker_id=None, pid=None, hostname=None,
        heartbeat_at=None, finished_at=None,
    )  # fmt: skip
    if q.set_if_status(store, run_id, RESUMABLE, **values):
        return
    run = q.get_run(store, run_id)
    if run.status == RunStatus.queued:
        raise UserError(f"run {run_id} is already queued (a worker claims it when one is free)")
    if run.status == RunStatus.running:
        raise UserError(
            f"run {run_id} is running on worker {run.worker_id}; cancel it first "
            "(a run whose worker died is requeued automatically)"
        )
    raise UserError(
        f"run {run_id} is {run.status.value}; only {_either(s.value for s in RESUMABLE)} runs can be requeued"
    )


EXTENDABLE = (RunStatus.completed, RunStatus.cancelled)


@dataclass(frozen=True)
class Extension:
    """What ``extend`` changed: the run's new length and the epoch it resumes from."""

    run_id: int
    epochs_before: int
    epochs: int
    resumes_from: int
    checkpoint_epochs: tuple[int, ...]


def extend(store: Store, run_id: int, epochs: int, checkpoint_epochs: Iterable[int] = ()) -> Extension:
    """Train a completed (or cancelled) run on to ``epochs``: its config's length grows, milestones
    ``checkpoint_epochs`` are added, and it goes back to the queue; a worker resumes it from its newest
    intact checkpoint (optimiser and RNG state), so the epochs it already has are not trained again and
    the result is the run a longer ``--epochs`` would have given (the built-in families have no schedule
    over the planned length). Refused without a checkpoint to resume from: training from scratch would
    replace the stored epochs."""
    from cgan_tui.artifacts import exists as artifact_exists
    from cgan_tui.config import validated
    from cgan_tui.store.queries.runs import stored_config_json
    from cgan_tui.store.tables import newest_checkpoint

    run = q.get_run(store, run_id)
    if run.status not in EXTENDABLE:
        raise UserError(f"run {run_id} is {run.status.value}; only completed or cancelled runs can be extended "
                        "(a queued or running run: cancel it first; a failed or diverged one: requeue it)")  # fmt: skip
    config = q.run_config(run)
    done = int(run.current_epoch or 0)
    if int(epochs) <= max(done, config.epochs):
        raise UserError(f"--epochs must be above the run's {config.epochs} planned epochs "
                        f"(it has trained {done}), got {epochs}")  # fmt: skip
    newest = newest_checkpoint(r for r in q.checkpoints(store, run_id) if artifact_exists(r.path))
    if newest is None:
        raise UserError(f"run {run_id} has no checkpoint file to resume from (its artifacts were removed or "
                        "moved); queue a new run with --epochs instead")  # fmt: skip
    data = config.to_dict()
    milestones = sorted({*map(int, data.get("checkpoint_epochs") or ()), *map(int, checkpoint_epochs)})
    data.update(epochs=int(epochs), checkpoint_epochs=milestones)
    new = validated(data, given={"epochs", "checkpoint_epochs"})
    values = dict(
        config_json=stored_config_json(new), epochs=new.epochs, status=RunStatus.queued, cancel_requested=False,
        worker_id=None, pid=None, hostname=None, heartbeat_at=None, finished_at=None,
    )  # fmt: skip
    if not q.set_if_status(store, run_id, EXTENDABLE, **values):
        raise UserError(f"run {run_id} changed state while being extended; try again")
    return Extension(run_id, config.epochs, new.epochs, int(newest.epoch), tuple(new.checkpoint_epochs))


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def requeue_stale(
    store: Store,
    max_age_s: float = STALE_AFTER_S,
    *,
    hard_age_s: float | None = None,
    hostname: str | None = None,
) -> list[int]:
    """Requeue running runs whose process is gone (same host: at once, whatever the heartbeat's age,
    so ``worker --once`` right after a ``kill -9`` picks the run up), or whose heartbeat is older than
    ``hard_age_s`` (any host). Returns their ids.

    They keep their checkpoints and resume from the newest one when claimed again.
    """
    hard_age_s = max(HARD_STALE_AFTER_S, max_age_s) if hard_age_s is None else hard_age_s
    hostname = socket.gethostname() if hostname is None else hostname
    now = utcnow()
    requeued: list[int] = []
    for run in q.list_runs(store, statuses=[RunStatus.running]):
        seen = _aware(run.heartbeat_at or run.started_at or run.created_at)
        age = (now - seen).total_seconds() if seen is not None else math.inf
        process_gone = run.hostname == hostname and run.pid is not None and not pid_alive(run.pid)
        if not (process_gone or age > hard_age_s):
            continue
        cutoff = now - timedelta(seconds=0 if process_gone else max_age_s)
        why = "is gone" if process_gone else "stopped heart-beating"
        note = f"worker {run.worker_id} (pid {run.pid} on {run.hostname}) {why}; last heartbeat {age:.0f}s ago"
        if q.requeue_if_stale(store, run, cutoff, note):
            requeued.append(int(run.id))  # type: ignore[arg-type]
            append_line(store, int(run.id), f"requeued by the stale-run sweep: {note}")  # type: ignore[arg-type]
    return requeued


# -------------------------------------------------------------------------------------- for the UI


@dataclass(frozen=True)
class QueueRow:
    """A queued or running run with its live progress, as the queue screen shows it."""

    id: int
    label: str
    model: str
    loss: str
    conditioning: str
    embed_dim: int
    status: str
    priority: int
    seed: int
    epochs: int
    current_epoch: int
    current_step: int
    steps_per_epoch: int
    images_per_s: float | None
    batch_size: int | None
    worker_id: str | None
    heartbeat_at: datetime | None
    attempts: int
    cancel_requested: bool
    created_at: datetime | None
    stale: bool = False
    """Running, but its heartbeat is older than ``STALE_AFTER_S``: its worker is probably gone (the next
    worker's sweep requeues it), so neither ``running`` nor an ETA would be true."""
    eval_pending: tuple[int, ...] = ()
    """Epochs a dead worker left unevaluated: the next worker evaluates them before training on."""

    @property
    def shown_status(self) -> str:
        """What the CLI and the app write: ``stale?`` for a stale run, else the status."""
        return "stale?" if self.stale else self.status

    @property
    def epochs_done(self) -> float:
        """Fractional epochs completed. ``current_epoch`` is the epoch in progress while a step of it has
        been reported (``current_step`` > 0); with ``current_step`` 0 (claimed, resumed, requeued) it counts
        the epochs completed, so a run resumed after epoch 4 shows 4/N, not 0/N."""
        if self.steps_per_epoch <= 0 or self.current_step <= 0:
            return float(max(self.current_epoch, 0))
        return max(self.current_epoch - 1, 0) + min(self.current_step / self.steps_per_epoch, 1.0)

    @property
    def fraction(self) -> float:
        return min(self.epochs_done / self.epochs, 1.0) if self.epochs else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current speed; None before the first progress report or when stale."""
        if self.stale or not self.images_per_s or not self.steps_per_epoch or not self.batch_size:
            return None
        steps_left = (self.epochs - self.epochs_done) * self.steps_per_epoch
        return max(steps_left, 0.0) * self.batch_size / self.images_per_s


def queue_rows(store: Store, stale_after_s: float = STALE_AFTER_S) -> list[QueueRow]:
    """Running runs first, then queued ones in claim order (priority desc, oldest first); a running run
    whose heartbeat is older than ``stale_after_s`` is marked ``stale``."""
    runs = q.list_runs(store, statuses=[RunStatus.running, RunStatus.queued])
    runs.sort(key=lambda r: (r.status != RunStatus.running, -r.priority, r.id))
    now = utcnow()
    rows = []
    for run in runs:
        seen = _aware(run.heartbeat_at or run.started_at or run.created_at)
        stale = run.status == RunStatus.running and (seen is None or (now - seen).total_seconds() > stale_after_s)
        try:
            config = json.loads(run.config_json)
        except ValueError:
            config = {}
        rows.append(
            QueueRow(
                id=int(run.id),  # type: ignore[arg-type]
                label=run_label(run.loss, run.conditioning, run.embed_dim),
                model=run.model, loss=run.loss, conditioning=run.conditioning, embed_dim=run.embed_dim,
                status=run.status.value, priority=run.priority, seed=run.seed, epochs=run.epochs,
                current_epoch=run.current_epoch, current_step=run.current_step,
                steps_per_epoch=run.steps_per_epoch, images_per_s=run.images_per_s,
                batch_size=config.get("batch_size"), worker_id=run.worker_id,
                heartbeat_at=_aware(run.heartbeat_at), attempts=run.attempts,
                cancel_requested=run.cancel_requested, created_at=_aware(run.created_at), stale=stale,
                eval_pending=tuple(q.parse_pending(run.eval_pending)),
            )  # fmt: skip
        )
    return rows
