"""Aggregate: mean ± spread of one value per group (loss, embed dim, conditioning, ...), like seed 000's
"average combined score by embed dim" table. Grouped by setting, a second table tests every pair of
settings across seeds with ``stats.setting_tests`` (the report's test: Welch, Holm, Hedges' g)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from cgan_tui import stats
from cgan_tui.formatting import compact_n
from cgan_tui.results import MISSING, Column, ResultRow, aggregate, format_value
from cgan_tui.results.sample_n import mixed_n_message
from cgan_tui.safe_text import literal, one_line
from cgan_tui.ui.widgets.fit_columns import fill_fitted

GROUPS = ("loss", "embed_dim", "conditioning", "model", "epoch", "setting")
"""``setting`` pools the seeds of one config (``cgan_tui.stats``): its interval is the seed-to-seed one."""


class AggregateScreen(Screen):
    """``g`` cycles the grouping column, ``v`` the value; rows are the results view as filtered."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("g", "group", "Group by"),
        Binding("v", "value", "Value"),
    ]

    def __init__(self, rows: list[ResultRow], columns: list[Column], backend: str = "inception") -> None:
        super().__init__()
        self.rows = rows
        skip = {"run_id", "epoch", "embed_dim", "seed"}
        self.values = [c for c in columns if c.kind == "number" and c.key not in skip]
        preferred = [f"combined@{backend}", f"fid@{backend}"]
        keys = [c.key for c in self.values]
        self.value_index = next((keys.index(k) for k in preferred if k in keys), 0)
        self.group_index = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", classes="screen-title", id="aggregate-title")
        yield DataTable(id="aggregate-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="aggregate-tests")
        yield DataTable(id="aggregate-pairs", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self._draw()

    def _draw(self) -> None:
        table = self.query_one("#aggregate-table", DataTable)
        table.clear(columns=True)
        pairs = self.query_one("#aggregate-pairs", DataTable)
        pairs.clear(columns=True)
        tests = self.query_one("#aggregate-tests", Static)
        tests.update("")
        pairs.display = tests.display = GROUPS[self.group_index] == "setting"  # pairs of settings only
        group = GROUPS[self.group_index]
        if not self.values:
            self.query_one("#aggregate-title", Static).update("no numeric values to aggregate yet")
            return
        col = self.values[self.value_index]
        mixed = mixed_n_message(self.rows, col.key)
        self.query_one("#aggregate-title", Static).update(literal(
            f"{col.title} by {group} ({len(self.rows)} models; g: group by, v: value; "
            f"{'lower' if col.better == 'lower' else 'higher' if col.better == 'higher' else 'no'} is better)"
            + (f" — {mixed}" if mixed else "")
        ))
        body = []
        for agg in aggregate(self.rows, group, col.key, col.better):
            mean = format_value(agg.mean, col.key)
            spread = f" ± {format_value(agg.ci, col.key)}" if agg.ci is not None else ""
            at_n = compact_n(agg.sample_n) if agg.sample_n else MISSING
            body.append([literal(one_line(agg.group)), at_n, str(agg.n), str(agg.runs), mean + spread,
                         format_value(agg.std, col.key), format_value(agg.best, col.key)])  # fmt: skip
        headers = [group, "at n", "models", "runs", "mean ± 95% CI", "std", "best"]
        fill_fitted(table, headers, body, self.size.width - 2)  # the group names wrap, never the numbers
        if group == "setting":
            self._draw_tests(col.key)

    def _draw_tests(self, key: str) -> None:
        """Every testable pair of the settings shown, with seeds per side, Welch's p, Holm's and Hedges' g."""
        pairs = stats.setting_tests(self.rows, key)
        self.query_one("#aggregate-tests", Static).update(literal(stats.pairs_caption(key, pairs)))
        table = self.query_one("#aggregate-pairs", DataTable)
        body = [[literal(one_line(t)) for t in stats.pair_texts(pair)] for pair in pairs]
        fill_fitted(table, stats.PAIR_HEADERS, body, self.size.width - 2, flexible=(0, 1))  # setting A, B wrap

    def on_resize(self) -> None:
        self._draw()  # the columns fit the new width

    def action_group(self) -> None:
        self.group_index = (self.group_index + 1) % len(GROUPS)
        self._draw()

    def action_value(self) -> None:
        if self.values:
            self.value_index = (self.value_index + 1) % len(self.values)
        self._draw()
