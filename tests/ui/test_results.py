"""Results screen on real tiny runs: sorting (keys, header clicks), filter, aggregate, column chooser."""

from __future__ import annotations

import math

from cgan_tui.results import load_results
from cgan_tui.store.db import open_store

from .conftest import results_loaded, wait_for


def shown_keys(app) -> list[tuple[int, int]]:
    """The (run, epoch) order as the DataTable draws it (read from its cells, not the screen's list)."""
    table = app.screen.table
    out = []
    for i in range(table.row_count):
        cells = table.get_row_at(i)
        run_id = int(str(cells[0]).strip().lstrip("●"))
        epoch = int(str(cells[app.screen.visible_columns().index(next(c for c in app.screen.visible_columns() if c.key == "epoch"))]))
        out.append((run_id, epoch))
    return out


def expected(rows, key, descending=False):
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: r.get(key), reverse=descending)
    return [(r.run_id, r.epoch) for r in present + missing]


def db_rows(url, registries):
    store = open_store(url)
    try:
        return load_results(store, registries)
    finally:
        store.dispose()


async def test_sort_by_fid_and_combined_keys(ui_db, make_app, registries):
    rows = db_rows(ui_db.url, registries)
    assert len(rows) == 6 and all(r.get("fid@inception") is not None for r in rows)
    assert all(r.get("combined@inception") is not None for r in rows)
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("f")
        assert shown_keys(app) == expected(rows, "fid@inception")
        await pilot.press("f")  # again: descending
        assert shown_keys(app) == expected(rows, "fid@inception", descending=True)
        await pilot.press("c")
        assert shown_keys(app) == expected(rows, "combined@inception")
        assert app.screen.sort_keys == [("combined@inception", False)]
        # a real measured metric (PSNR from the evaluation hook): higher is better, so best first
        cols = [c.key for c in app.screen.visible_columns()]
        app.screen.table.move_cursor(column=cols.index("psnr@pixel"))
        await pilot.press("s")
        assert shown_keys(app) == expected(rows, "psnr@pixel", descending=True)
        assert all(r.n_samples.get("psnr@pixel") == 20 for r in rows)
        # combined really is the seed's formula over the shown values
        for r in rows:
            want = r.get("fid@inception") + 10 / max(r.get("is@inception"), 0.1) + 10 * r.get("lpips@lpips")
            assert math.isclose(r.get("combined@inception"), want, rel_tol=1e-9)


async def test_sort_cursor_column_header_click_and_secondary(ui_db, make_app, registries):
    rows = db_rows(ui_db.url, registries)
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        cols = [c.key for c in screen.visible_columns()]
        # s sorts by the column under the cursor (loss), then S adds epoch descending as second key
        screen.table.move_cursor(column=cols.index("loss"))
        await pilot.press("s")
        screen.table.move_cursor(column=cols.index("epoch"))
        await pilot.press("S")
        assert screen.sort_keys == [("loss", False), ("epoch", False)]
        want = sorted(rows, key=lambda r: (r.loss, r.epoch))
        assert shown_keys(app) == [(r.run_id, r.epoch) for r in want]
        # a header click sorts by that column (best first); shift-click adds a secondary key
        await click_header(pilot, app, "is@inception")
        assert screen.sort_keys == [("is@inception", True)]  # higher IS is better: best first
        assert shown_keys(app) == expected(rows, "is@inception", descending=True)
        await click_header(pilot, app, "is@inception")
        assert screen.sort_keys == [("is@inception", False)]
        await click_header(pilot, app, "run_id", shift=True)
        assert screen.sort_keys == [("is@inception", False), ("run_id", False)]


async def click_header(pilot, app, key: str, shift: bool = False) -> None:
    table = app.screen.table
    x = 0
    for column in table.ordered_columns:
        if str(column.key.value) == key:
            break
        x += column.get_render_width(table)
    await pilot.click("#results", offset=(x + 2, 0), shift=shift)
    await pilot.pause()


async def test_missing_values_sort_last_and_say_why(ui_db, make_app, registries):
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        # no model is rated yet: final is missing everywhere, with the reason in the detail line
        cols = [c.key for c in screen.visible_columns()]
        screen.table.move_cursor(row=0, column=cols.index("final@inception"))
        await pilot.pause()
        detail = str(screen.query_one("#results-detail").render())
        assert "missing" in detail and "ratings" in detail


async def test_filter_by_field_and_text(ui_db, make_app, registries):
    rows = db_rows(ui_db.url, registries)
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("slash", *"loss:hinge", "enter")
        await pilot.pause()
        shown = app.screen.table.shown
        assert shown and {r.loss for r in shown} == {"hinge"}
        assert len(shown) == sum(1 for r in rows if r.loss == "hinge")
        await pilot.press("slash", "ctrl+u", *"emb:10 bce", "enter")
        await pilot.pause()
        assert {(r.loss, r.embed_dim) for r in app.screen.table.shown} == {("bce", 10)}
        # an unknown field is refused with a message and the filter stays as it was
        await pilot.press("slash", "ctrl+u", *"colour:red", "enter")
        await pilot.pause()
        assert app.screen.filter_text == "emb:10 bce"
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert len(app.screen.table.shown) == len(rows)


