"""Engine callbacks that write a run's progress into the database as it trains.

``RunRecorder(store, run_id).callbacks()`` gives the ``TrainCallbacks`` for ``gan.training.train``:
progress is throttled to about one write per second (the UI polls it), every epoch writes its
training statistics and sample grid before the epoch hooks run, every checkpoint gets its row, and
``should_stop`` looks at the stop event every step but at the database's ``cancel_requested``
flag at most about once per second within an epoch, and always before an epoch starts.

Cancel semantics (docs/queue.md): a cancel is honoured at the first step boundary after the worker
reads the flag, so it is never later than the start of the next epoch; the run ends ``cancelled``
with the checkpoints of its completed epochs. A cancel that arrives while the last step of the last
epoch is running (or during that epoch's evaluation) is too late: training is complete, the run ends
``completed`` and the request is cleared with a note in the run log.

Crash safety: the engine writes its checkpoint files *before* reporting the epoch, and overwrites
``last.pt`` every epoch. So that a worker killed at any instant resumes with exactly one stats row
per epoch, checkpoint rows are written only after that epoch's stats rows, and the rolling ``last``
row points to ``resume.pt``, a hard link to ``last.pt`` made after the stats rows: its content is
never newer than the newest epoch with rows. When a resumed run reports its first step, rows of
the epochs it is about to retrain are dropped (they described weights that no longer exist).
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cgan_tui.atomic import atomic_copy
from cgan_tui.store import queries as q
from cgan_tui.store.db import Store
from cgan_tui.store.queries import steps as step_rows

RESUME_NAME = "resume.pt"
CANCEL_POLL_S = 1.0
"""How often ``should_stop`` reads ``Run.cancel_requested`` (it is polled every training step)."""
PROGRESS_WRITE_S = 1.0
"""Progress rows are written at most this often."""

EpochHook = Callable[..., None]
"""``hook(store, run_id, config, event: EpochEnd, registries)``; its exceptions are recorded, not raised."""


def _hook_name(hook: Any) -> str:
    return getattr(hook, "target", None) or getattr(hook, "__qualname__", None) or repr(hook)


@dataclass
class RunRecorder:
    store: Store
    run_id: int
    config: Any = None  # RunConfig, handed to epoch hooks
    registries: Any = None
    stop_event: threading.Event | None = None
    epoch_hooks: Sequence[EpochHook] = ()
    logger: logging.Logger | None = None
    progress_interval_s: float = field(default_factory=lambda: PROGRESS_WRITE_S)
    cancel_poll_s: float = field(default_factory=lambda: CANCEL_POLL_S)
    extra: Sequence[Any] = ()  # further TrainCallbacks (e.g. the CLI's progress bar)
    resuming: bool = True  # drop stale rows of the epochs about to be (re)trained, once
    cancelled: bool = field(default=False, init=False)
    stopped_by_event: bool = field(default=False, init=False)
    hook_errors: list[str] = field(default_factory=list, init=False)
    epochs_recorded: list[int] = field(default_factory=list, init=False)
    _last_progress: float = field(default=0.0, init=False)
    _last_cancel_check: float = field(default=float("-inf"), init=False)
    _pending: list[Any] = field(default_factory=list, init=False)
    _steps_per_epoch: int = field(default=0, init=False)

    # ------------------------------------------------------------------------------ callbacks
    def callbacks(self):
        from cgan_tui.gan.training import TrainCallbacks

        return TrainCallbacks(
            on_progress=self.on_progress,
            on_epoch_end=self.on_epoch_end,
            on_checkpoint=self.on_checkpoint,
            should_stop=self.should_stop,
        )

    def _log(self, level: int, message: str) -> None:
        if self.logger is not None:
            self.logger.log(level, message)

    def on_progress(self, progress) -> None:
        self._drop_retrained(progress.epoch)
        self._steps_per_epoch = int(progress.steps_per_epoch)
        now = time.monotonic()
        last_step = progress.step >= progress.steps_per_epoch
        if now - self._last_progress >= self.progress_interval_s or last_step:
            self._last_progress = now
            q.update_run(
                self.store,
                self.run_id,
                current_epoch=int(progress.epoch),
                current_step=int(progress.step),
                steps_per_epoch=int(progress.steps_per_epoch),
                images_per_s=float(progress.images_per_s),
            )
        for cb in self.extra:
            cb.on_progress(progress)

    def _drop_retrained(self, epoch: int) -> None:
        if self.resuming:
            self.resuming = False
            dropped = q.delete_epochs_after(self.store, self.run_id, int(epoch) - 1)
            if dropped:
                self._log(logging.INFO, f"dropped {dropped} stale metric rows of epochs >= {epoch} (retrained)")

    def on_epoch_end(self, event) -> None:
        self._drop_retrained(event.epoch)
        values, reasons = train_values(event)
        curves = epoch_steps(event)
        step_rows.prepare(self.store, curves)  # an older database gets the step table first

        def put_curves(session) -> None:  # in the stats rows' transaction: the epoch's curves or none
            if curves is not None:
                step_rows.put_steps_in(session, self.run_id, event.epoch, curves)

        q.upsert_metrics(self.store, self.run_id, event.epoch, values, backend=q.TRAIN_BACKEND, unavailable=reasons,
                         also=put_curves)  # fmt: skip
        if event.grid_png:
            q.save_grid(self.store, self.run_id, event.epoch, event.grid_png, event.grid_rows, event.grid_cols)
        steps = self._steps_per_epoch or _steps_from(event, self.config)
        q.update_run(
            self.store, self.run_id, current_epoch=int(event.epoch), current_step=steps,
            steps_per_epoch=steps, images_per_s=float(event.images_per_s),
        )  # fmt: skip
        self.epochs_recorded.append(int(event.epoch))
        self._flush_checkpoints()
        losses = " ".join(f"{k} {v:.4f}" for k, v in values.items() if k.endswith("loss") and v is not None)
        self._log(logging.INFO, f"epoch {event.epoch}: {losses} {event.seconds:.1f}s {event.images_per_s:.0f} img/s")
        self.run_hooks(event)
        for cb in self.extra:
            cb.on_epoch_end(event)
        self._last_cancel_check = float("-inf")  # the next epoch starts only after reading the flag

    def run_hooks(self, event) -> None:
        """The epoch hooks on ``event`` (also a pending evaluation resumed before training on)."""
        for hook in self.epoch_hooks:
            self._run_hook(hook, event)

    def _run_hook(self, hook: EpochHook, event) -> None:
        """An epoch hook (evaluation) must never kill training: log the traceback, note it on the run."""
        try:
            hook(self.store, self.run_id, self.config, event, self.registries)
        except Exception as exc:  # noqa: BLE001
            note = f"epoch {event.epoch}: epoch hook {_hook_name(hook)} failed: {type(exc).__name__}: {exc}"
            self.hook_errors.append(note)
            self._log(logging.ERROR, note + "\n" + traceback.format_exc())
            try:
                self._append_error(note)
            except Exception:  # noqa: BLE001 - the note is best effort; the log has it
                pass

    def _append_error(self, note: str) -> None:
        q.append_run_error(self.store, self.run_id, note)

    def on_checkpoint(self, saved) -> None:
        """Buffered until the epoch's stats rows exist (see the module docstring)."""
        self._pending.append(saved)
        for cb in self.extra:
            cb.on_checkpoint(saved)

    def _flush_checkpoints(self) -> None:
        pending, self._pending = self._pending, []
        for saved in pending:
            path = Path(saved.path)
            if saved.kind == "last":
                path = atomic_copy(path, path.with_name(RESUME_NAME))
            location = self.store.artifact_store.publish(self.run_id, path)  # a no-op for a local root
            q.add_checkpoint(self.store, self.run_id, saved.epoch, location, saved.kind)
            self._log(logging.INFO, f"checkpoint {saved.kind} epoch {saved.epoch}: {location}")

    def should_stop(self) -> bool:
        if self.stop_event is not None and self.stop_event.is_set():
            self.stopped_by_event = True
            return True
        now = time.monotonic()
        if now - self._last_cancel_check >= self.cancel_poll_s:
            self._last_cancel_check = now
            if q.cancel_requested(self.store, self.run_id):
                self.cancelled = True
        if self.cancelled:
            return True
        return any(cb.should_stop() for cb in self.extra)


