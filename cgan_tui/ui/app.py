"""The cgan-tui Textual application: a thin shell that switches screens and owns the services.

It never imports torch: every screen reads the database through ``Services`` from thread workers
and posts the results back as messages, so the UI thread only draws.
"""

from __future__ import annotations

import threading
from collections import deque
from pathlib import Path
from typing import Any

from textual.app import App
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen

from cgan_tui.errors import UserError
from cgan_tui.formatting import count
from cgan_tui.safe_text import visible
from cgan_tui.ui import messages as msg
from cgan_tui.ui.background import FIRST_ROWS_WAIT_S, ReportsWorkerErrors, background
from cgan_tui.ui.services import Services

GONE_HINT = (
    "Rows written before it went away are in that file (if it still exists); nothing was written after. "
    "Quit and start cgan-tui again to use the database now at that path."
)


NOTICE_HISTORY = 200
"""How many toasts ``CganApp.notices`` keeps."""


def _results() -> Screen:
    from cgan_tui.ui.screens.results import ResultsScreen  # imports this module: imported when first shown

    return ResultsScreen()


def _queue() -> Screen:
    from cgan_tui.ui.screens.queue import QueueScreen

    return QueueScreen()


def _plugins() -> Screen:
    from cgan_tui.ui.screens.plugins import PluginsScreen

    return PluginsScreen()


