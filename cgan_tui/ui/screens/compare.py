"""Compare 2-4 models: sample grids side by side at one epoch, a metrics table with the best marked,
and their loss curves overlaid.

One epoch at a time: the slider's epoch is the grids' epoch, the metrics' epoch (each run's model at
that epoch, ``—`` where it has none) and the title's; it starts at the first marked model's epoch.

80x24 first: the screen opens at its top (title, captions, grids, slider), the metrics table below fits
the terminal's width with every marked model as a column (long cells wrap inside the column, never
scroll by character), and PageUp/PageDown/Home/End scroll the screen, whatever has focus."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from cgan_tui import stats
from cgan_tui.formatting import N_SEPARATOR, cell_text
from cgan_tui.grid_tiles import GridImage
from cgan_tui.results import ResultRow, columns_for, hidden_by_default
from cgan_tui.results.config_diff import config_diff
from cgan_tui.results.sample_n import reference_ns
from cgan_tui.safe_text import literal, one_line
from cgan_tui.ui.background import ReportsWorkerErrors, background
from cgan_tui.ui.curve_math import overlays
from cgan_tui.ui.widgets.curves import Curves
from cgan_tui.ui.widgets.epoch_slider import EpochSlider
from cgan_tui.ui.widgets.sample_grid import SampleGrid

BEST = "★"


def _pair_text(pair, model: ResultRow, other: ResultRow, rows: list[ResultRow], key: str) -> Text:
    """``p=0.012 * g=-1.8`` (Holm-adjusted p, g of ``model`` minus ``other``), or why the pair is untested."""
    if pair is None:
        n_a, n_b = model.n_samples.get(key), other.n_samples.get(key)
        if n_a != n_b:  # values at different n are never compared
            return Text(f"  untested: n {n_a} vs {n_b}")
        na, nb = len(stats.seed_values(rows, model, key)), len(stats.seed_values(rows, other, key))
        return Text(f"  untested: {na} vs {nb} seeds")  # a test needs MIN_SEEDS a side (docs/report.md)
    g = pair.g if pair.a.key == model.setting_key else (None if pair.g is None else -pair.g)
    mark = "*" if pair.significant else "n.s."
    text = f"  p={stats.format_p(pair.p_holm)} {mark}" + ("" if g is None else f" g={g:+.1f}")
    return Text(text, style="bold" if pair.significant else "")


def best_per_row(rows: list[ResultRow | None], key: str, better: str | None) -> set[int]:
    """Indices of the best model(s) for ``key`` (ties all marked); none when no direction or < 2 values."""
    values = [(i, r.get(key)) for i, r in enumerate(rows) if r is not None]
    present = [(i, v) for i, v in values if isinstance(v, (int, float))]
    if better not in ("lower", "higher") or len(present) < 2:
        return set()
    target = min(v for _, v in present) if better == "lower" else max(v for _, v in present)
    return {i for i, v in present if v == target}


class Body(VerticalScroll, inherit_bindings=False):
    """The scrolling body without its own arrow keys: ↑↓ stay the screen's (classes)."""


def column_widths(headers: list[Text], body: list[tuple[str, list[Text]]], available: int, numbers: int) -> list[int]:
    """Content widths (a cell adds 2 of padding) that fit ``available`` columns: each model's number
    cells (the first ``numbers`` rows) keep their full width, the metric names take what is left (at
    least 10), the test rows' longer texts wrap inside their column. Where even that is too wide (4
    models, 70 columns, n = 10k) the numbers keep their value's width and wrap before their ``·n``."""
    natural = [max([h.cell_len, *(cells[i].cell_len for _, cells in body)]) for i, h in enumerate(headers)]

    def plan(width) -> list[int]:
        need = [max([8, *(width(cells[i]) for _, cells in body[:numbers])]) for i in range(1, len(headers))]
        name = max(10, min(natural[0], available - sum(n + 2 for n in need) - 2))
        share = (available - name - 2) // max(len(need), 1) - 2
        return [name, *(min(natural[i + 1], max(n, share)) for i, n in enumerate(need))]

    widths = plan(lambda cell: cell.cell_len)
    if sum(w + 2 for w in widths) <= available:
        return widths
    return plan(lambda cell: Text(cell.plain.partition(N_SEPARATOR)[0]).cell_len)


