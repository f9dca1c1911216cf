"""Run one stored run to an outcome: the bridge between the queue's rows and ``gan.training.train``.

``execute_run`` marks the run running, resumes from its newest *intact* checkpoint file if it has one
(so a requeued, stale or interrupted run continues instead of starting over; damaged files are set
aside by ``runner.damaged``), evaluates the epochs a dead worker left pending (``runner.pending_eval``)
before training on, trains with a
``RunRecorder`` writing rows as they come, and maps how training ended to a final status:

- finished all epochs -> ``completed``
- ``cancel_requested`` seen before the last step -> ``cancelled`` (checkpoints kept); seen only after
  it -> ``completed`` (the request is cleared; see ``recorder`` for when a cancel is read)
- the stop event (SIGTERM/SIGINT to a worker) -> ``stop_status`` (``queued``: resumes later)
- ``Diverged`` (NaN/inf loss) -> ``diverged``, its message in ``Run.error``, last good checkpoint kept
- any other exception -> ``failed`` with the full traceback in ``Run.error``; the caller goes on.

Epoch hooks (evaluation) run after each epoch's rows are written; one that raises is logged to
``run.log`` with its traceback and noted in ``Run.error`` (one line per failure) but never stops
training, and the run can still complete; a completed run whose evaluation has gaps says which and
the ``cgan-tui eval`` command that fills them in ``Run.error`` (a note, not a failure).
"""

from __future__ import annotations

import functools
import importlib
import logging
import subprocess
import threading
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cgan_tui
from cgan_tui.artifacts import exists as artifact_exists
from cgan_tui.errors import PluginCallError, UserError
from cgan_tui.redact import redact
from cgan_tui.runner.damaged import intact_resume_checkpoint
from cgan_tui.runner.disk_space import disk_full_reason
from cgan_tui.runner.logs import capture_package_logs, close_run_log, open_run_log, publish_log
from cgan_tui.runner.pending_eval import evaluate_pending, missing_note
from cgan_tui.runner.recorder import EpochHook, RunRecorder
from cgan_tui.store import queries as q
from cgan_tui.store.db import Store
from cgan_tui.store.guard import FULL, StoreWriteError, classify
from cgan_tui.store.tables import RunStatus, newest_checkpoint, utcnow

DEFAULT_HOOK_MODULE = "cgan_tui.runner.evaluate_hook"


@dataclass(frozen=True)
class RunOutcome:
    status: str  # completed | cancelled | queued | diverged | failed | lost
    epochs_done: int
    error: str | None = None
    cannot_write: str | None = None
    """Set when the artifacts disk is full: one line naming the folder and its free space. The worker
    stops claiming (every further run would fail the same way) and the queued runs stay queued."""


