"""Evaluation is a resumable phase: a worker evaluates what a dead one left pending before training on.

``evaluate_hook.after_epoch`` marks an epoch in ``Run.eval_pending`` before it evaluates and clears the
mark once the values are stored. A worker killed in between (kill -9, OOM, a lost node) leaves the
mark. The next worker that resumes the run:

- evaluates every pending epoch it has a checkpoint file for (the epoch resumed from, or an older
  milestone) through the same hooks, *before* it trains on (``evaluate_pending``);
- forgets the marks of epochs later than the checkpoint it resumes from: those are retrained, and
  their evaluation runs again after them.

A run that ends ``completed`` with marks still there (its evaluation failed, or evaluation is off in
this worker) carries a note per epoch saying which values are missing and the exact ``cgan-tui eval``
command that fills them (``missing_note``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from cgan_tui.redact import redact
from cgan_tui.store import queries as q
from cgan_tui.store.db import Store
from cgan_tui.store.location import sqlite_path
from cgan_tui.store.tables import Checkpoint, newest_checkpoint


@dataclass(frozen=True)
class PendingEpoch:
    """What an epoch hook reads of ``gan.training.EpochEnd`` when it evaluates a stored checkpoint."""

    epoch: int
    generator: object = field(repr=False)
    is_checkpoint_epoch: bool = True


def evaluate_pending(store: Store, run_id: int, config, registries, *, resume: Checkpoint | None, device,
                     run_hooks, logger: logging.Logger) -> None:  # fmt: skip
    """Evaluate the run's pending epochs up to the checkpoint it resumes from (see the module docstring).

    ``run_hooks(event)`` runs the recorder's epoch hooks with their error policy (a failure is noted,
    never raised); ``device`` is where the generator is rebuilt."""
    pending = q.eval_pending(store, run_id)
    if not pending:
        return
    start = resume.epoch if resume is not None else 0
    later = [e for e in pending if e > start]
    if later:
        q.clear_eval_pending(store, run_id, *later)
        logger.info(f"evaluation of epoch(s) {_join(later)} did not finish; they are retrained and evaluated then")
    rows = q.checkpoints(store, run_id)
    from cgan_tui.gan.training import load_generator

    for epoch in (e for e in pending if e <= start):
        row = newest_checkpoint(r for r in rows if r.epoch == epoch)
        if row is None:
            logger.warning(f"evaluation of epoch {epoch} did not finish and no checkpoint of that epoch is left; "
                           "the run's note says how to fill it")  # fmt: skip
            continue
        logger.info(f"evaluating epoch {epoch} before training on: its evaluation did not finish "
                    f"(a worker stopped mid-evaluation); from {row.path}")  # fmt: skip
        try:
            generator, _ = load_generator(store.artifact_store.fetch(row.path), registries, device)  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - training goes on; the mark stays and the note tells
            logger.warning(f"cannot evaluate epoch {epoch} now: {type(exc).__name__}: {exc}")
            continue
        full = epoch in tuple(config.checkpoint_epochs or ()) or epoch == config.epochs
        run_hooks(PendingEpoch(epoch, generator, full))
        del generator


def eval_command(store: Store, run_id: int, epoch: int) -> str:
    """The exact command that evaluates ``epoch`` of a run in this database."""
    path = sqlite_path(store.url)
    db = str(path) if path is not None else redact(store.url)
    quoted = db if all(c.isalnum() or c in "/._-:@+" for c in db) else "'" + db.replace("'", "'\\''") + "'"
    return f"cgan-tui eval {run_id} --epoch {epoch} --db {quoted}"


def missing_note(store: Store, run_id: int, config, registries: Any) -> str | None:
    """One line per still-pending epoch: which values it lacks and the command that fills them."""
    pending = q.eval_pending(store, run_id)
    if not pending:
        return None
    from cgan_tui.runner.evaluate_hook import planned_keys

    stored: dict[int, set[str]] = {}
    for row in q.metric_rows(store, [run_id]):
        if row.value is not None or row.unavailable:
            stored.setdefault(row.epoch, set()).add(f"{row.name}@{row.backend}")
    lines = []
    for epoch in pending:
        try:
            missing = [k for k in planned_keys(config, epoch, registries) if k not in stored.get(epoch, set())]
        except Exception:  # noqa: BLE001 - a metric plugin gone since: the note still names the epoch
            missing = []
        what = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "") if missing else "its metrics"
        lines.append(f"{_note_prefix(epoch)} {what} missing; fill with: "
                     f"{eval_command(store, run_id, epoch)}")  # fmt: skip
    return "\n".join(lines)


def filled(store: Store, run_id: int, epoch: int) -> None:
    """``epoch``'s values are stored (``cgan-tui eval``): its mark and its line of the note go."""
    q.clear_eval_pending(store, run_id, epoch)
    q.drop_note_lines(store, run_id, _note_prefix(epoch))


def _note_prefix(epoch: int) -> str:
    return f"evaluation of epoch {epoch} did not finish:"


def _join(epochs: list[int]) -> str:
    return ", ".join(map(str, epochs))