class CompareScreen(ReportsWorkerErrors, Screen):
    """``rows`` are the marked models; ``all_rows`` every model (to find each run's model at the
    slider's epoch); the slider moves grids, metrics and title to the same epoch."""

    AUTO_FOCUS = ""  # on_mount focuses the slider without scrolling to it
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("left", "epoch(-1)", "Epoch", key_display="←→"),
        Binding("right", "epoch(1)", "Epoch", show=False),
        Binding("up", "classes(-1)", "Classes", key_display="↑↓"),
        Binding("down", "classes(1)", "Classes", show=False),
        Binding("left_square_bracket", "samples(-1)", "Samples", key_display="[ ]"),
        Binding("right_square_bracket", "samples(1)", "Samples", show=False),
        Binding("z", "zoom", "Zoom"),
        # priority: the focused slider/table would take these keys (Home moved the epoch)
        Binding("pageup", "scroll_body('page_up')", "Scroll", show=False, priority=True),
        Binding("pagedown", "scroll_body('page_down')", "Scroll", show=False, priority=True),
        Binding("home", "scroll_body('home')", "Scroll", show=False, priority=True),
        Binding("end", "scroll_body('end')", "Scroll", show=False, priority=True),
        Binding("v", "next_curve(1)", "Curve", show=False),
        Binding("V", "next_curve(-1)", "Curve back", show=False),  # 40+ curves: FID is a few presses back
        Binding("e", "smoothing", "Smooth (EMA)", show=False),
        Binding("l", "log_y", "Log y", show=False),
    ]

    def __init__(
        self,
        rows: list[ResultRow],
        backend: str = "inception",
        all_rows: list[ResultRow] | None = None,
        hidden: Iterable[str] | None = None,
    ) -> None:
        """``hidden``: column keys left out (the results screen passes the ones it hides now); None: those
        ``cgan_tui.results.hidden_by_default`` hides, as ``ls`` does."""
        super().__init__()
        self.hidden = set(hidden) if hidden is not None else None
        self.rows = rows
        self.backend = backend
        self.all_rows = list(all_rows or rows)
        self.models = {(r.run_id, r.epoch): r for r in self.all_rows}
        self.models.update({(r.run_id, r.epoch): r for r in rows})
        self.epoch = rows[0].epoch
        self.grids: dict[tuple[int, int], GridImage | None] = {}
        self.epochs_by_run: dict[int, list[int]] = {}
        self.overlays: dict[str, dict[int, tuple[list[float], list[float]]]] = {}
        """What the chart can overlay (``v`` cycles): step losses, then every per-epoch metric the runs have."""
        self.overlay_index = 0

    def at_epoch(self, epoch: int) -> list[ResultRow | None]:
        """Each compared run's model at ``epoch`` (None where the run has no model there)."""
        return [self.models.get((r.run_id, epoch)) for r in self.rows]

    def title_text(self) -> Text:
        return literal(one_line(f"compare at epoch {self.epoch}: "
                                + " · ".join(f"{_name(r)} (run {r.run_id})" for r in self.rows)))  # fmt: skip

    def compose(self) -> ComposeResult:
        yield Header()
        with Body(id="compare-body", can_focus=False):
            yield Static(self.title_text(), classes="screen-title", id="compare-title")
            yield Static("differs: loading…", id="compare-differs")  # the config fields that differ, first
            with Horizontal(id="compare-grids"):
                for i in range(len(self.rows)):
                    with Vertical(classes="compare-col"):
                        yield SampleGrid(self.app.services.image_renderer, id=f"compare-grid-{i}")
            yield EpochSlider(id="compare-slider")
            with Horizontal(id="compare-bottom"):
                yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
                yield Curves("G loss", id="compare-plot")
            yield Static(Text(self.app.services.image_footer), classes="renderer-line")
        yield Footer()

    def on_mount(self) -> None:
        self.on_resize()
        self.query_one(EpochSlider).focus(scroll_visible=False)  # the screen opens at its title
        self._load()

    def on_resize(self) -> None:
        self.set_class(self.size.height < 40, "-short")  # one class row per grid
        self.set_class(self.size.width < 21 * len(self.rows), "-tight")  # 4 grids at 80 columns: no gaps
        self._fill_table()  # the columns share the new width
        self.call_after_refresh(self._same_samples)  # the panels' new sizes are known after the refresh

    def action_scroll_body(self, where: str) -> None:
        body = self.query_one("#compare-body", Body)
        {"page_up": body.scroll_page_up, "page_down": body.scroll_page_down,
         "home": body.scroll_home, "end": body.scroll_end}[where](animate=False)  # fmt: skip

    def _fill_table(self) -> None:
        """The metrics of every compared run's model at the current epoch."""
        table = self.query_one("#compare-table", DataTable)
        table.clear(columns=True)
        models = self.at_epoch(self.epoch)
        present = [m for m in models if m is not None]
        columns = [c for c in columns_for(present, self.app.registries) if c.kind == "number"] if present else []
        refs = reference_ns(present, [c.key for c in columns])
        skip = {"run_id", "epoch", "embed_dim", *(self.hidden or ())}
        hidden = hidden_by_default if self.hidden is None else (lambda key: False)
        body: list[tuple[str, list[Text]]] = []
        for col in columns:
            if col.key in skip or hidden(col.key) or all(m.get(col.key) is None for m in present):
                continue
            ns = {m.n_samples.get(col.key) for m in present if m.get(col.key) is not None}
            best = best_per_row(models, col.key, col.better) if len(ns) <= 1 else set()  # never across n
            cells = []
            for i, model in enumerate(models):
                text = cell_text(model, col.key, refs.get(col.key)) if model is not None else "—"
                cells.append(Text(f"{BEST} {text}", style="bold green") if i in best else Text(f"  {text}"))
            arrow = {"lower": " ↓", "higher": " ↑"}.get(col.better or "", "")
            body.append((col.key, [literal(one_line(col.title + arrow)), *cells]))
        tests = self._setting_tests(models, columns)
        body.extend(tests)
        if not present:
            body.append(("none", [Text("no evaluated model at this epoch"), *(Text("  —") for _ in self.rows)]))
        headers = [literal(f"metric @ e{self.epoch}"), *(literal(one_line(f"r{row.run_id} {_name(row)}")) for row in self.rows)]
        # explicit widths, as in ResultsTable: auto widths are measured on idle and can lag a refill
        widths = column_widths(headers, body, self.size.width - 3, numbers=len(body) - len(tests))
        self.set_class(sum(w + 2 for w in widths) + 40 > self.size.width, "-stacked")  # the chart below
        table.header_height = 2 if any(h.cell_len > w for h, w in zip(headers, widths, strict=True)) else 1
        headers = [headers[0], *(_folded(h, w) for h, w in zip(headers[1:], widths[1:], strict=True))]
        for i, (title, width) in enumerate(zip(headers, widths, strict=True)):
            table.add_column(title, key="metric" if i == 0 else f"m{i - 1}", width=width)
        for key, cells in body:
            wraps = [cell.cell_len > width for cell, width in zip(cells, widths, strict=True)]
            cells = [_wrappable(c) if w else c for c, w in zip(cells, wraps, strict=True)]
            table.add_row(*cells, key=key, height=None if any(wraps) else 1)  # a wrapped cell: lines align

    def significance_key(self, columns) -> str | None:
        """The value the settings are tested on: the backend's combined score, else its FID."""
        keys = {c.key for c in columns}
        return next((k for k in (f"combined@{self.backend}", f"fid@{self.backend}") if k in keys), None)

    def _setting_tests(self, models: list[ResultRow | None], columns) -> list[tuple[str, list[Text]]]:
        """Rows testing the marked models' settings across their seeds with ``stats.setting_tests`` (the
        report's, the aggregate view's and ``ls --aggregate setting``'s test): a row of seeds per setting
        naming the test and how many pairs the Holm correction covers, then one row per later model with
        each earlier model's pair: the Holm-adjusted p (``*`` below 0.05) and Hedges' g. None at all
        without a value to test on or a model at this epoch."""
        key = self.significance_key(columns)
        present = [m for m in models if m is not None]
        if key is None or not present:
            return []
        pairs = stats.setting_tests(self.all_rows, key, {m.setting_key for m in present})
        found = {frozenset((p.a.key, p.b.key)): p for p in pairs}  # type: ignore[attr-defined]
        short = key.partition("@")[0]
        seeds = []
        for model in models:
            n = len(stats.seed_values(self.all_rows, model, key)) if model is not None else 0
            seeds.append(Text("  —" if model is None else f"  {n} seed{'' if n == 1 else 's'}"))
        # no pair: every setting has < MIN_SEEDS seeds (the cells say how many) or all are one setting
        one = len({m.setting_key for m in present}) < 2
        tested = f"{stats.CORRECTION} ×{len(pairs)}" if pairs else "one setting" if one else "untested"
        out = [("seeds", [Text(f"seeds ({short}, {tested})"), *seeds])]
        for j, other in enumerate(models[1:], start=1):
            if other is None:
                continue
            cells = []
            for i, model in enumerate(models):
                if i >= j or model is None:
                    cells.append(Text("  ·" if i == j else "  "))
                elif model.setting_key == other.setting_key:
                    cells.append(Text("  same setting"))
                else:
                    pair = found.get(frozenset((model.setting_key, other.setting_key)))
                    cells.append(_pair_text(pair, model, other, self.all_rows, key))
            out.append((f"pair-{j}", [literal(one_line(f"p Welch/{stats.CORRECTION} vs r{other.run_id}")), *cells]))
        return out

    @background("loading the models to compare", exclusive=True, group="compare-load")
    def _load(self) -> None:
        services = self.app.services
        epochs = {r.run_id: services.grid_epochs(r.run_id) for r in self.rows}
        ids = [r.run_id for r in self.rows]
        mine = [m for m in self.all_rows if m.run_id in set(ids)]
        keys = [c.key for c in columns_for(mine, self.app.registries) if c.kind == "number"
                and c.key not in ("run_id", "epoch", "embed_dim") and not c.key.endswith("loss@train")]  # fmt: skip
        curves = overlays(services.step_curves(ids), {i: services.epoch_rows(i) for i in ids}, ids, mine, keys)
        differs = config_diff([(r.run_id, services.run(r.run_id).config) for r in self.rows]).summary()
        self.app.call_from_thread(self.query_one("#compare-differs", Static).update, literal(differs))
        self.app.call_from_thread(self._loaded, epochs, curves)

    def _loaded(self, epochs: dict[int, list[int]], curves: dict[str, dict]) -> None:
        self.epochs_by_run = epochs
        self.overlays = curves
        # every epoch with a grid or an evaluated model: the first model's epoch is always a stop
        union = sorted({e for es in epochs.values() for e in es}
                       | {e for (run, e) in self.models if run in {r.run_id for r in self.rows}})  # fmt: skip
        self._draw_curve()
        self.query_one(EpochSlider).set_epochs(union, select=self.rows[0].epoch)

    def _draw_curve(self) -> None:
        """The chosen overlay across the compared runs (``v`` cycles; each run in its colour)."""
        plot = self.query_one("#compare-plot", Curves)
        if not self.overlays:
            plot.plot("curves: nothing recorded yet", {}, marker=self.epoch)
            return
        self.overlay_index %= len(self.overlays)
        key = list(self.overlays)[self.overlay_index]
        by_run = self.overlays[key]
        title = f"{key} ({self.overlay_index + 1}/{len(self.overlays)}, v/V: next/back)"
        plot.plot(title, {f"r{r.run_id} {_name(r)}": by_run.get(r.run_id, ([], [])) for r in self.rows},
                  marker=self.epoch, smoothable=key.endswith(" per step"))  # fmt: skip

    def action_next_curve(self, delta: int = 1) -> None:
        self.overlay_index += delta
        self._draw_curve()

    def action_smoothing(self) -> None:
        """EMA smoothing of the overlaid curves: off, 0.6, 0.9, 0.99 (in the chart's title)."""
        self.query_one("#compare-plot", Curves).cycle_smoothing()

    def action_log_y(self) -> None:
        """Linear/log y (values <= 0 keep it linear; the title says why)."""
        self.query_one("#compare-plot", Curves).toggle_log()

    @on(EpochSlider.Changed)
    def _epoch_changed(self, event: EpochSlider.Changed) -> None:
        self.epoch = event.epoch
        self.query_one("#compare-title", Static).update(self.title_text())
        self._fill_table()
        self._fetch(event.epoch)

    @background("loading sample grids", exclusive=True, group="compare-grids")
    def _fetch(self, epoch: int) -> None:
        services = self.app.services
        out = {}
        for row in self.rows:
            key = (row.run_id, epoch)
            if key not in self.grids:
                has = epoch in self.epochs_by_run.get(row.run_id, [])
                self.grids[key] = services.grid_image(row.run_id, epoch) if has else None
            out[row.run_id] = self.grids[key]
        self.app.call_from_thread(self._show, epoch, out)

    def _show(self, epoch: int, grids: dict[int, GridImage | None]) -> None:
        if epoch != self.epoch:  # a slower fetch for an epoch the slider has left
            return
        for i, row in enumerate(self.rows):
            grid = grids.get(row.run_id)
            head, keep = (f"r{row.run_id} {_name(row)}", f" @ e{epoch}") if grid else (f"r{row.run_id}", "")
            keep = keep or f": no grid at e{epoch}"  # the label is cut first, never the epoch
            self.query_one(f"#compare-grid-{i}", SampleGrid).show(grid, head, keep)
        self.query_one("#compare-plot", Curves).marker = epoch
        self._same_samples()

    def _same_samples(self) -> None:
        """Every panel shows the same classes and samples: as many as fit in the smallest panel."""
        grids = [g for g in self.query(SampleGrid) if g.grid is not None]
        if grids:
            classes, samples = (min(g.fits[i] for g in grids) or None for i in (0, 1))
            for grid in grids:
                grid.set_limit(classes, samples)

    def action_epoch(self, delta: int) -> None:
        self.query_one(EpochSlider).action_move(delta)

    def action_classes(self, delta: int) -> None:
        for grid in self.query(SampleGrid):
            grid.scroll_classes(delta)

    def action_samples(self, delta: int) -> None:
        for grid in self.query(SampleGrid):
            grid.scroll_samples(delta)

    def action_zoom(self) -> None:
        """Every compared model's same class row at full resolution, stacked."""
        epoch = self.query_one(EpochSlider).epoch
        if epoch is None:
            self.notify("no sample grids to zoom into yet", severity="warning")
            return
        from cgan_tui.ui.screens.zoom import ZoomScreen, ZoomSource

        sources = [ZoomSource(f"r{r.run_id} {_name(r)}", r.run_id,
                              tuple(self.epochs_by_run.get(r.run_id, ()))) for r in self.rows]  # fmt: skip
        first = self.query_one("#compare-grid-0", SampleGrid).first_class
        self.app.push_screen(ZoomScreen(sources, epoch, first), self._zoom_closed)

    def _zoom_closed(self, result: tuple[int, int] | None) -> None:
        if result is not None:
            epoch, label = result
            for grid in self.query(SampleGrid):
                grid.first_class = label
            self.query_one(EpochSlider).select(epoch)
            self._fetch(epoch)


def _wrappable(cell: Text) -> Text:
    """A cell wider than its column: no alignment padding (its lines line up), and a break before
    the ``·n`` of a number (``★ 126.04`` over ``·10k``) rather than inside it."""
    return Text(cell.plain.lstrip().replace(N_SEPARATOR, " " + N_SEPARATOR), style=cell.style)


def _folded(header: Text, width: int) -> Text:
    """A model's header in at most two lines of ``width``, cut by character (``r1 LSGAN_SIGMO`` over
    ``ID_one-hot``), the second ending in ``…`` when even that is short: ``rN`` always leads, so cut
    headers stay distinguishable."""
    plain = header.plain
    if len(plain) <= width:
        return header
    first, rest = plain[:width], plain[width:]
    second = rest if len(rest) <= width else rest[: max(0, width - 1)] + "…"
    return Text(f"{first}\n{second}", style=header.style)


def _name(row: ResultRow) -> str:
    """The label without its epoch (the screen shows one epoch for all)."""
    return row.run_label