def train_values(event) -> tuple[dict[str, float | None], dict[str, str]]:
    """The ``train``-backend rows of an epoch and the reasons of those that do not apply.

    G/D families: ``g_loss``, ``d_loss``. Families with their own trainer: their step's values, and
    the values they declare not applicable (e.g. ``d_loss``) as empty rows with the reason, shown
    ``n/a`` (not "not computed yet"). Both: epoch seconds, training and sampling images/s."""
    reasons = dict(getattr(event, "not_applicable", None) or {})
    own = getattr(event, "values", None)
    if own is None:
        values: dict[str, float | None] = {"g_loss": event.g_loss, "d_loss": event.d_loss}
    else:
        values = {name: None for name in reasons}
        values.update(own)
    values["epoch_seconds"] = event.seconds
    values["images_per_s"] = event.images_per_s
    if getattr(event, "sample_images_per_s", None) is not None:
        values[SAMPLE_RATE] = event.sample_images_per_s
    return values, {k: v for k, v in reasons.items() if values.get(k) is None}


def epoch_steps(event) -> step_rows.EpochSteps | None:
    """The epoch's step curves as rows to store, or None when the run records none (``log_every`` 0)."""
    values = getattr(event, "step_values", None)
    if not values or not getattr(event, "step_every", 0):
        return None
    return step_rows.EpochSteps(dict(values), int(event.step_every), int(event.epoch_steps))


SAMPLE_RATE = "sample_images_per_s"
"""Train-backend value: images/s the run's sampler made its fixed-noise grid at (sampling cost)."""


def _steps_from(event, config) -> int:
    """Steps per epoch when no progress report came (tiny epochs): images per epoch / batch size."""
    batch = getattr(config, "batch_size", None) or 0
    if not batch or not event.epoch or not event.images_seen:
        return 0
    return max(1, -(-int(event.images_seen // event.epoch) // int(batch)))

