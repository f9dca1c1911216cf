"""``Run.eval_pending``: the epochs whose evaluation started but was not stored (evaluation resumes).

The evaluation hook marks an epoch before it evaluates and clears it once the values are stored, so a
worker killed in between leaves the mark; the next worker evaluates those epochs before training on.
"""

from __future__ import annotations

from sqlmodel import Session

from cgan_tui.store.db import Store
from cgan_tui.store.queries.session import read, write
from cgan_tui.store.tables import Run


def parse_pending(text: str | None) -> list[int]:
    """``"2,3"`` -> ``[2, 3]`` (what the column holds; empty or NULL: none)."""
    return sorted({int(part) for part in (text or "").split(",") if part.strip().isdigit()})


def _format(epochs: set[int]) -> str | None:
    return ",".join(str(e) for e in sorted(epochs)) or None


def _change(store: Store, run_id: int, add: set[int], remove: set[int]) -> None:
    def apply(session: Session) -> None:
        run = session.get(Run, int(run_id))
        if run is not None:
            run.eval_pending = _format((set(parse_pending(run.eval_pending)) | add) - remove)
            session.add(run)

    write(store, apply, what="evaluation mark")


def eval_pending(store: Store, run_id: int) -> list[int]:
    """The run's epochs whose evaluation did not finish, oldest first."""

    def fetch(session: Session) -> str | None:
        run = session.get(Run, int(run_id))
        return run.eval_pending if run is not None else None

    return parse_pending(read(store, fetch))


def mark_eval_pending(store: Store, run_id: int, epoch: int) -> None:
    """Record that ``epoch`` is being evaluated (cleared by ``clear_eval_pending`` once stored)."""
    _change(store, run_id, {int(epoch)}, set())


def clear_eval_pending(store: Store, run_id: int, *epochs: int) -> None:
    """The values of ``epochs`` are stored, or those epochs are about to be retrained."""
    _change(store, run_id, set(), {int(e) for e in epochs})


def drop_note_lines(store: Store, run_id: int, prefix: str) -> None:
    """Remove the lines of ``Run.error`` that start with ``prefix`` (a note whose gap was filled)."""

    def apply(session: Session) -> None:
        run = session.get(Run, int(run_id))
        if run is not None and run.error:
            kept = [line for line in run.error.splitlines() if not line.startswith(prefix)]
            run.error = "\n".join(kept) or None
            session.add(run)

    write(store, apply)
