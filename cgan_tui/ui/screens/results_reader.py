"""Reading the results model for the results screen: polls, one read at a time, the first screenful first.

A mixin of ``ResultsScreen``: the reads run in thread workers under the UI's one error policy
(``cgan_tui.ui.background``) and post ``ResultsLoaded``; the screen's reactive state does the rest.
"""

from __future__ import annotations

from cgan_tui.ui import messages as msg
from cgan_tui.ui.background import FIRST_ROWS_WAIT_S, background


class ReadsResults:
    """Needs ``preset`` and ``weights`` (what the final score is computed with) on the screen."""

    _token: tuple | None = None
    """The store's change token at the last full read: an unchanged database is not read again."""
    _loading = False
    _pending = False
    _first_read = False

    def poll(self, force: bool = False) -> None:
        app = self.app  # type: ignore[attr-defined]
        if app.registries is None or app.store_error is not None:
            return
        if not force and not self.is_current:  # type: ignore[attr-defined]
            return
        if self._loading:  # one read at a time; a forced one is remembered and runs next
            self._pending = self._pending or force
            return
        self._loading = True
        self._load(force)

    def _load_done(self) -> None:
        self._loading = False
        if self._pending:
            self._pending = False
            self.poll(force=True)

    @background("reading results", group="results-load")
    def _load(self, force: bool) -> None:
        try:
            self._read(force)
        finally:
            self.app.call_from_thread(self._load_done)  # type: ignore[attr-defined]

    def _read(self, force: bool) -> None:
        app = self.app  # type: ignore[attr-defined]
        services = app.services
        preset, weights = self.preset, self.weights  # type: ignore[attr-defined]
        if not self._first_read:  # the first read: a screenful first, so the table fills at once
            self._first_read = True  # (read threads only, one at a time: not ``loaded``, which the UI
            # thread sets later; a second read must not post a first screenful after the full one)
            size = services.page_size // 2
            first = services.quick_results(preset, weights, size)  # a SQLite file: no SQLAlchemy
            if first is None:  # through the store (PostgreSQL, a new or older file): as fast as it can
                app.first_rows_shown.set()  # the store is needed now
                rows = services.results(preset=preset, weights=weights, limit_runs=size)
                first = rows, services.status_counts()
            self.post_message(msg.ResultsLoaded(first[0], first[1], complete=False))  # type: ignore[attr-defined]
            # the full read (and the database layer's import) waits until these rows are drawn
            app.first_rows_shown.wait(FIRST_ROWS_WAIT_S)
        token = services.change_token()  # connects on first use
        if not force and token == self._token:
            return
        counts = services.status_counts()
        rows = services.results(preset=preset, weights=weights)
        self._token = token
        self.post_message(msg.ResultsLoaded(rows, counts))  # type: ignore[attr-defined]