async def test_aggregate_by_loss(ui_db, make_app, registries):
    rows = db_rows(ui_db.url, registries)
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("a")
        await pilot.pause()
        table = app.screen.query_one("#aggregate-table")
        groups = {str(table.get_row_at(i)[0]): int(table.get_row_at(i)[2]) for i in range(table.row_count)}
        assert groups == {loss: sum(1 for r in rows if r.loss == loss) for loss in {r.loss for r in rows}}
        await pilot.press("g")  # by embed dim
        await pilot.pause()
        assert {str(table.get_row_at(i)[0]) for i in range(table.row_count)} == {str(r.embed_dim) for r in rows}


async def test_column_chooser_hides_a_column(ui_db, make_app):
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        assert "status" in [c.key for c in app.screen.visible_columns()]
        await pilot.press("k")
        await pilot.pause()
        selection = app.screen.query_one("SelectionList")
        selection.deselect("status")
        await pilot.press("escape")
        await pilot.pause()
        assert "status" not in [str(k.value) for k in app.screen.table.columns]


async def test_opens_on_the_backend_where_combined_exists(tmp_path, make_app):
    """Only the classifier backend has all of FID, IS and LPIPS: the app opens there and says so;
    `b` switches (and then stays where the user put it)."""
    from cgan_tui.config import RunConfig
    from cgan_tui.gan import backbones
    from cgan_tui.store import queries

    url = f"sqlite:///{tmp_path / 'experiments.db'}"
    store = open_store(url)
    run = queries.create_run(store, RunConfig(loss="hinge", embed_dim=32, epochs=1, checkpoint_epochs=()),
                             status="completed")  # fmt: skip
    queries.upsert_metrics(store, run, 1, {"fid": 12.5, "is": 7.25, "lpips": 0.8}, backend="classifier",
                           n_samples=1000, backbone=backbones.current("classifier"))  # fmt: skip
    queries.upsert_metrics(store, run, 1, {"fid": 80.0, "is": None}, backend="inception", n_samples=1000,
                           unavailable={"is": "Inception Score needs Inception class logits: x (y)"})  # fmt: skip
    store.dispose()
    app = make_app(url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        assert app.screen.backend == "classifier"
        assert "backend classifier" in str(app.screen.query_one("#results-status").render())
        keys = [c.key for c in app.screen.visible_columns()]
        assert "combined@classifier" in keys and "combined@inception" not in keys
        await pilot.press("c")
        assert app.screen.sort_keys == [("combined@classifier", False)]
        await pilot.press("b")
        assert app.screen.backend == "inception" and app.screen.sort_keys == [("combined@inception", False)]
        app.screen.poll(force=True)
        await pilot.pause()
        assert app.screen.backend == "inception"


async def test_first_screenful_is_shown_before_every_run_is_read(tmp_path, make_app, monkeypatch):
    """The first read shows the first runs (half a page of runs) at once, then every model replaces them."""
    from cgan_tui.config import RunConfig
    from cgan_tui.store import queries
    from cgan_tui.ui.screens.results import ResultsScreen

    url = f"sqlite:///{tmp_path / 'experiments.db'}"
    store = open_store(url)
    for seed in range(70):
        queries.create_run(store, RunConfig(loss="bce", seed=seed, epochs=1, checkpoint_epochs=()), status="completed")
    store.dispose()
    reads: list[tuple[bool, int]] = []
    shown = ResultsScreen.on_results_loaded

    def recorded(self, message):
        reads.append((message.complete, len(message.rows)))
        shown(self, message)

    monkeypatch.setattr(ResultsScreen, "on_results_loaded", recorded)
    app = make_app(url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        half = app.services.page_size // 2
        assert reads[:2] == [(False, half), (True, 70)]
        assert len(app.screen.rows) == 70 and app.screen.complete


async def test_tui_hides_the_columns_ls_hides(ui_db, make_app):
    """One rule (``results.hidden_by_default``): the TUI hid only wall-clock columns while ``ls`` also hid
    spreads, per-class diversity and single ratings; both now leave out the same keys."""
    from cgan_tui.cli.ls_cmd import _default_columns
    from cgan_tui.results import hidden_by_default

    app = make_app(ui_db.url)
    async with app.run_test(size=(240, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        columns = app.screen.all_columns()
        visible = {c.key for c in app.screen.visible_columns()}
    keys = {c.key for c in columns}
    shown_by_ls = {c.key for c in _default_columns(columns, None)}  # no backend chosen: only the rule applies
    assert keys - visible == keys - shown_by_ls
    assert "epoch_seconds@train" in keys - visible and "g_loss@train" in visible
    assert all(hidden_by_default(k) for k in keys - visible)


async def test_a_late_first_screenful_never_replaces_every_model(ui_db, make_app):
    """On a loaded machine the UI thread can lag behind the reader: a first screenful (``complete=False``)
    that arrives after the full read must not replace it (the table would stay partial until the
    database changed)."""
    from cgan_tui.ui import messages as msg

    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        every, counts = list(screen.rows), dict(screen.status_counts)
        screen.post_message(msg.ResultsLoaded(every[:1], counts, complete=False))
        screen.post_message(msg.Notice("after the late screenful", "information"))
        await wait_for(pilot, lambda: any("after the late" in m for _, m in app.notices),
                       what="the messages handled")  # fmt: skip
        assert screen.complete and screen.rows == every and len(screen.table.shown) == len(every)