def default_epoch_hooks() -> list[EpochHook]:
    """``evaluate_hook.after_epoch`` when that module exists (the metrics package), else none."""
    try:
        module = importlib.import_module(DEFAULT_HOOK_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == DEFAULT_HOOK_MODULE:
            return []
        raise
    return [module.after_epoch]


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus the git commit of the source tree when it is a checkout."""
    version = cgan_tui.__version__
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=Path(cgan_tui.__file__).parent,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return version
    commit = out.stdout.strip()
    return f"{version}+g{commit}" if out.returncode == 0 and commit else version


def resume_checkpoint(store: Store, run_id: int) -> Any | None:
    """The newest checkpoint row of the run whose file still exists (None: start from scratch)."""
    return newest_checkpoint(r for r in q.checkpoints(store, run_id) if artifact_exists(r.path))


def execute_run(
    store: Store,
    run_id: int,
    registries,
    *,
    worker_id: str,
    stop_event: threading.Event | None = None,
    extra_callbacks: Sequence[Any] | Any | None = None,
    epoch_hooks: Sequence[EpochHook] | None = None,
    data=None,
    stop_status: str = "queued",
    device: str | None = None,
) -> RunOutcome:
    """Train stored run ``run_id`` (already claimed by ``worker_id``) and record how it ended.

    ``device`` overrides a config that says ``auto`` (a worker pinned to a GPU). ``stop_status`` is
    what a stop-event ends in: ``queued`` for workers (resume later), ``cancelled`` for the CLI.
    """
    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.precision import choose_precision
    from cgan_tui.gan.training import Diverged, train

    run = q.get_run(store, run_id)
    config = q.run_config(run)
    if device and config.device == "auto":
        config = replace(config, device=device)
    if extra_callbacks is None:
        extras: list[Any] = []
    elif isinstance(extra_callbacks, (list, tuple)):
        extras = list(extra_callbacks)
    else:
        extras = [extra_callbacks]

    logger = open_run_log(store, run_id)
    capture_package_logs(logger)
    recorder = RunRecorder(
        store, run_id, config=config, registries=registries, stop_event=stop_event,
        epoch_hooks=(), logger=logger, extra=extras,
    )  # fmt: skip
    epochs_done = 0
    try:
        try:
            torch_device = pick_device(config.device)
            device_name = str(torch_device)
            family = registries.models.get(config.model) if config.model in registries.models else None
            precision = str(choose_precision(config.precision, torch_device, family))  # what train() will use
        except UserError as exc:
            q.start_run(store, run_id, worker_id, config.device, None, code_version())
            return _fail(store, run_id, worker_id, logger, str(exc), 0, RunStatus.failed)
        q.start_run(store, run_id, worker_id, device_name, precision, code_version())
        try:
            recorder.epoch_hooks = default_epoch_hooks() if epoch_hooks is None else list(epoch_hooks)
        except Exception:  # noqa: BLE001 - a broken evaluation module fails this run, not the worker
            return _fail(store, run_id, worker_id, logger, traceback.format_exc(), 0, RunStatus.failed)
        checkpoint = intact_resume_checkpoint(store, run_id, logger)  # damaged files set aside, named
        start_epoch = checkpoint.epoch if checkpoint is not None else 0
        logger.info(
            f"start run {run_id} ({config.label}, {config.model}) on {device_name} in {precision} by worker {worker_id}, "
            f"attempt {run.attempts}, code {code_version()}"
        )
        if checkpoint is not None:
            logger.info(f"resume from epoch {checkpoint.epoch} ({checkpoint.kind} checkpoint {checkpoint.path})")
        if torch_device.type == "cuda":
            import torch

            torch.cuda.reset_peak_memory_stats(torch_device)
        evaluate_pending(store, run_id, config, registries, resume=checkpoint, device=torch_device,
                         run_hooks=recorder.run_hooks, logger=logger)  # fmt: skip
        try:
            result = train(
                config,
                registries,
                store.run_dir(run_id),
                callbacks=recorder.callbacks(),
                resume_from=store.artifact_store.fetch(checkpoint.path) if checkpoint is not None else None,
                data=data,
            )
        except Diverged as exc:
            epochs_done = max(exc.epoch - 1, start_epoch)
            return _fail(store, run_id, worker_id, logger, f"diverged: {exc}", epochs_done, RunStatus.diverged)
        except StoreWriteError:
            raise  # the database cannot record anything: the caller says so (one line) and stops
        except Exception as exc:  # noqa: BLE001 - a failing run must not take the worker down
            epochs_done = max(recorder.epochs_recorded, default=start_epoch)
            text = str(exc) if isinstance(exc, UserError) else traceback.format_exc()
            if isinstance(exc, PluginCallError):  # one line on the run; the plugin's traceback in run.log
                logger.error("traceback of the plugin call:\n%s", redact(traceback.format_exc()))
            full = isinstance(exc, OSError) and classify(exc) == FULL
            if full:
                text = (f"disk full while writing {exc.filename or 'a run file'} after epoch {epochs_done} "  # type: ignore[attr-defined]
                        f"({exc.strerror}); free space and requeue: it resumes from its last complete checkpoint")  # type: ignore[attr-defined]
            outcome = _fail(store, run_id, worker_id, logger, text, epochs_done, RunStatus.failed)
            if full:
                outcome = replace(outcome, cannot_write=disk_full_reason(store.artifacts, run_id))
            return outcome

        epochs_done = result.epochs_done
        if torch_device.type == "cuda":  # what one run needs: the basis for --runs-per-gpu
            import torch

            peak = torch.cuda.max_memory_allocated(torch_device) / 2**20
            logger.info(f"peak GPU memory of this run: {peak:.0f} MiB (allocated by torch, {torch_device})")
        if result.stopped and (recorder.cancelled or q.cancel_requested(store, run_id)):
            status = RunStatus.cancelled
        elif result.stopped:
            status = RunStatus(stop_status)
        elif epochs_done >= config.epochs:
            status = RunStatus.completed
        else:
            msg = f"training ended after epoch {epochs_done} of {config.epochs} without being stopped"
            return _fail(store, run_id, worker_id, logger, msg, epochs_done, RunStatus.failed)
        missing = missing_note(store, run_id, config, registries) if status != RunStatus.queued else None
        if missing:
            logger.warning(missing)
        notes = "\n".join([*recorder.hook_errors, *([missing] if missing else [])]) or None
        values: dict[str, Any] = {"status": status, "current_epoch": epochs_done, "current_step": 0,
                                  "error": notes}  # current_step 0: current_epoch counts completed epochs
        if status == RunStatus.completed and q.cancel_requested(store, run_id):
            # too late to cancel: the last step had already run (see recorder's cancel semantics)
            values["cancel_requested"] = False
            logger.info("cancel requested after the last training step; the run is complete and stays completed")
        if status == RunStatus.queued:
            values.update(worker_id=None, pid=None, hostname=None, heartbeat_at=None)
        else:
            values["finished_at"] = utcnow()
        logger.info(f"{status.value} after epoch {epochs_done} of {config.epochs}")
        if not q.finish_run(store, run_id, worker_id, **values):
            logger.warning("run was taken over by another worker; not recording this outcome")
            return RunOutcome("lost", epochs_done, None)
        return RunOutcome(status.value, epochs_done, notes)
    finally:
        close_run_log(logger)
        publish_log(store, run_id)


def _fail(
    store: Store, run_id: int, worker_id: str, logger: logging.Logger, text: str, epochs_done: int, status: RunStatus
) -> RunOutcome:
    text = redact(text)  # a traceback may quote a database URL
    logger.error(f"{status.value} after epoch {epochs_done}: {text}")
    recorded = q.finish_run(
        store, run_id, worker_id, status=status, error=text, finished_at=utcnow(), current_epoch=epochs_done,
        current_step=0,
    )
    return RunOutcome(status.value if recorded else "lost", epochs_done, text)
