"""Every screen at 80x24 and 70x20 (issue 29: small terminals are first-class).

Each test is a snapshot (pytest-textual-snapshot, the deterministic ``snapshot_db``) AND an assertion
on what the terminal shows: the screen's title and the numbers it exists to show are in the rendered
text of the visible region when the screen opens (a snapshot alone only proves it did not change).
Update after an intended change with ``--snapshot-update -k NAME`` and read the SVG before committing.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from cgan_tui.config import RunConfig
from cgan_tui.runner.queue import enqueue_grid
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.detail import RunDetailScreen

from .conftest import results_loaded, wait_for
from .test_snapshots import stable_registries  # noqa: F401  (a fixture)

SIZES = pytest.mark.parametrize("size", [(80, 24), (70, 20)], ids=["80x24", "70x20"])


def visible_text(app) -> str:
    """What the terminal shows now (the screen and, under a modal, the screens below), as plain text."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False,
                      safe_box=False, color_system=None)  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


def assert_shows(text: str, *wanted: str) -> None:
    missing = [w for w in wanted if w not in text]
    assert not missing, f"not on screen: {missing}\n{text}"


def _app(snapshot_db, make_app, registries):
    return make_app(snapshot_db.url, plugin_loader=lambda: registries)


async def _results(pilot):
    await wait_for(pilot, lambda: results_loaded(pilot.app), what="results")


async def _detail(pilot, run_id: int):
    app = pilot.app
    await _results(pilot)
    app.push_screen(RunDetailScreen(run_id, 2))
    await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None
                   and app.screen.query_one("SampleGrid").png is not None, what="detail")  # fmt: skip
    await pilot.pause(0.2)


def _rows(app) -> dict:
    return {(r.run_id, r.epoch): r for r in app.screen.rows}


