"""Damaged checkpoint files on resume: named in one line, moved aside (never deleted), rows forgotten.

Before a run resumes, every checkpoint file it has a row for is checked (``gan.checkpoint_file``: size,
zip directory, member CRCs; the one resumed from is also unpickled in a guarded ``torch.load``). A
damaged file is renamed ``NAME.damaged`` beside itself and its rows are dropped, so the run resumes
from the newest *intact* checkpoint and retrains from there (the recorder then drops the rows of the
epochs it retrains: exact epoch rows). A milestone whose epoch survives in another intact file (the
rolling ``resume.pt`` of the same epoch) is copied back from it, so the milestone set stays whole.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cgan_tui.artifacts import exists as artifact_exists
from cgan_tui.artifacts import set_aside
from cgan_tui.atomic import atomic_copy
from cgan_tui.errors import DamagedCheckpoint
from cgan_tui.gan.checkpoint_file import check_structure, read_checkpoint
from cgan_tui.store import queries as q
from cgan_tui.store.db import Store
from cgan_tui.store.tables import Checkpoint, checkpoint_rank


def _check(store: Store, row: Checkpoint, full: bool) -> None:
    local = store.artifact_store.fetch(row.path)  # type: ignore[union-attr]
    if full:
        read_checkpoint(local)
    else:
        check_structure(local)


def intact_resume_checkpoint(store: Store, run_id: int, logger: logging.Logger) -> Checkpoint | None:
    """The newest intact checkpoint row to resume from (None: start over); damaged files set aside."""
    rows = sorted((r for r in q.checkpoints(store, run_id) if artifact_exists(r.path)), key=checkpoint_rank, reverse=True)
    intact: list[Checkpoint] = []
    damaged: list[tuple[Checkpoint, DamagedCheckpoint]] = []
    for row in rows:
        try:
            _check(store, row, full=not intact)  # the file resumed from is unpickled too
        except DamagedCheckpoint as exc:
            damaged.append((row, exc))
            continue
        intact.append(row)
    for row, exc in damaged:
        moved = set_aside(row.path)
        q.drop_checkpoint(store, run_id, row.path)
        logger.warning(f"{exc}; moved aside to {moved}; {_resume_text(intact)}")
        twin = next((r for r in intact if r.epoch == row.epoch), None)
        if row.kind == "milestone" and twin is not None and "://" not in row.path:
            atomic_copy(Path(twin.path), Path(row.path))
            q.add_checkpoint(store, run_id, row.epoch, row.path, "milestone")
            logger.info(f"milestone epoch {row.epoch} restored from the intact {Path(twin.path).name} of that epoch")
    return intact[0] if intact else None


def _resume_text(intact: list[Checkpoint]) -> str:
    if not intact:
        return "no intact checkpoint is left: the run starts over from epoch 0"
    return f"resuming from the newest intact checkpoint, epoch {intact[0].epoch} ({Path(intact[0].path).name})"


def intact_epochs(store: Store, run_id: int) -> list[int]:
    """Epochs with an intact checkpoint file (for the one-line message of ``sample``/``eval``)."""
    good = set()
    for row in q.checkpoints(store, run_id):
        if artifact_exists(row.path):
            try:
                _check(store, row, full=False)
            except DamagedCheckpoint:
                continue
            good.add(row.epoch)
    return sorted(good)


def damaged_line(store: Store, run_id: int, exc: DamagedCheckpoint) -> str:
    """The one line ``sample``/``eval`` print for a damaged file: which, how, and the intact epochs."""
    good = intact_epochs(store, run_id)
    have = f"epochs with an intact checkpoint: {', '.join(map(str, good))}" if good else "no intact checkpoint is left"
    return f"run {run_id}: {exc}; {have}. The file was left in place (a worker resuming the run moves it aside)."
