"""Queue: queued and running runs with live progress; start/stop local workers, cancel, reprioritise,
requeue, and the new run / load grid forms."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from cgan_tui.formatting import count, format_eta
from cgan_tui.safe_text import literal, one_line
from cgan_tui.styles import run_status_style
from cgan_tui.ui import messages as msg
from cgan_tui.ui.background import ReportsWorkerErrors, background, start
from cgan_tui.ui.widgets.run_progress import RunProgress, progress_text


def text_bar(fraction: float, width: int = 12) -> str:
    filled = round(fraction * width)
    return "█" * filled + "░" * (width - filled)


class QueueScreen(ReportsWorkerErrors, Screen):
    """Polls ``runner.queue.queue_rows``; actions run in thread workers and report one line each."""

    BINDINGS = [
        Binding("n", "new_run", "New run"),
        Binding("g", "load_grid", "Load grid"),
        Binding("w", "start_workers", "Start worker"),
        Binding("W", "stop_workers", "Stop workers"),
        Binding("x", "cancel", "Cancel"),
        Binding("plus,equals_sign", "priority(1)", "Prio +", show=False),
        Binding("minus", "priority(-1)", "Prio -", show=False),
        Binding("u", "requeue", "Requeue id", show=False),
        Binding("escape", "app.show_mode('results')", "Back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list = []
        self.n_workers = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("queue: loading…", id="queue-status")
        yield VerticalScroll(id="running")
        yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield Input(placeholder="run id to requeue (failed, diverged or cancelled) — enter", id="requeue-id")
        yield Static("", id="queue-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, key in (("run", "id"), ("label", "label"), ("model", "model"), ("status", "status"),
                           ("prio", "priority"), ("progress", "bar"), ("epoch", "epoch"), ("img/s", "speed"),
                           ("ETA", "eta"), ("worker", "worker"), ("tries", "attempts")):
            table.add_column(label, key=key)
        self.query_one("#requeue-id", Input).display = False
        table.focus()
        self.poll()
        self.set_interval(self.app.services.poll_interval, self.poll)

    def on_screen_resume(self) -> None:
        self.poll()

    # ------------------------------------------------------------------ polling
    def poll(self) -> None:
        if self.app.store_error is None and self.is_current:
            self._load()

    @background("reading the queue", exclusive=True, group="queue-load")
    def _load(self) -> None:
        services = self.app.services
        self.post_message(msg.QueueLoaded(services.queue_rows(), services.workers_running))

    def on_queue_loaded(self, message: msg.QueueLoaded) -> None:
        followed = self.current_id()  # read before the rows change: the cursor follows the run, not the row number
        self.rows = message.rows
        self.n_workers = message.workers
        self._draw_running()
        self._draw_table(followed)
        running = sum(1 for r in self.rows if r.status == "running")
        queued = len(self.rows) - running
        self.query_one("#queue-status", Static).update(
            f"{running} running · {queued} queued · local workers started here: {self.n_workers} "
            "(w start, W stop; `cgan-tui worker` runs more elsewhere)"
        )

    def _draw_running(self) -> None:
        box = self.query_one("#running", VerticalScroll)
        running = [r for r in self.rows if r.status == "running"]
        existing = {w.row.id: w for w in box.query(RunProgress)}
        for run_id, widget in existing.items():
            if run_id not in {r.id for r in running}:
                widget.remove()
        for row in running:
            if row.id in existing:
                existing[row.id].update_row(row)
            else:
                box.mount(RunProgress(row, id=f"progress-{row.id}"))
        box.display = bool(running)

    def _draw_table(self, old: int | None) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for row in self.rows:
            table.add_row(
                str(row.id), literal(one_line(row.label)), literal(one_line(row.model)),
                Text(row.shown_status + (" (cancelling)" if row.cancel_requested else "")
                     + (f" (eval e{','.join(map(str, row.eval_pending))} pending)" if row.eval_pending else ""),
                     style=run_status_style(row.status)),  # fmt: skip
                str(row.priority), text_bar(row.fraction), f"{row.current_epoch}/{row.epochs}",
                f"{row.images_per_s:.0f}" if row.images_per_s else "—", format_eta(row.eta_s),
                literal(one_line(row.worker_id or "—")), str(row.attempts),
                key=str(row.id),
            )  # fmt: skip
        if old is not None:
            ids = [r.id for r in self.rows]
            if old in ids:
                table.move_cursor(row=ids.index(old), animate=False)
        if not self.rows:
            self.query_one("#queue-detail", Static).update(
                "queue empty: n new run or grid, g load grids/*.toml (seed study in one action)"
            )

    def current_row(self):
        table = self.query_one(DataTable)
        index = table.cursor_coordinate.row
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def current_id(self) -> int | None:
        row = self.current_row()
        return None if row is None else row.id

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        row = self.current_row()
        if row is not None:
            self.query_one("#queue-detail", Static).update(literal(f"run {row.id} {row.label}: {progress_text(row)}"))

    # ------------------------------------------------------------------ actions
    def _act(self, description: str, fn, *args, done: str | None = None) -> None:
        """Run one action; it either reports ``done`` (default: the description) with its result or, in
        one line (the worker error policy), that it was not done and why."""
        done = done or description

        def job() -> None:
            result = fn(*args)
            self.post_message(msg.Notice(done if result is None else f"{done}: {result}"))
            self.app.call_from_thread(self.poll)

        start(self, f"{description}: not done", job, group="queue-action")

    def action_start_workers(self) -> None:
        kind = self.app.services.executor
        self._act(f"start a {kind} worker", self.app.services.start_workers, 1, done=f"started a {kind} worker; alive")

    def action_stop_workers(self) -> None:
        kind = self.app.services.executor
        self._act(f"stop {kind} workers", self.app.services.stop_workers,
                  done=f"stopped {kind} workers (their runs return to the queue)")

    def action_cancel(self) -> None:
        row = self.current_row()
        if row is None:
            return
        if row.status != "running":
            self._cancel(row.id, True)
            return
        from cgan_tui.ui.screens.confirm import ConfirmScreen

        question = (f"Run {row.id} ({one_line(row.label)}) is running, epoch {row.current_epoch}/{row.epochs}. "
                    "Cancel it? Its finished epochs stay stored.")  # fmt: skip
        self.app.push_screen(ConfirmScreen(question, yes="Cancel the run", no="Keep it"),
                             lambda yes, run_id=row.id: self._cancel(run_id, yes))  # fmt: skip

    def _cancel(self, run_id: int, yes: bool | None) -> None:
        if yes:
            self._act(f"cancel run {run_id}", self.app.services.cancel, run_id)
        else:
            self.notify(f"run {run_id} not cancelled; it goes on")

    def action_priority(self, delta: int) -> None:
        row = self.current_row()
        if row is not None:
            self._act(f"run {row.id} priority {row.priority + delta}", self.app.services.reprioritise,
                      row.id, row.priority + delta)

    def action_requeue(self) -> None:
        """Asks for the run id (the highlighted run's prefilled); only a failed, diverged or cancelled run
        is requeued: any other is refused with the reason (``runner.queue.requeue``)."""
        box = self.query_one("#requeue-id", Input)
        box.display = True
        box.value = "" if self.current_id() is None else str(self.current_id())
        box.focus()

    @on(Input.Submitted, "#requeue-id")
    def _requeue_submitted(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.query_one(DataTable).focus()
        try:
            run_id = int(event.value.strip())
        except ValueError:
            self.notify(f"requeue needs a run id (a number), got {event.value!r}", severity="error")
            return
        self._act(f"requeue run {run_id}", self.app.services.requeue, run_id, done=f"run {run_id} requeued")

    def action_new_run(self) -> None:
        from cgan_tui.ui.screens.new_run import NewRunScreen

        self.app.push_screen(NewRunScreen(), lambda ids: self._enqueued(ids))

    def action_load_grid(self) -> None:
        from cgan_tui.ui.screens.grid_picker import GridPickerScreen

        self.app.push_screen(GridPickerScreen(), lambda ids: self._enqueued(ids))

    def _enqueued(self, ids: list[int] | None) -> None:
        if ids:
            self.notify(f"queued {count(len(ids), 'run')}: {', '.join(map(str, ids[:8]))}{' …' if len(ids) > 8 else ''}")
            self.poll()
