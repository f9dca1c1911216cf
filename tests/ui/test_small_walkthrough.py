"""Defects a new-user walk-through of issue 29 found at 80x24 and 70x20 (tags in run detail, compare's
captions, headers and sample counts, the quit question's buttons, chart options, overlay order, wording).

Each test opens the screen as a user would and reads what the terminal shows (``visible_text``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.detail import RunDetailScreen

from .conftest import results_loaded, wait_for
from .test_snapshots_small import assert_shows, visible_text

SIZES = pytest.mark.parametrize("size", [(80, 24), (70, 20)], ids=["80x24", "70x20"])
STUDY = Path(__file__).resolve().parents[2] / "docs" / "studies" / "seed004.db"


@pytest.fixture
def study_copy(tmp_path) -> str:
    """A copy of the committed 4-run study (long labels: ``LSGAN_SIGMOID_one-hot``)."""
    path = tmp_path / "seed004.db"
    shutil.copy(STUDY, path)
    return f"sqlite:///{path}"


async def _detail(pilot, run_id: int):
    app = pilot.app
    await wait_for(pilot, lambda: results_loaded(app), what="results")
    app.push_screen(RunDetailScreen(run_id, 2))
    await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                   what="detail")  # fmt: skip
    await pilot.pause(0.2)


async def _compare(pilot, run_ids, epoch):
    from cgan_tui.ui.screens.compare import CompareScreen

    app = pilot.app
    await wait_for(pilot, lambda: results_loaded(app), what="results")
    rows = {(r.run_id, r.epoch): r for r in app.screen.rows}
    app.push_screen(CompareScreen([rows[(i, epoch)] for i in run_ids], "inception", app.screen.rows))
    await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.epoch == epoch
                   and app.screen.overlays and all(g.png is not None for g in app.screen.query("SampleGrid")),
                   what="compare grids")  # fmt: skip
    await pilot.pause(0.2)
    return app.screen


@SIZES
async def test_detail_shows_tags_and_note_at_small_sizes(snapshot_db, make_app, size):
    """Defect 1: the tags and note were appended to a title cut at two lines."""
    run_id = snapshot_db.run_ids[0]
    store = open_store(snapshot_db.url)
    queries.set_note_and_tags(store, [run_id], "first try, lr too high?", ["best", "baseline-v2"])
    store.dispose()
    app = make_app(snapshot_db.url)
    async with app.run_test(size=size) as pilot:
        await _detail(pilot, run_id)
        assert_shows(visible_text(app), f"run {run_id} · seed004", "tags baseline-v2 best", "note: first try")
        app.pop_screen()
        await _detail(pilot, snapshot_db.run_ids[1])  # a run without labels: no empty line for them
        assert not app.screen.query_one("#detail-labels").display


@SIZES
async def test_compare_four_long_labels_keep_names_and_epoch(study_copy, make_app, size):
    """Defect 2: four 20-column captions wrapped the label away; the table headers looked identical."""
    app = make_app(study_copy)
    async with app.run_test(size=size) as pilot:
        screen = await _compare(pilot, [1, 2, 3, 4], 5)
        text = visible_text(app)
        for run_id in (1, 2, 3, 4):
            caption = str(screen.query_one(f"#compare-grid-{run_id - 1} .grid-caption").render())
            assert caption.startswith(f"r{run_id} LSGAN") and "@ e5" in caption, caption
            assert caption.splitlines()[0] in text
        table = screen.query_one("#compare-table")
        headers = [str(c.label) for c in table.columns.values()][1:]
        assert [h.split()[0] for h in headers] == ["r1", "r2", "r3", "r4"], headers
        assert len(set(headers)) == 4


@SIZES
@pytest.mark.parametrize("runs", [(1, 2), (1, 2, 3, 4)], ids=["two", "four"])
async def test_compare_panels_show_the_same_samples(study_copy, make_app, size, runs):
    """Defect 3: a 38- and a 39-column panel showed 1 and 2 samples."""
    app = make_app(study_copy)
    async with app.run_test(size=size) as pilot:
        screen = await _compare(pilot, list(runs), 5)
        shown = {grid.shown for grid in screen.query("SampleGrid")}
        assert len(shown) == 1, shown
        await pilot.press("right_square_bracket")
        await pilot.pause(0.1)
        assert len({(g.first_sample, g.shown) for g in screen.query("SampleGrid")}) == 1


@SIZES
async def test_quit_question_buttons_fit(snapshot_db, make_app, size):
    """Defect 8: the third button was cut at 80x24; one worker is 'it', not 'them'."""
    from cgan_tui.ui.screens.confirm import ConfirmScreen, quit_question

    app = make_app(snapshot_db.url)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        question, yes, no, stay = quit_question(1)
        assert "1 local worker started here is running. y: stop it" in question and "them" not in question
        app.push_screen(ConfirmScreen(question, yes=yes, no=no, stay=stay))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="question")
        await pilot.pause(0.1)
        screen = app.screen
        box = screen.query_one("#confirm-box").region
        for part in ("#confirm-question", "#confirm-yes", "#confirm-no", "#confirm-stay"):
            region = screen.query_one(part).region
            assert box.contains_region(region) and region.right <= size[0], part
        text = visible_text(app)
        assert_shows(text, f"{yes} (y)", f"{no} (n)", f"{stay} (esc)")
    assert "them" in quit_question(2)[0]


@SIZES
async def test_detail_chart_options_are_visible(snapshot_db, make_app, size):
    """Defect 9: with the chart a summary or its title cut, e and l showed nothing."""
    app = make_app(snapshot_db.url)
    async with app.run_test(size=size) as pilot:
        await _detail(pilot, snapshot_db.run_ids[0])
        await pilot.press("e", "l")
        await pilot.pause(0.2)
        text = visible_text(app)
        for plot in app.screen.query("Curves"):  # per-epoch values are never smoothed, and say so
            expected = "EMA 0.6 · log y" if plot.smoothable else "no EMA: per epoch · log y"
            assert plot.shown_title.startswith(expected), plot.shown_title
            assert expected in text, text


async def test_compare_overlay_starts_with_g_loss_and_v_goes_back(study_copy, make_app):
    """Defect 10: the overlay started with d_loss; V (shift+v) steps back (to FID without 40 presses)."""
    from cgan_tui.ui.widgets.curves import Curves

    app = make_app(study_copy)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _compare(pilot, [1, 2], 5)
        keys = list(screen.overlays)
        assert keys[0].startswith("g_loss per") and keys[1].startswith("d_loss per"), keys[:2]
        plot = screen.query_one("#compare-plot", Curves)
        await pilot.press("V")
        assert plot.title_text.startswith(keys[-1])
        await pilot.press("v")
        assert plot.title_text.startswith(keys[0])
        footer = visible_text(app).splitlines()[-1]
        assert " V " not in footer


async def test_compare_wording_when_nothing_can_be_tested(snapshot_db, make_app):
    """Defect 15: 'seeds (combined, Holm ×0)' when no pair has 2 seeds a side."""
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _compare(pilot, snapshot_db.run_ids, 2)
        cell = str(screen.query_one("#compare-table").get_row("seeds")[0])
        assert cell == "seeds (combined, untested)", cell  # the cells: "1 seed" each; the pair rows say why


def test_detail_line_on_the_run_column_does_not_repeat_the_run():
    """Defect 15: the results status line read 'run 1 epoch 5 (…) · run: 1'."""
    from cgan_tui.results import ResultRow
    from cgan_tui.results.columns import Column
    from cgan_tui.ui.screens.results_text import detail_text

    row = ResultRow(run_id=1, epoch=5, model="seed004", loss="bce", conditioning="one-hot", d_conditioning="one-hot",
                    embed_dim=0, planned_epochs=5, seed=4, status="completed")
    text = str(detail_text(row, Column("run_id", "run", kind="number"), {}))
    assert text.startswith(f"run 1 epoch 5 ({row.label})") and "run: 1" not in text, text


def test_requeue_of_a_queued_run_says_not_once(snapshot_db, registries):
    """Defect 15: 'requeue run 1: not done: run 1 is already queued: not requeued'."""
    from cgan_tui.errors import UserError
    from cgan_tui.runner.queue import requeue

    store = open_store(snapshot_db.url)
    queued = queries.create_run(store, queries.run_config(queries.get_run(store, snapshot_db.run_ids[0])))
    with pytest.raises(UserError) as info:
        requeue(store, queued)
    store.dispose()
    message = str(info.value)
    assert message.startswith(f"run {queued} is already queued") and "not" not in message, message