@SIZES
def test_results_small(snapshot_db, make_app, stable_registries, snap_compare, size):  # noqa: F811
    app, seen = _app(snapshot_db, make_app, stable_registries), {}

    async def ready(pilot):
        await _results(pilot)
        await pilot.pause(0.2)
        seen["rows"] = [(r.label, f"{r.get('combined@inception'):.2f}") for r in app.screen.table.shown
                        if r.get("combined@inception") is not None]  # fmt: skip
        seen["text"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert_shows(seen["text"], "models", "backend", "combined", *(x for row in seen["rows"] for x in row))


@SIZES
def test_detail_small(snapshot_db, make_app, stable_registries, snap_compare, size):  # noqa: F811
    app, seen = _app(snapshot_db, make_app, stable_registries), {}
    run_id = snapshot_db.run_ids[0]

    async def ready(pilot):
        await _detail(pilot, run_id)
        seen["text"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert_shows(seen["text"], f"run {run_id} · seed004 · bce", "epoch 2 · class 0 of 10", "epoch   2 (2/2)")


@SIZES
def test_zoom_small(snapshot_db, make_app, stable_registries, snap_compare, size):  # noqa: F811
    from cgan_tui.ui.screens.zoom import ZoomScreen
    from cgan_tui.ui.widgets.class_row import ClassRow

    app, seen = _app(snapshot_db, make_app, stable_registries), {}

    async def ready(pilot):
        await _detail(pilot, snapshot_db.run_ids[0])
        await pilot.press("z", "down")  # class 1
        await wait_for(pilot, lambda: isinstance(app.screen, ZoomScreen) and app.screen.loaded
                       and all(r.label == 1 and r.shown for r in app.screen.query(ClassRow)), what="zoom")
        await pilot.pause(0.2)
        seen["text"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert_shows(seen["text"], "zoom · epoch 2", "class 1 Trouser")


@SIZES
def test_compare_small(snapshot_db, make_app, stable_registries, snap_compare, size):  # noqa: F811
    """Three marked models: the title and every caption on open, then every model's metric values
    (PageDown scrolls the screen, not the slider), in a table that needs no horizontal scrolling."""
    from cgan_tui.ui.screens.compare import CompareScreen
    from cgan_tui.ui.widgets.epoch_slider import EpochSlider

    app, seen = _app(snapshot_db, make_app, stable_registries), {}

    async def ready(pilot):
        await _results(pilot)
        marked = [_rows(app)[(run_id, 2)] for run_id in snapshot_db.run_ids]
        seen["marked"] = marked
        app.push_screen(CompareScreen(marked, "inception", app.screen.rows))
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.epoch == 2
                       and len(app.screen.query("SampleGrid")) == 3
                       and all(g.png is not None for g in app.screen.query("SampleGrid")), what="compare grids")
        await pilot.pause(0.2)
        screen, texts = app.screen, []
        seen["open"] = visible_text(app)
        slider = screen.query_one(EpochSlider).index
        for _ in range(4):
            await pilot.press("pagedown")
            await pilot.pause(0.1)
            texts.append(visible_text(app))
        seen["scrolled"], seen["slider"] = texts, (slider, screen.query_one(EpochSlider).index)
        table = screen.query_one("#compare-table")
        seen["table"] = (table.virtual_size.width, table.size.width)
        await pilot.press("home")
        await pilot.pause(0.1)
        seen["home"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    marked = seen["marked"]
    captions = [f"r{r.run_id} {r.run_label} @ e2" for r in marked]
    assert_shows(seen["open"], "compare at epoch 2", *captions)
    assert_shows(seen["home"], "compare at epoch 2", *captions)  # Home scrolls back to the top
    assert seen["slider"][0] == seen["slider"][1]  # PageDown never moved the epoch
    table_width, shown_width = seen["table"]
    assert table_width <= shown_width, "the metrics table scrolls sideways"
    everything = seen["open"] + "".join(seen["scrolled"])
    for key in ("combined@inception", "fid@inception", "g_loss@train"):
        for row in marked:
            value = row.get(key)
            assert_shows(everything, f"{value:.2f}" if key != "g_loss@train" else f"{value:.3f}")


@SIZES
def test_rate_small(snapshot_db, make_app, stable_registries, snap_compare, size):  # noqa: F811
    from cgan_tui.ui.screens.rate import RateScreen

    app, seen = _app(snapshot_db, make_app, stable_registries), {}
    run_id = snapshot_db.run_ids[0]

    async def ready(pilot):
        await _results(pilot)
        app.push_screen(RateScreen(run_id, 2, "bce embedding e2"))
        await wait_for(pilot, lambda: isinstance(app.screen, RateScreen) and app.screen.loaded, what="rate")
        await pilot.pause(0.2)
        seen["text"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert_shows(seen["text"], f"rate run {run_id} epoch 2", "sharpness", "structure", "detail", "class_fit")


def _queue_db(snapshot_db, registries) -> None:
    store = open_store(snapshot_db.url)
    enqueue_grid(store, [RunConfig(model="seed000", loss=loss, embed_dim=32) for loss in ("hinge", "wgan-gp")],
                 registries=registries, priority=2)
    store.dispose()


async def _queue(pilot):
    await pilot.press("2")
    await wait_for(pilot, lambda: len(getattr(pilot.app.screen, "rows", [])) == 2, what="queue rows")


@SIZES
def test_queue_small(snapshot_db, make_app, registries, stable_registries, snap_compare, size):  # noqa: F811
    _queue_db(snapshot_db, registries)
    app, seen = _app(snapshot_db, make_app, stable_registries), {}

    async def ready(pilot):
        await _queue(pilot)
        await pilot.pause(0.2)
        seen["text"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert_shows(seen["text"], "0 running · 2 queued", "`cgan-tui worker`", "HINGE_32", "WGAN_GP_32", "0/30")


@SIZES
def test_new_run_form_small(snapshot_db, make_app, stable_registries, snap_compare, size):  # noqa: F811
    app, seen = _app(snapshot_db, make_app, stable_registries), {}

    async def ready(pilot):
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("n")
        await wait_for(pilot, lambda: getattr(app.screen, "choices_ready", False)  # every select filled
                       and app.screen.query_one("#f-model").value == "seed000", what="form")
        await pilot.pause(0.2)
        seen["text"] = visible_text(app)
        app.screen.query_one("#f-epochs").value = "0"
        app.screen.query_one("#f-epochs").focus()
        await pilot.press("enter")  # submitted from the field: the error shows without scrolling
        await wait_for(pilot, lambda: str(app.screen.query_one("#form-error").render()).strip(), what="form error")
        await pilot.pause(0.2)
        seen["error"] = str(app.screen.query_one("#form-error").render()).strip()
        seen["after"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert_shows(seen["text"], "new run / grid", "model", "seed000", "loss", "embedding", "epochs", "Queue", "Cancel")
    assert_shows(seen["after"], seen["error"].splitlines()[0][:40])


@SIZES
def test_grid_picker_small(snapshot_db, make_app, stable_registries, snap_compare, size, monkeypatch):  # noqa: F811
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # the picker shows grids/ relative to the cwd
    app, seen = _app(snapshot_db, make_app, stable_registries), {}

    async def ready(pilot):
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("g")
        await wait_for(pilot, lambda: bool(app.screen.query("#picker OptionList"))
                       and app.screen.query_one("#picker OptionList").option_count > 0, what="grid files")
        await pilot.pause(0.2)
        seen["text"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert_shows(seen["text"], "queue every run of a grid file", "seed000.toml", "8 runs")


@SIZES
def test_aggregate_small(snapshot_db, make_app, stable_registries, snap_compare, size):  # noqa: F811
    from cgan_tui.ui.screens.aggregate import AggregateScreen

    app, seen = _app(snapshot_db, make_app, stable_registries), {}

    async def ready(pilot):
        await _results(pilot)
        best = {}
        for row in app.screen.rows:
            value = row.get("combined@inception")
            if value is not None:
                best[row.loss] = min(value, best.get(row.loss, value))
        seen["best"] = best
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AggregateScreen)
                       and app.screen.query_one("#aggregate-table").row_count > 0, what="aggregate")
        await pilot.pause(0.2)
        seen["text"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert_shows(seen["text"], "combined inc by loss", *seen["best"], *(f"{v:.2f}" for v in seen["best"].values()))


@SIZES
def test_plugins_small(snapshot_db, make_app, stable_registries, snap_compare, size):  # noqa: F811
    app, seen = _app(snapshot_db, make_app, stable_registries), {}

    async def ready(pilot):
        await pilot.press("3")
        await wait_for(pilot, lambda: app.registries is not None
                       and app.screen.query_one("#plugins-table").row_count > 0, what="plugins")
        await pilot.pause(0.2)
        seen["text"] = visible_text(app)
        seen["n"] = len(stable_registries.plugins)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert_shows(seen["text"], f"{seen['n']} plugins,", "$CGAN_TUI_DISABLE_PLUGINS", "builtin-losses", "ok")


@SIZES
@pytest.mark.parametrize("where", ["results", "detail", "compare", "queue"])
def test_help_small(snapshot_db, make_app, registries, stable_registries, snap_compare, size, where):  # noqa: F811
    """The help panel lists every key of the screen it was opened on, within the terminal."""
    from cgan_tui.ui.screens.compare import CompareScreen
    from cgan_tui.ui.screens.help import HelpScreen, screen_keys

    if where == "queue":
        _queue_db(snapshot_db, registries)
    app, seen = _app(snapshot_db, make_app, stable_registries), {}

    async def ready(pilot):
        if where == "detail":
            await _detail(pilot, snapshot_db.run_ids[0])
        elif where == "queue":
            await _queue(pilot)
        else:
            await _results(pilot)
        if where == "compare":
            app.push_screen(CompareScreen([_rows(app)[(r, 2)] for r in snapshot_db.run_ids[:2]], "inception",
                                          app.screen.rows))  # fmt: skip
            await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen)
                           and all(g.png is not None for g in app.screen.query("SampleGrid")), what="compare")
        seen["keys"] = screen_keys(app.screen)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        await pilot.pause(0.2)
        help_box = app.screen.query_one("#help-box")
        seen["fits"] = help_box.max_scroll_y == 0 and help_box.region.bottom <= size[1]
        seen["text"] = visible_text(app)

    assert snap_compare(app, terminal_size=size, run_before=ready)
    assert seen["fits"], "the help panel scrolls: some keys are off-screen"
    assert_shows(seen["text"], *(what for _, what, _ in seen["keys"]))


def test_compare_columns_fit_four_models_at_70_and_80_columns():
    """Four models' numbers keep their full width at 70 and 80 columns; only names and test rows wrap."""
    from rich.text import Text

    from cgan_tui.ui.screens.compare import column_widths

    headers = [Text("metric @ e30"), *(Text(f"r{i} WGAN_GP_SN_32") for i in range(4))]
    numbers = [("fid", [Text("FID inc ↓"), *(Text("★ 126.04·10k*") for _ in range(4))])]
    tests = [("pair-1", [Text("p Welch/Holm vs r1"), *(Text("  untested: n 10k vs 2k") for _ in range(4))])]
    for width, whole in ((80, "★ 126.04·10k*"), (70, "★ 126.04")):  # at 70 the n wraps below its value
        available = width - 3
        widths = column_widths(headers, numbers + tests, available, numbers=1)
        assert sum(w + 2 for w in widths) <= available
        assert all(w >= len(whole) for w in widths[1:])


@pytest.mark.parametrize("size", [(70, 20)], ids=["70x20"])
async def test_modals_fit_70x20(snapshot_db, make_app, size):
    """The column chooser, the note form and the bad-database message stay inside a 70x20 terminal."""
    from cgan_tui.ui.screens.message import MessageScreen

    app = make_app(snapshot_db.url)
    async with app.run_test(size=size) as pilot:

        def inside(selector: str) -> bool:
            region = app.screen.query_one(selector).region
            return region.x >= 0 and region.right <= size[0] and region.bottom <= size[1] and region.width > 0

        await _results(pilot)
        await pilot.press("k")
        await wait_for(pilot, lambda: bool(app.screen.query("#columns-box")), what="column chooser")
        await pilot.pause(0.1)
        assert inside("#columns-box")
        await pilot.press("escape")
        await _detail(pilot, snapshot_db.run_ids[0])
        await pilot.press("n")
        await wait_for(pilot, lambda: bool(app.screen.query("#labels-box")), what="note form")
        await pilot.pause(0.1)
        assert inside("#labels-box")
        await pilot.press("escape")
        app.push_screen(MessageScreen("x" * 300))
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), what="message")
        await pilot.pause(0.1)
        assert inside("#message-box")
        assert_shows(visible_text(app), "cgan-tui cannot use this database", "Nothing was changed")


@SIZES
async def test_aggregate_setting_tests_fit(tmp_path, make_app, registries, size):
    """Grouped by setting, the pair table's p-values and g are on screen without sideways scrolling:
    the long setting names wrap inside their columns instead."""
    from cgan_tui.ui.screens.aggregate import AggregateScreen

    from .test_screens import seeds_db

    url, rows = seeds_db(tmp_path, registries)
    app = make_app(url)
    async with app.run_test(size=size) as pilot:
        await _results(pilot)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AggregateScreen), what="aggregate")
        while "by setting" not in str(app.screen.query_one("#aggregate-title").render()):
            await pilot.press("g")
        await wait_for(pilot, lambda: app.screen.query_one("#aggregate-pairs").row_count == 1, what="pair row")
        await pilot.pause(0.2)
        for selector in ("#aggregate-table", "#aggregate-pairs"):
            table = app.screen.query_one(selector)
            assert table.virtual_size.width <= table.size.width, f"{selector} scrolls sideways"
        pair = [str(c) for c in app.screen.query_one("#aggregate-pairs").get_row_at(0)]
        text = visible_text(app)
        assert_shows(text, "by setting", *(cell for cell in pair[2:] if cell))  # seeds, mean A − B, g, p, p, *
