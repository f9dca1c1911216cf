"""One error policy for every background worker of the UI.

Each screen reads the database or writes to it from thread workers. A worker's exception must never quit
the app (Textual's default, ``exit_on_error=True``): every worker is made by ``background`` (which sets
``exit_on_error=False``), and ``ReportsWorkerErrors`` — mixed into the app and every screen — turns the
failed worker's ``Worker.StateChanged`` (posted to the node that started it, not bubbled) into one line
shown on that screen. A ``UserError`` says what was wrong in its own words; anything else is named with
its type, secrets masked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import work
from textual.worker import Worker, WorkerState

from cgan_tui.errors import UserError
from cgan_tui.redact import redact

FIRST_ROWS_WAIT_S = 2.0
"""At most this long after the first frame the store opens (and the full read starts) even if the table
has shown no rows yet: the app's start-up jobs and the results reader both wait on it."""


def background(what: str, *, group: str, exclusive: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """``@work`` for a thread worker under the one policy; ``what`` names the job in its error line."""
    return work(thread=True, name=what, group=group, exclusive=exclusive, exit_on_error=False)


def start(node: Any, what: str, job: Callable[[], Any], *, group: str) -> Worker:
    """``background`` for a job whose name is known only when it starts (an action on one run)."""
    return node.run_worker(job, name=what, group=group, thread=True, exit_on_error=False)


def failure_line(what: str, error: BaseException | None) -> str:
    """``what: not done: <why>`` in one line, whatever was raised."""
    if isinstance(error, UserError):
        why = str(error)
    else:
        why = redact(f"{type(error).__name__}: {error}")
    return f"{what}: {why}" if what else why


def damaged_line(app: Any, error: BaseException | None) -> str | None:
    """The store's one line for a damaged database when ``error`` is one (SQLite "malformed", PostgreSQL
    XX001/XX002), else None; the store layer is imported only here, on a failed job."""
    if error is None or isinstance(error, UserError):
        return None
    try:
        from cgan_tui.store import guard

        if guard.classify(error) != guard.DAMAGED:
            return None
        return guard.damaged_message(app.services.store, redact(str(getattr(error, "orig", None) or error).splitlines()[0]))
    except Exception:  # noqa: BLE001 - classifying never hides the error itself
        return None


class ReportsWorkerErrors:
    """Mixin for the app and its screens: the one handler of a worker that raised."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        if getattr(self.app, "store_error", None) is not None:  # type: ignore[attr-defined]
            return  # the database is unusable and a full screen says so: later reads failing add nothing
        damage = damaged_line(self.app, event.worker.error)  # type: ignore[attr-defined]
        if damage is not None:  # a read that met damaged pages outside the guard: one screen, like the guard's
            from cgan_tui.ui import messages as msg

            self.app.post_message(msg.StoreFailed(damage))  # type: ignore[attr-defined]
            return
        self.show_error(failure_line(event.worker.name, event.worker.error))

    def show_error(self, line: str) -> None:
        """Show a failed job's line on this screen (a toast by default; forms override: their error line)."""
        self.app.notify(line, severity="error")  # type: ignore[attr-defined]