class CganApp(ReportsWorkerErrors, App):
    """Results (start), Queue and Plugins are modes, each with its own screen stack (Textual's ``MODES``);
    detail/compare/rate/forms are pushed on top of the mode they were opened from."""

    TITLE = "cgan-tui"
    CSS_PATH = Path(__file__).with_name("app.tcss")
    ENABLE_COMMAND_PALETTE = False
    MODES = {"results": _results, "queue": _queue, "plugins": _plugins}
    DEFAULT_MODE = "results"
    BINDINGS = [
        Binding("1", "show_mode('results')", "Results", show=False),
        Binding("2", "show_mode('queue')", "Queue", show=False),
        Binding("3", "show_mode('plugins')", "Plugins", show=False),
        Binding("question_mark,f1", "toggle_help", "Help"),
        Binding("q", "quit", "Quit", show=False),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    registries: var[Any] = var(None, init=False)
    """The plugin registries, loaded in a thread at start-up; screens ``watch`` it to fill in when ready."""

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.store_error: str | None = None
        self.first_rows_shown = threading.Event()
        """Set once the results table shows its first rows, or cannot show them before the store is open."""
        self.notices: deque[tuple[str, str]] = deque(maxlen=NOTICE_HISTORY)
        """(severity, message) of every toast, newest last, kept after the toast disappears."""

    def notify(self, message: str, **options) -> None:
        """A toast, also kept in ``notices``: Textual delivers it as a message a moment later and drops it
        after its timeout (5 s), so what was said is read from here (tests, error reports), not the screen.
        Toasts carry user text (names, stored errors, plugin messages): never read as markup (``safe_text``)."""
        message = visible(message)
        self.notices.append((str(options.get("severity", "information")), message))
        super().notify(message, **{**options, "markup": False})

    def on_mount(self) -> None:
        self.sub_title = "opening database…"
        self.set_interval(self.services.poll_interval, self._watch_store_file)

    def _watch_store_file(self) -> None:
        """A database deleted or replaced under the app: say so once, full screen, and stop polling."""
        if self.store_error is not None:
            return
        gone = self.services.store_gone()
        if gone is not None:
            from cgan_tui.ui.screens.message import MessageScreen

            self.store_error = gone
            self.push_screen(MessageScreen(gone, title="the database went away", hint=GONE_HINT))

    def on_ready(self) -> None:
        # Started after the first frame: importing the database layer and the plugins in a thread
        # still competes with the UI thread for the GIL, so the first paint does not wait for it.
        self._open_store()
        self._load_plugins()

    # ------------------------------------------------------------------ background start-up
    @background("opening the database", exclusive=True, group="open-store")
    def _open_store(self) -> None:
        # Importing the database layer (SQLAlchemy, SQLModel: ~1 s of CPU on 2 cores) would share the
        # GIL with the plugins, the first screenful's read (done without it) and its drawing: let those
        # go first. The wait is bounded: the store always opens (and reports a bad database) soon.
        self.first_rows_shown.wait(FIRST_ROWS_WAIT_S)
        try:
            from cgan_tui.ui.services import import_store_layer

            import_store_layer()  # in a thread (the first frame never waits for it), never beside another
            from cgan_tui.store import guard

            # a write waiting for another process's lock says so on screen, not on the hidden stderr
            self._previous_reporter = guard.set_reporter(lambda line: self.post_message(msg.Notice(line, "warning")))
            # a damaged database found by any read (a poll in any thread): one screen, not a toast per poll
            self._previous_damage = guard.set_damage_listener(lambda line: self.post_message(msg.StoreFailed(line)))
            self.services.connect()
            self.call_from_thread(setattr, self, "sub_title", self.services.display_name)
        except UserError as exc:
            self.post_message(msg.StoreFailed(str(exc)))
        except Exception as exc:  # noqa: BLE001 - never crash on a bad database
            from cgan_tui.redact import redact

            self.post_message(msg.StoreFailed(redact(f"cannot open database: {type(exc).__name__}: {exc}")))

    @background("loading plugins", exclusive=True, group="plugins")
    def _load_plugins(self) -> None:
        try:
            registries = self.services.registries()
        except Exception as exc:  # noqa: BLE001
            self.post_message(msg.Notice(f"plugins failed to load: {exc}", "error"))
            return
        from cgan_tui.ui.services import DISCOVERY_FAILED

        failed = [p for p in registries.plugins if p.name == DISCOVERY_FAILED]
        if failed:
            self.post_message(msg.Notice(failed[0].error, "error"))
        self.post_message(msg.PluginsLoaded(registries))

    def on_store_failed(self, message: msg.StoreFailed) -> None:
        from cgan_tui.ui.screens.message import MessageScreen

        if self.store_error is not None:  # said already, full screen: reads that fail after it add nothing
            return
        self.store_error = message.error
        self.push_screen(MessageScreen(message.error))

    def on_plugins_loaded(self, message: msg.PluginsLoaded) -> None:
        self.registries = message.registries

    def on_notice(self, message: msg.Notice) -> None:
        if self.store_error is not None and message.text == self.store_error:
            return  # the screen says it; a poll that failed the same way is no news
        self.notify(message.text, severity=message.severity)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ navigation
    def action_show_mode(self, mode: str) -> None:
        """Switch among the three top-level screens; each keeps its state and the screens opened on it."""
        if self.store_error is None:
            self.switch_mode(mode)

    def action_toggle_help(self) -> None:
        """The help panel: every key of the current screen (the footer shows those that fit)."""
        from cgan_tui.ui.screens.help import HelpScreen, screen_keys, screen_title

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
        else:
            self.push_screen(HelpScreen(screen_title(self.screen), screen_keys(self.screen)))

    # ------------------------------------------------------------------ quitting
    async def action_quit(self) -> None:
        """Quit at once, unless local workers this app started are training: then ask (y: stop them, their
        runs go back to the queue and restart from their last checkpoint; n: leave them running; esc: stay)."""
        from cgan_tui.ui.screens.confirm import ConfirmScreen, quit_question

        workers = self.services.workers_running
        if not workers:
            self.exit()
            return
        if isinstance(self.screen, ConfirmScreen) and self.screen.id == "quit-question":
            return  # asked already
        question, yes, no, stay = quit_question(workers)
        screen = ConfirmScreen(question, yes=yes, no=no, stay=stay)
        screen.id = "quit-question"
        self.push_screen(screen, self._quit_answer)

    def _quit_answer(self, answer: bool | None) -> None:
        if answer is None:
            self.notify("not quit: the local workers go on")
        elif answer:
            self.notify(f"stopping {count(self.services.workers_running, 'local worker')}…")
            self._stop_workers_and_exit()
        else:
            try:
                self.services.detach_workers()
            except UserError as exc:
                self.notify(f"not quit: {exc}", severity="error")
                return
            self.exit()

    @background("stopping the local workers", exclusive=True, group="quit")
    def _stop_workers_and_exit(self) -> None:
        self.services.stop_workers()  # SIGTERM: each puts its run back in the queue (bounded wait)
        self.call_from_thread(self.exit)

    def on_unmount(self) -> None:
        if hasattr(self, "_previous_reporter"):
            from cgan_tui.store import guard

            guard.set_reporter(self._previous_reporter)
            guard.set_damage_listener(getattr(self, "_previous_damage", None))
        self.services.close()
