"""Issue 30 item 6: the aggregate view, ``ls --aggregate setting`` and the compare screen test settings across
seeds with the report's one function (``stats.setting_tests``) and show the same Holm-adjusted p-values,
with seeds per side and the correction named; the p-values are checked against scipy's Welch test on the
values the fixture database holds."""

from __future__ import annotations

import itertools
import re

from scipy import stats as sps

from cgan_tui import stats
from cgan_tui.cli import main
from cgan_tui.results import load_results
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.aggregate import GROUPS
from cgan_tui.ui.screens.compare import CompareScreen
from tests.report.fixture_db import build

from .conftest import results_loaded, wait_for

KEY = "combined@inception"


def fixture(tmp_path, registries):
    """Three settings x three seeds evaluated at one epoch (so every view tests the same three pairs)."""
    path = tmp_path / "seeds.db"
    build(path, registries, settings=3, seeds=3, epochs=3, checkpoints=(3,))
    url = f"sqlite:///{path}"
    store = open_store(url)
    try:
        rows = load_results(store, registries)
    finally:
        store.dispose()
    return url, rows


def expected_pvalues(rows) -> dict[frozenset, float]:
    """Welch (scipy) on each pair of settings' stored values, then Holm by hand: setting names -> p(Holm)."""
    by: dict[str, list[float]] = {}
    for r in rows:
        if r.get(KEY) is not None:
            by.setdefault(r.setting, []).append(r.get(KEY))
    pairs = list(itertools.combinations(sorted(by), 2))
    raw = [sps.ttest_ind(by[a], by[b], equal_var=False).pvalue for a, b in pairs]
    order = sorted(range(len(raw)), key=lambda i: raw[i])
    holm, running = [0.0] * len(raw), 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(raw) - rank) * raw[i]))
        holm[i] = running
    return {frozenset(p): h for p, h in zip(pairs, holm, strict=True)}


async def test_aggregate_ls_and_compare_show_the_same_holm_pvalues(tmp_path, make_app, registries, capsys):
    url, rows = fixture(tmp_path, registries)
    expected = expected_pvalues(rows)
    assert len(expected) == 3
    texts = {frozenset(p): stats.format_p(h) for p, h in expected.items()}

    # ls --aggregate setting: the pairs table under the aggregate, its caption naming the evidence
    assert main(["ls", "--db", url, "--aggregate", "setting"]) == 0
    out = capsys.readouterr().out
    assert f"pairs of settings on {KEY}" in out and "Holm-corrected across the 3 pair(s) shown" in out
    ls_rows = re.findall(r"│ (seed004 \S+ e3 #\w+)\s+│ (seed004 \S+ e3 #\w+)\s+│ 3 vs 3 │[^│]+│[^│]+│[^│]+│\s+(\S+) │", out)
    assert {frozenset((a, b)): p for a, b, p in ls_rows} == texts

    app = make_app(url)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        # the aggregate view grouped by setting: the same pairs, the same p(Holm)
        await pilot.press("a", *(["g"] * GROUPS.index("setting")))
        await wait_for(pilot, lambda: app.screen.query("#aggregate-pairs")
                       and app.screen.query_one("#aggregate-pairs").row_count == 3, what="aggregate pairs")
        caption = str(app.screen.query_one("#aggregate-tests").render())
        assert KEY in caption and "Holm-corrected across the 3 pair(s) shown" in caption and "Hedges' g" in caption
        table = app.screen.query_one("#aggregate-pairs")
        headers = [str(c.label) for c in table.columns.values()]
        assert headers == list(stats.PAIR_HEADERS)
        cells = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert {frozenset(c[:2]): c[6] for c in cells} == texts
        assert all(c[2] == "3 vs 3" for c in cells)
        await pilot.press("escape")
        await wait_for(pilot, lambda: results_loaded(app), what="results again")

        # compare: one model of each setting marked, the pairs of their settings
        marked = [next(r for r in rows if r.setting == s) for s in sorted({r.setting for r in rows})]
        app.push_screen(CompareScreen(marked, "inception", rows))
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.query("#compare-table")
                       and "seeds" in app.screen.query_one("#compare-table").rows, what="compare tests")
        await wait_for(pilot, lambda: len(app.screen.query("SampleGrid")) == 3  # its loads done before the app closes
                       and all(g.png is not None for g in app.screen.query("SampleGrid")), what="compare grids")
        table = app.screen.query_one("#compare-table")
        seeds = [str(c).strip() for c in table.get_row("seeds")]
        assert seeds[0] == "seeds (combined, Holm ×3)" and seeds[1:] == ["3 seeds"] * 3
        shown = {}
        for j in (1, 2):
            row = [str(c).strip() for c in table.get_row(f"pair-{j}")]
            assert row[0] == f"p Welch/Holm vs r{marked[j].run_id}"
            for i in range(j):
                p = re.match(r"p=(\S+) (\*|n\.s\.) g=[+-]\d", row[1 + i])
                assert p, row
                shown[frozenset((marked[i].setting, marked[j].setting))] = p.group(1)
        assert shown == texts
