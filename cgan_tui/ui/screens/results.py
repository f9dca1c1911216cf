"""Results: every model (run x evaluated epoch) in one sortable, filterable table. The start screen."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from cgan_tui.errors import UserError
from cgan_tui.formatting import OTHER_N_MARK, compact_n, missing_text
from cgan_tui.results import (
    Column,
    ResultRow,
    columns_for,
    default_backend,
    filter_rows,
    hidden_by_default,
    missing_hint,
    score_backends,
    sort_rows,
)
from cgan_tui.results.filtering import parse_filter
from cgan_tui.results.sample_n import reference_ns
from cgan_tui.safe_text import literal
from cgan_tui.scoring import PRESETS
from cgan_tui.ui import messages as msg
from cgan_tui.ui.app import FIRST_ROWS_WAIT_S
from cgan_tui.ui.widgets.results_table import ResultsTable

BACKENDS = ("inception", "classifier")
NARROW = 120
"""Below this width the columns a ranking needs come first: run, label, status, sort keys, combined."""
PRESET_NAMES = tuple(PRESETS)
EMPTY_HINT = (
    "No runs yet. Press 2 for the queue, then n for a new run or g to load a grid "
    "(grids/seed000.toml is the 24-model study), and w to start a local worker."
)


class ResultsScreen(Screen):
    """Holds the full row list; sorting/filtering use ``cgan_tui.results``; the table shows one page."""

    BINDINGS = [
        Binding("f", "sort_key('fid')", "FID"),
        Binding("c", "sort_key('combined')", "Combined"),
        Binding("s", "sort_cursor", "Sort"),
        Binding("S", "sort_cursor(True)", "2nd sort", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("enter", "open", "Open", show=False),
        Binding("space", "mark", "Mark"),
        Binding("v", "compare", "Compare"),
        Binding("r", "rate", "Rate"),
        Binding("a", "aggregate", "Aggregate"),
        Binding("k", "choose_columns", "Columns"),
        Binding("b", "backend", "Backend"),
        Binding("o", "preset", "Preset"),
        Binding("O", "custom_weights", "Custom weights", show=False),
        Binding("right_square_bracket", "page(1)", "Next page", show=False),
        Binding("left_square_bracket", "page(-1)", "Prev page", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[ResultRow] = []
        self.view: list[ResultRow] = []
        self.sort_keys: list[tuple[str, bool]] = []
        self.filter_text = ""
        self.backend = BACKENDS[0]
        self.backend_chosen = False
        """False until the user switches (b): until then the backend follows where combined exists."""
        self.preset = PRESET_NAMES[0]
        self.weights: tuple[float, float] | None = None
        self.chosen_hidden: set[str] | None = None
        """Columns the user hid (k); None: those ``cgan_tui.results.hidden_by_default`` hides, as ``ls`` does."""
        self.marked: list[tuple[int, int]] = []
        self.page = 0
        self.loaded = False
        self.complete = False  # every model read (the first read shows a screenful before that)
        self._token: tuple | None = None
        self._loading = False
        self._pending = False
        self._first_read = False
        self._columns: list[Column] = []
        self._columns_key: tuple | None = None
        self._backends: tuple[int, list[str]] | None = None
        self.status_counts: dict[str, int] = {}
        self.references: dict[str, int | None] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("loading…", id="results-status")
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
        self.app.when_plugins(lambda _r: self.poll(force=True))

    # ------------------------------------------------------------------ data
    @property
    def table(self) -> ResultsTable:
        return self.query_one("#results", ResultsTable)

    def poll(self, force: bool = False) -> None:
        if self.app.registries is None or self.app.store_error is not None:
            return
        if not force and not self.is_current:
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

    @work(thread=True, group="results-load")
    def _load(self, force: bool) -> None:
        try:
            self._read(force)
        finally:
            self.app.call_from_thread(self._load_done)

    def _read(self, force: bool) -> None:
        services = self.app.services
        try:
            if not self._first_read:  # the first read: a screenful first, so the table fills at once
                self._first_read = True  # (read threads only, one at a time: not ``loaded``, which the UI
                # thread sets later; a second read must not post a first screenful after the full one)
                size = services.page_size // 2
                first = services.quick_results(self.preset, self.weights, size)  # a SQLite file: no SQLAlchemy
                if first is None:  # through the store (PostgreSQL, a new or older file): as fast as it can
                    self.app.first_rows_shown.set()  # the store is needed now
                    rows = services.results(preset=self.preset, weights=self.weights, limit_runs=size)
                    first = rows, services.status_counts()
                self.post_message(msg.ResultsLoaded(first[0], first[1], complete=False))
                # the full read (and the database layer's import) waits until these rows are drawn
                self.app.first_rows_shown.wait(FIRST_ROWS_WAIT_S)
            token = services.change_token()  # connects on first use
            if not force and token == self._token:
                return
            counts = services.status_counts()
            rows = services.results(preset=self.preset, weights=self.weights)
        except UserError as exc:
            self.post_message(msg.Notice(str(exc), "error"))
            return
        except Exception as exc:  # noqa: BLE001 - a failed poll must not kill the app
            self.post_message(msg.Notice(f"reading results failed: {type(exc).__name__}: {exc}", "warning"))
            return
        self._token = token
        self.post_message(msg.ResultsLoaded(rows, counts))

    def on_results_loaded(self, message: msg.ResultsLoaded) -> None:
        if self.complete and not message.complete:
            return  # a first screenful never replaces every model
        self.rows = message.rows
        self._columns_key = self._backends = None
        if not self.backend_chosen:
            self._switch_backend(default_backend(self.rows))
        self.status_counts = message.status_counts
        self.loaded = True
        self.complete = message.complete
        self.refresh_view()
        self.call_after_refresh(self.app.first_rows_shown.set)

    # ------------------------------------------------------------------ view
    def all_columns(self) -> list[Column]:
        """Every column the rows have (cached per row list and backend: it scans every row)."""
        key = (id(self.rows), len(self.rows), self.backend)
        if self._columns_key != key:
            self._columns = self._compute_columns()
            self._columns_key = key
        return self._columns

    def _compute_columns(self) -> list[Column]:
        columns = columns_for(self.rows, self.app.registries)
        other = [b for b in self.backends() if b != self.backend]
        # combined/final show only for the chosen backend (b switches it)
        return [
            c for c in columns
            if not (c.key.partition("@")[0] in ("combined", "final") and c.key.partition("@")[2] in other)
        ]

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

    def refresh_view(self) -> None:
        try:
            text, equals = parse_filter(self.filter_text)
        except UserError as exc:
            self.notify(str(exc), severity="error")
            text, equals = "", {}
        rows = filter_rows(self.rows, text, **equals) if (text or equals) else self.rows
        self.view = sort_rows(rows, self.sort_keys) if self.sort_keys else rows
        size = self.app.services.page_size
        pages = max(1, -(-len(self.view) // size))
        self.page = min(self.page, pages - 1)
        page_rows = self.view[self.page * size:(self.page + 1) * size]
        columns = self.visible_columns()
        self.references = reference_ns(self.view, [c.key for c in columns])
        self.table.show(page_rows, columns, self.sort_keys, self.marked, self.references)
        self._update_status(pages)
        self._update_detail()

    def _update_status(self, pages: int) -> None:
        titles = {c.key: c.title for c in self.all_columns()}
        sort = ", ".join(f"{titles.get(k, k)} {'▼' if d else '▲'}" for k, d in self.sort_keys) or "run id"
        counts = " ".join(f"{k}:{v}" for k, v in sorted(self.status_counts.items())) or "no runs"
        parts = [
            f"{len(self.view)}/{len(self.rows)} models",
            f"runs {counts}",
            f"sort {sort}",
            f"backend {self.backend}",
            f"preset {self.preset}" + (f" {self.weights[0]:g}/{self.weights[1]:g}" if self.weights else ""),
        ]
        if self.filter_text:
            parts.append(f"filter '{self.filter_text}'")
        if pages > 1:
            parts.append(f"page {self.page + 1}/{pages} ([ ])")
        if self.marked:
            parts.append(f"marked {len(self.marked)}")
        self.query_one("#results-status", Static).update(literal(" │ ".join(parts)))

    def _update_detail(self) -> None:
        detail = self.query_one("#results-detail", Static)
        if self.loaded and not self.rows:
            detail.update(EMPTY_HINT)
            return
        row, col = self.table.current_row(), self.table.current_column()
        if row is None or col is None:
            detail.update("")
            return
        value = row.get(col.key)
        where = f"run {row.run_id} epoch {row.epoch} ({row.label}) · {col.title}"
        if value is None and col.kind == "number" and col.key not in ("run_id", "epoch", "embed_dim"):
            detail.update(literal(f"{where}: missing ({missing_text(row, col.key)}) — {missing_hint(row, col.key)}"))
        else:
            n = row.n_samples.get(col.key)
            reference = self.references.get(col.key)
            extra = f" (n={n})" if n else ""
            if n and reference and n != reference:
                extra += (f" {OTHER_N_MARK} most models have n={compact_n(reference)}: "
                          "not comparable, sorted after them")  # fmt: skip
            error = f" · error: {row.error}" if row.error and col.key == "status" else ""
            detail.update(literal(f"{where}: {value}{extra}{error}"))

    @on(DataTable.CellHighlighted)
    def _cell_highlighted(self) -> None:
        self._update_detail()

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
        self.page = 0
        self.refresh_view()

    def action_sort_key(self, name: str) -> None:
        key = f"{name}@{self.backend}"
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
        self.filter_text = event.value.strip()
        event.input.display = False
        self.page = 0
        self.table.focus()
        self.refresh_view()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = False
        self.query_one("#weights", Input).display = False
        self.table.focus()
        if self.filter_text:
            self.filter_text = ""
            self.refresh_view()

    # ------------------------------------------------------------------ other views
    def action_page(self, delta: int) -> None:
        self.page = max(0, self.page + delta)
        self.refresh_view()

    def action_reload(self) -> None:
        self.poll(force=True)

    def backends(self) -> list[str]:
        """Score backends to switch among: inception and classifier, plus any a plugin brought."""
        if self._backends is None or self._backends[0] != id(self.rows):
            found = {b for row in self.rows for b in score_backends(row)}
            self._backends = (id(self.rows), [*BACKENDS, *sorted(found - set(BACKENDS))])
        return self._backends[1]

    def _switch_backend(self, backend: str) -> None:
        self.backend = backend
        self._columns_key = None
        self.sort_keys = [(_swap_backend(k, backend), d) for k, d in self.sort_keys]

    def action_backend(self) -> None:
        backends = self.backends()
        self.backend_chosen = True
        self._switch_backend(backends[(backends.index(self.backend) + 1) % len(backends)])
        self.refresh_view()

    def action_preset(self) -> None:
        current = PRESET_NAMES.index(self.preset) if self.preset in PRESET_NAMES else -1
        self.preset = PRESET_NAMES[(current + 1) % len(PRESET_NAMES)]
        self.weights = None
        self.notify(f"final score preset: {self.preset} ({PRESETS[self.preset].description})")
        self.poll(force=True)

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
        self.preset, self.weights = "custom", (parts[0], parts[1])
        self.notify(f"final score: custom weights {parts[0]:g}/{parts[1]:g}")
        self.poll(force=True)

    def action_mark(self) -> None:
        row = self.table.current_row()
        if row is None:
            return
        key = (row.run_id, row.epoch)
        if key in self.marked:
            self.marked.remove(key)
        elif len(self.marked) >= 4:
            self.notify("compare takes at most 4 models; unmark one first (space)", severity="warning")
            return
        else:
            self.marked.append(key)
        self.refresh_view()

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
                self.refresh_view()

        self.app.push_screen(ColumnsScreen(self.all_columns(), self.hidden), apply)

    def on_screen_resume(self) -> None:
        self.poll(force=True)

    def on_resize(self) -> None:
        if self.loaded:
            self.refresh_view()


def narrow_order(columns: list[Column], sort_keys: list[str], backend: str) -> list[Column]:
    """Columns for a narrow terminal: run, label, status, the sort keys and the combined score first
    (run and label stay fixed when scrolling right), then the rest in their usual order."""
    first = ["run_id", "label", "status", *sort_keys, f"combined@{backend}"]
    by_key = {c.key: c for c in columns}
    head = [by_key[k] for k in dict.fromkeys(first) if k in by_key]
    return head + [c for c in columns if c not in head]


def _swap_backend(key: str, backend: str) -> str:
    name, _, old = key.partition("@")
    if old and name in ("combined", "final", "fid", "is"):
        return f"{name}@{backend}"
    return key
