"""Numbers in the TUI: n beside values, n/a vs —, one epoch in compare, an 80x24 terminal."""

from __future__ import annotations

from cgan_tui.formatting import NOT_AVAILABLE, NOT_YET
from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.compare import CompareScreen
from cgan_tui.ui.widgets.epoch_slider import EpochSlider

from .conftest import FIXTURE_N, results_loaded, wait_for


def _cells(table, row_index):
    return [str(c) for c in table.get_row_at(row_index)]


async def test_results_at_80x24_show_label_status_sort_key_and_combined(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen.sort_keys == [("fid@inception", False)], what="sort")
        table = app.screen.table
        keys = [str(k.value) for k in table.columns]
        assert keys[:5] == ["run_id", "label", "status", "fid@inception", "combined@inception"]
        assert table.fixed_columns == 2  # run and label stay while scrolling right
        widths = sum(c.get_render_width(table) for c in list(table.columns.values())[:5])
        assert widths <= 80
        fid = _cells(table, 0)[3]
        assert fid.endswith(f"·{FIXTURE_N}")  # n beside the value


async def test_other_n_is_marked_and_sorted_after(snapshot_db, make_app, registries):
    from cgan_tui.config import RunConfig, resolve

    store = open_store(snapshot_db.url)
    config = resolve(RunConfig(model="seed004", loss="hinge", embed_dim=64, epochs=2, checkpoint_epochs=(2,)), registries)
    [run] = queries.create_runs(store, [config], status="completed")
    # the best-looking FID of all, but at n=5 while every other model has n=17: not comparable
    queries.upsert_metrics(store, run, 2, {"fid": 1.0, "is": 2.0}, backend="inception", n_samples=5)
    store.dispose()
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen.sort_keys == [("fid@inception", False)], what="sort")
        table = app.screen.table
        assert (table.shown[-1].run_id, table.shown[-1].n_samples["fid@inception"]) == (run, 5)
        keys = [str(k.value) for k in table.columns]
        assert _cells(table, len(table.shown) - 1)[keys.index("fid@inception")] == "1.000·5*"
        table.move_cursor(row=len(table.shown) - 1, column=keys.index("fid@inception"))
        await pilot.pause()
        detail = str(app.screen.query_one("#results-detail").render())
        assert "most models have n=17" in detail


async def test_missing_values_read_na_or_dash(snapshot_db, make_app):
    store = open_store(snapshot_db.url)
    run = snapshot_db.run_ids[0]
    queries.upsert_metrics(store, run, 2, {"kid": None}, backend="inception", n_samples=FIXTURE_N,
                           unavailable={"kid": "weights missing"})  # fmt: skip
    store.dispose()
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        table = app.screen.table
        keys = [str(k.value) for k in table.columns]
        index = next(i for i, r in enumerate(table.shown) if (r.run_id, r.epoch) == (run, 2))
        assert _cells(table, index)[keys.index("kid@inception")] == NOT_AVAILABLE
        assert _cells(table, index)[keys.index("final@inception")] == NOT_YET  # waits for ratings


async def test_compare_grid_metrics_and_title_share_one_epoch(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        by_key = {(r.run_id, r.epoch): r for r in screen.rows}
        a, b = snapshot_db.run_ids[:2]
        app.push_screen(CompareScreen([by_key[(a, 2)], by_key[(b, 1)]], "inception", screen.rows))
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="compare")
        compare = app.screen
        await wait_for(pilot, lambda: bool(compare.query(EpochSlider)) and compare.query_one(EpochSlider).epoch == 2
                       and compare.epoch == 2, what="slider at e2")  # fmt: skip

        def shows(epoch):
            table = compare.query_one("#compare-table")
            fid = [str(c) for c in table.get_row("fid@inception")][1:]
            want = [f"{by_key[(r, epoch)].get('fid@inception'):.2f}" for r in (a, b)]
            captions = [str(c.render()) for c in compare.query(".grid-caption")]
            title = str(compare.query_one("#compare-title").render())
            return (all(w in f for w, f in zip(want, fid, strict=False)) and f"epoch {epoch}:" in title
                    and all(f"@ e{epoch} " in c + " " for c in captions))  # fmt: skip

        await wait_for(pilot, lambda: shows(2), what="metrics of both runs at e2")
        await pilot.press("left")
        await wait_for(pilot, lambda: shows(1), what="metrics of both runs at e1")


def test_detail_curves_keep_one_sample_count():
    from types import SimpleNamespace as Row

    from cgan_tui.ui.screens.detail import metric_series

    rows = [Row(name="fid", backend="inception", epoch=e, n_samples=n, value=v)
            for e, n, v in ((1, 100, 90.0), (2, 100, 80.0), (3, 100, 70.0), (3, 1000, 40.0))]  # fmt: skip
    assert metric_series(rows) == {"fid@inception": {1: 90.0, 2: 80.0, 3: 70.0}}  # not 40 at n=1,000 in one curve
