"""Notes and tags in the app (issue 29 item 6): ``n`` on the run detail screen edits them in a modal, the
title shows them, the results filter finds them (``tag:``), archived runs hide; compare shows the config
fields that differ first. Typed text is shown as typed, never read as markup."""

from __future__ import annotations

from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.compare import CompareScreen
from cgan_tui.ui.screens.detail import RunDetailScreen
from cgan_tui.ui.screens.labels import LabelsScreen
from cgan_tui.ui.widgets.epoch_slider import EpochSlider

from .conftest import results_loaded, wait_for


def stored_label(url: str, run_id: int):
    store = open_store(url)
    try:
        return queries.label(store, run_id)
    finally:
        store.dispose()


def shown_runs(app) -> set[int]:
    return {r.run_id for r in app.screen.table.shown}


async def test_edit_note_and_tags_then_filter_by_tag(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    run_id = snapshot_db.run_ids[1]
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        results = app.screen
        app.push_screen(RunDetailScreen(run_id, 2))
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="run detail")
        detail = app.screen
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, LabelsScreen), what="the label editor")
        editor = app.screen
        await pilot.press(*"[bold]lr?")
        await pilot.press("tab", *"best bad:tag", "enter")
        error = str(editor.query_one("#labels-error").render())
        assert "invalid tag 'bad:tag'" in error and isinstance(app.screen, LabelsScreen)  # nothing saved
        for _ in "bad:tag":
            await pilot.press("backspace")
        await pilot.press(*"baseline", "enter")
        await wait_for(pilot, lambda: stored_label(snapshot_db.url, run_id).tags == ("baseline", "best"), what="saved")
        assert stored_label(snapshot_db.url, run_id).note == "[bold]lr?"
        title = lambda: str(detail.query_one("#detail-labels").render())  # noqa: E731  (a line under the title)
        await wait_for(pilot, lambda: "tags baseline best" in title(), what="tags under the title")
        assert "note: [bold]lr?" in title()  # as typed, not markup

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is results and run_id in {r.run_id for r in results.rows
                                                                           if r.tags}, what="reloaded rows")  # fmt: skip
        await pilot.press("slash", *"tag:best", "enter")
        await wait_for(pilot, lambda: shown_runs(app) == {run_id}, what="only the tagged run")

        store = open_store(snapshot_db.url)
        queries.set_archived(store, [run_id])
        store.dispose()
        await wait_for(pilot, lambda: not results.table.shown, what="the archived run hidden")
        await pilot.press("slash", *(["backspace"] * 8), *"archived:yes", "enter")
        await wait_for(pilot, lambda: shown_runs(app) == {run_id}, what="archived:yes shows it")


async def test_read_only_app_refuses_the_label_editor(snapshot_db, make_app):
    app = make_app(snapshot_db.url, read_only=True)
    run_id = snapshot_db.run_ids[0]
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        app.push_screen(RunDetailScreen(run_id, 1))
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="run detail")
        await pilot.press("n")
        await wait_for(pilot, lambda: any("note and tags not saved: read-only" in m for _, m in app.notices),
                       what="the refusal")
        assert not isinstance(app.screen, LabelsScreen)


async def test_compare_shows_the_config_fields_that_differ_first(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        results = app.screen
        rows = [r for r in results.rows if r.epoch == 2][:2]
        app.push_screen(CompareScreen(rows, all_rows=results.rows))
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.query("#compare-differs"),
                       what="compare")
        differs = app.screen.query_one("#compare-differs")
        slider = app.screen.query_one(EpochSlider)
        await wait_for(pilot, lambda: "loss" in str(differs.render()) and slider.epochs, what="the differs line")
        text = str(differs.render())
        assert text.startswith(f"differs (r{rows[0].run_id} | r{rows[1].run_id}): ")
        assert f"loss {rows[0].loss} | {rows[1].loss}" in text
        assert differs.region.y < app.screen.query_one("#compare-grids").region.y  # on top, visible at 80x24
