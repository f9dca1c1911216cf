"""Results: every model (run x evaluated epoch) in one sortable, filterable table. The start screen.

What the table shows is a function of the screen's reactive state (rows, sort keys, filter, backend,
hidden columns, marks, page): actions assign it and one watcher redraws. Reading is ``results_reader``'s
job, the text around the table ``results_text``'s.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from cgan_tui.errors import UserError
from cgan_tui.formatting import count
from cgan_tui.results import (
    SCORE_BACKEND_PREFERENCE,
    Column,
    ResultRow,
    archived_hidden,
    columns_for,
    default_backend,
    filter_rows,
    hidden_by_default,
    score_backends,
    sort_rows,
)
from cgan_tui.results.filtering import no_match_line, parse_filter
from cgan_tui.results.sample_n import reference_ns
from cgan_tui.safe_text import literal
from cgan_tui.scoring import PRESETS
from cgan_tui.ui import messages as msg
from cgan_tui.ui.background import ReportsWorkerErrors
from cgan_tui.ui.screens.results_actions import CLEANUP_BINDINGS, RunCleanup
from cgan_tui.ui.screens.results_reader import ReadsResults
from cgan_tui.ui.screens.results_text import (
    EMPTY_HINT,
    backend_note,
    detail_text,
    move_sort_keys,
    narrow_order,
    status_text,
    swap_backend,
)
from cgan_tui.ui.widgets.results_table import ResultsTable

BACKENDS = SCORE_BACKEND_PREFERENCE
"""The backends ``b`` cycles through first (then any other backend with values), in the one order."""
NARROW = 120
"""Below this width the columns a ranking needs come first: run, label, status, sort keys, combined."""
PRESET_NAMES = tuple(PRESETS)


class ResultsScreen(RunCleanup, ReadsResults, ReportsWorkerErrors, Screen):
    """Holds the full row list; sorting/filtering use ``cgan_tui.results``; the table shows one page."""

    BINDINGS = [
        Binding("f", "sort_key('fid')", "FID"),
        Binding("c", "sort_key('combined')", "Combined"),
        Binding("s", "sort_cursor", "Sort"),
        Binding("S", "sort_cursor(True)", "2nd sort", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("enter", "open", "Open", show=False),
        Binding("space", "mark", "Mark"),
        Binding("x", "clear_marks", "Clear marks", show=False),
        Binding("v", "compare", "Compare"),
        Binding("r", "rate", "Rate"),
        Binding("a", "aggregate", "Aggregate", show=False),
        Binding("k", "choose_columns", "Columns", show=False),
        Binding("b", "backend", "Backend", show=False),
        Binding("o", "preset", "Preset", show=False),
        Binding("O", "custom_weights", "Custom weights", show=False),
        Binding("right_square_bracket", "page(1)", "Next page", show=False),
        Binding("left_square_bracket", "page(-1)", "Prev page", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        *CLEANUP_BINDINGS,
    ]

    # the state the view is drawn from: assigning one redraws (``_redraw``); lists are replaced, never mutated
    rows: var[list[ResultRow]] = var(list, always_update=True, init=False)
    """Every model of the last read (a fresh read redraws even when equal: the empty hint needs ``loaded``)."""
    sort_keys: var[list[tuple[str, bool]]] = var(list, init=False)
    filter_text: var[str] = var("", init=False)
    backend: var[str] = var(BACKENDS[0], init=False)
    chosen_hidden: var[set[str] | None] = var(None, init=False)
    """Columns the user hid (k); None: those ``cgan_tui.results.hidden_by_default`` hides, as ``ls`` does."""
    marked: var[list[tuple[int, int]]] = var(list, init=False)
    page: var[int] = var(0, init=False)
    scoring: var[tuple[str, tuple[float, float] | None]] = var((PRESET_NAMES[0], None), init=False)
    """(preset, custom weights) the final score is computed with: changing it reads the results again."""

    def __init__(self) -> None:
        super().__init__()
        self.view: list[ResultRow] = []
        """The rows after filter and sort (every page); drawn from the state above, never set by actions."""
        self.references: dict[str, int | None] = {}
        self.status_counts: dict[str, int] = {}
        self.backend_chosen = False
        """False until the user switches (b): until then the backend follows where combined exists."""
        self.loaded = False
        self.archived_left_out = 0  # models the filter leaves out because their run is archived
        self.complete = False  # every model read (the first read shows a screenful before that)
        self._columns: list[Column] = []
        self._columns_key: tuple | None = None
        self._backends: tuple[int, list[str]] | None = None
        self._missing_weights: dict[str, list[tuple[str, str]]] = {}
        """Backend -> its weight files not usable here (file checks, cached until ctrl+r)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="results-status")
        yield Static("", id="results-note")  # why the chosen backend has no values (shown only then)
        yield Input(placeholder="filter: text and field:value (loss:hinge status:running emb:32) — enter to apply",
                    id="filter")
        yield Input(placeholder="custom final-score weights w1,w2 (quantitative, qualitative), e.g. 0.6,0.4 — enter",
                    id="weights")
        yield ResultsTable(id="results")
        yield Static("", id="results-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.table.focus()
        self.set_interval(self.app.services.poll_interval, self.poll)
        self.watch(self.app, "registries", self._plugins_ready)

    def _plugins_ready(self, registries) -> None:
        if registries is not None:  # the first read needs them (columns, metric specs)
            self.poll(force=True)

    @property
    def table(self) -> ResultsTable:
        return self.query_one("#results", ResultsTable)

    @property
    def preset(self) -> str:
        return self.scoring[0]

    @property
    def weights(self) -> tuple[float, float] | None:
        return self.scoring[1]

    def on_results_loaded(self, message: msg.ResultsLoaded) -> None:
        if self.complete and not message.complete:
            return  # a first screenful never replaces every model
        self.status_counts = message.status_counts
        self.loaded = True
        self.complete = message.complete
        self._columns_key = self._backends = None
        if not self.backend_chosen:  # follows the new rows: set without a redraw of the old ones
            self._set_backend(default_backend(message.rows), redraw=False)
        self.rows = message.rows
        self.call_after_refresh(self.app.first_rows_shown.set)

    # ------------------------------------------------------------------ view
    def _redraw(self) -> None:
        """The one place the view is drawn, called by the state's watchers (and a resize)."""
        if not self.is_mounted:
            return
        try:
            text, equals = parse_filter(self.filter_text)
        except UserError as exc:
            self.notify(str(exc), severity="error")
            text, equals = "", {}
        rows = filter_rows(self.rows, text, **equals)  # always: archived runs hide unless the filter asks
        self.archived_left_out = archived_hidden(self.rows, text, **equals)
        self.view = sort_rows(rows, self.sort_keys) if self.sort_keys else rows
        size = self.app.services.page_size
        pages = max(1, -(-len(self.view) // size))
        self.set_reactive(ResultsScreen.page, min(self.page, pages - 1))  # past the end: the last page
        page_rows = self.view[self.page * size:(self.page + 1) * size]
        columns = self.visible_columns()
        self.references = reference_ns(self.view, [c.key for c in columns])
        self.table.show(page_rows, columns, self.sort_keys, self.marked, self.references)
        note = backend_note(self.view, self.backend, self.missing_weights) if self.loaded else ""
        self.query_one("#results-note", Static).update(literal(note))
        self.query_one("#results-note", Static).display = bool(note)
        self.query_one("#results-status", Static).update(status_text(
            shown=len(self.view), total=len(self.rows), status_counts=self.status_counts, sort_keys=self.sort_keys,
            titles={c.key: c.title for c in self.all_columns()}, backend=self.backend, preset=self.preset,
            weights=self.weights, filter_text=self.filter_text, page=self.page, pages=pages, marked=len(self.marked),
            marked_hidden=len(self.hidden_marks()), archived_shown=sum(r.archived for r in self.view),
            archived_hidden=self.archived_left_out,
        ))  # fmt: skip
        self._update_detail()

    watch_rows = watch_sort_keys = watch_filter_text = watch_marked = watch_page = watch_chosen_hidden = _redraw

    def watch_backend(self) -> None:
        self._columns_key = None
        self._redraw()

    def watch_scoring(self) -> None:
        self.poll(force=True)

    def on_resize(self) -> None:
        if self.loaded:
            self._redraw()

    def all_columns(self) -> list[Column]:
        """Every column the rows have (cached per row list and backend: it scans every row)."""
        key = (id(self.rows), len(self.rows), self.backend)
        if self._columns_key != key:
            columns = columns_for(self.rows, self.app.registries)
            other = [b for b in self.backends() if b != self.backend]
            # only the chosen score backend's columns (b switches it); shared, training, rating ones stay
            self._columns = [c for c in columns if c.key.partition("@")[2] not in other]
            self._columns_key = key
        return self._columns

    @property
    def hidden(self) -> set[str]:
        """The column keys not shown: the user's choice (k), else the default ``ls`` shares."""
        if self.chosen_hidden is not None:
            return self.chosen_hidden
        return {c.key for c in self.all_columns() if hidden_by_default(c.key)}

    def visible_columns(self) -> list[Column]:
        hidden = self.hidden
        columns = [c for c in self.all_columns() if c.key not in hidden]
        if self.app.size.width >= NARROW:
            return columns
        return narrow_order(columns, [k for k, _ in self.sort_keys], self.backend)

    @on(DataTable.CellHighlighted)
    def _update_detail(self) -> None:
        detail = self.query_one("#results-detail", Static)
        if self.loaded and not self.rows:
            detail.update(EMPTY_HINT)
        elif self.loaded and not self.view:  # the filter matches none: said as ``ls`` says it
            detail.update(literal(no_match_line(self.filter_text, len(self.rows), self.archived_left_out)))
        else:
            detail.update(detail_text(self.table.current_row(), self.table.current_column(), self.references))

    # ------------------------------------------------------------------ sorting
    def set_sort(self, key: str, secondary: bool = False) -> None:
        """Primary: toggle direction if already primary, else make it primary (better values first).
        Secondary: append (or toggle) after the primary key."""
        better = {c.key: c.better for c in self.all_columns()}
        default_desc = better.get(key) == "higher"
        keys = list(self.sort_keys)
        existing = {k: d for k, d in keys}
        if secondary and keys and keys[0][0] != key:
            if key in existing:
                keys = [(k, (not d) if k == key else d) for k, d in keys]
            else:
                keys.append((key, default_desc))
        elif keys and keys[0][0] == key:
            keys[0] = (key, not keys[0][1])
        else:
            keys = [(key, default_desc)]
        self.sort_keys = keys[:3]
        self.page = 0  # a new order starts at its first page (redraws only when it was on another)

    def action_sort_key(self, name: str) -> None:
        key = f"{name}@{self.backend}"
        if key not in {c.key for c in self.all_columns()}:
            self.notify(f"no {name} values on backend {self.backend} for these models (the line above the "
                        "table says why); the sort is unchanged", severity="warning")  # fmt: skip
            return
        self.set_sort(key)

    def action_sort_cursor(self, secondary: bool = False) -> None:
        col = self.table.current_column()
        if col is not None:
            self.set_sort(col.key, secondary)

    @on(DataTable.HeaderSelected)
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        self.set_sort(str(event.column_key.value), secondary=self.table.last_click_shift)

    # ------------------------------------------------------------------ filter
    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.filter_text
        box.focus()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        try:
            parse_filter(event.value)
        except UserError as exc:
            self.notify(str(exc), severity="error")
            return
        event.input.display = False
        self.table.focus()
        self.filter_text = event.value.strip()
        self.page = 0

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#weights", Input).display = False
        self.table.focus()
        self.filter_text = ""

    # ------------------------------------------------------------------ other views
    def action_page(self, delta: int) -> None:
        self.page = max(0, self.page + delta)

    def action_reload(self) -> None:
        self._missing_weights = {}  # weights fetched meanwhile are seen
        self.poll(force=True)

    def missing_weights(self, backend: str | None = None) -> list[tuple[str, str]]:
        backend = backend or self.backend
        if backend not in self._missing_weights:
            self._missing_weights[backend] = self.app.services.missing_weights(backend)
        return self._missing_weights[backend]

    def backends(self) -> list[str]:
        """Score backends to switch among: inception and classifier, plus any a plugin brought."""
        if self._backends is None or self._backends[0] != id(self.rows):
            found = {b for row in self.rows for b in score_backends(row)}
            self._backends = (id(self.rows), [*BACKENDS, *sorted(found - set(BACKENDS))])
        return self._backends[1]

    def _set_backend(self, backend: str, redraw: bool = True) -> None:
        """The backend and the sort keys on its columns, in one redraw (none when ``redraw`` is False)."""
        self.set_reactive(ResultsScreen.sort_keys, [(swap_backend(k, backend), d) for k, d in self.sort_keys])
        self._columns_key = None
        if redraw:
            self.backend = backend
        else:
            self.set_reactive(ResultsScreen.backend, backend)

    def action_backend(self) -> None:
        """The next backend: its columns only, sorted by the same keys moved to it; a key it has no
        column for is dropped and the toast says what the table is sorted by now."""
        backends = self.backends()
        self.backend_chosen = True
        backend = backends[(backends.index(self.backend) + 1) % len(backends)]
        before = {c.key: c.title for c in self.all_columns()}
        self.set_reactive(ResultsScreen.backend, backend)
        self._columns_key = None
        keys, said = move_sort_keys(self.sort_keys, backend, backends, before, {c.key: c.title for c in self.all_columns()})
        self.set_reactive(ResultsScreen.sort_keys, keys)
        self._redraw()
        if said:
            self.notify(said)

    def action_preset(self) -> None:
        current = PRESET_NAMES.index(self.preset) if self.preset in PRESET_NAMES else -1
        self.scoring = (PRESET_NAMES[(current + 1) % len(PRESET_NAMES)], None)
        self.notify(f"final score preset: {self.preset} ({PRESETS[self.preset].description})")

    def action_custom_weights(self) -> None:
        box = self.query_one("#weights", Input)
        box.display = True
        box.focus()

    @on(Input.Submitted, "#weights")
    def _weights_submitted(self, event: Input.Submitted) -> None:
        from cgan_tui.scoring import resolve_weights

        try:
            parts = [float(p) for p in event.value.replace(" ", ",").split(",") if p]
            resolve_weights("custom", parts)  # same validation as the CLI's --weights
        except UserError as exc:
            self.notify(str(exc), severity="error")
            return
        except ValueError:
            self.notify(f"weights must be two numbers w1,w2, got {event.value!r}", severity="error")
            return
        event.input.display = False
        self.table.focus()
        self.scoring = ("custom", (parts[0], parts[1]))
        self.notify(f"final score: custom weights {parts[0]:g}/{parts[1]:g}")

    def hidden_marks(self) -> list[tuple[int, int]]:
        """Marked models the filter hides now: they stay marked, count and are compared (the status line says so)."""
        shown = {(r.run_id, r.epoch) for r in self.view}
        return [k for k in self.marked if k not in shown]

    def action_mark(self) -> None:
        row = self.table.current_row()
        if row is None:
            return
        key = (row.run_id, row.epoch)
        if key in self.marked:
            self.marked = [k for k in self.marked if k != key]
        elif len(self.marked) >= 4:
            hidden = len(self.hidden_marks())
            where = f", {hidden} of them hidden by the filter" if hidden else ""
            self.notify(f"compare takes at most 4 models and 4 are marked{where}; unmark one (space) or clear "
                        "the marks (x)", severity="warning")  # fmt: skip
        else:
            self.marked = [*self.marked, key]

    def action_clear_marks(self) -> None:
        if self.marked:
            self.notify(f"cleared {count(len(self.marked), 'mark')}")
        self.marked = []

    def action_open(self) -> None:
        row = self.table.current_row()
        if row is None:
            return
        from cgan_tui.ui.screens.detail import RunDetailScreen

        self.app.push_screen(RunDetailScreen(row.run_id, row.epoch))

    @on(DataTable.CellSelected)
    def _cell_selected(self) -> None:
        self.action_open()

    def action_compare(self) -> None:
        if not 2 <= len(self.marked) <= 4:
            self.notify("mark 2 to 4 models with space, then press v to compare", severity="warning")
            return
        by_key = {(r.run_id, r.epoch): r for r in self.rows}
        chosen = [by_key[k] for k in self.marked if k in by_key]
        from cgan_tui.ui.screens.compare import CompareScreen

        self.app.push_screen(CompareScreen(chosen, self.backend, self.rows, hidden=self.hidden))

    def action_rate(self) -> None:
        row = self.table.current_row()
        if row is None:
            return
        from cgan_tui.ui.screens.rate import RateScreen

        self.app.push_screen(RateScreen(row.run_id, row.epoch, row.label), lambda _=None: self.poll(force=True))

    def action_aggregate(self) -> None:
        from cgan_tui.ui.screens.aggregate import AggregateScreen

        self.app.push_screen(AggregateScreen(self.view, self.all_columns(), self.backend))

    def action_choose_columns(self) -> None:
        from cgan_tui.ui.screens.columns import ColumnsScreen

        def apply(hidden: set[str] | None) -> None:
            if hidden is not None:
                self.chosen_hidden = hidden

        self.app.push_screen(ColumnsScreen(self.all_columns(), self.hidden), apply)

    def on_screen_resume(self) -> None:
        self.poll(force=True)
