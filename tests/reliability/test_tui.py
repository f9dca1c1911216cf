"""The app under faults: ratings drawn as saved only after commit (pending, failed, retry), the lock
screen for a WAL database, a database deleted or replaced while open, and queue actions that act on
the run the cursor shows (across re-sorts) with a confirmation before cancelling a running run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cgan_tui.settings import LOCK_WAIT_ENV
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.guard import StoreWriteError
from cgan_tui.ui.app import CganApp
from cgan_tui.ui.screens.message import MessageScreen
from cgan_tui.ui.screens.rate import RateScreen
from cgan_tui.ui.services import Services
from tests.ui.conftest import build_synthetic_db, results_loaded, wait_for

from .conftest import assert_kept, rows


@pytest.fixture
def synthetic(tmp_path, registries) -> Path:
    path = tmp_path / "experiments.db"
    build_synthetic_db(path, registries)
    return path


def make_app(path: Path, registries, **kw) -> CganApp:
    options = dict(plugin_loader=lambda: registries, image_renderer="halfcell", poll_interval=0.3)
    options.update(kw)
    return CganApp(Services(f"sqlite:///{path}", **options))


def toasts(app) -> list[str]:
    return [m for _, m in app.notices]  # every toast said, including those already gone from the screen


def stored(path: Path, run_id: int, epoch: int) -> dict[str, int]:
    store = open_store(f"sqlite:///{path}")
    try:
        return {r.criterion: r.value for r in q.ratings(store, [run_id]) if r.epoch == epoch}
    finally:
        store.dispose()


async def test_rating_under_a_lock_is_pending_then_saved_or_failed_and_retried(synthetic, registries, lock_process,
                                                                               monkeypatch):
    app = make_app(synthetic, registries)
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        app.push_screen(RateScreen(1, 2))
        await wait_for(pilot, lambda: isinstance(app.screen, RateScreen) and app.screen.loaded, what="rate screen")
        screen = app.screen

        # a lock released while the write waits: "saving", never drawn as saved before the commit
        monkeypatch.setenv(LOCK_WAIT_ENV, "300")
        holder = lock_process(synthetic)
        await pilot.press("3")
        await wait_for(pilot, lambda: any("waiting for the database lock" in t for t in toasts(app)), what="waiting toast")
        assert screen.pending == {"sharpness": 3} and "sharpness" not in screen.values
        assert "saving 3…" in str(screen.query_one("#rate-criteria").render())
        assert stored(synthetic, 1, 2) == {}
        holder.release()
        await wait_for(pilot, lambda: screen.values.get("sharpness") == 3, what="the rating committed")
        assert stored(synthetic, 1, 2) == {"sharpness": 3} and not screen.pending

        # a lock held past the bound: NOT SAVED with the reason, kept on screen; r retries once it is free
        monkeypatch.setenv(LOCK_WAIT_ENV, "0.5")
        holder = lock_process(synthetic)
        await pilot.press("4")  # structure
        await wait_for(pilot, lambda: "structure" in screen.failed, what="the failed write")
        value, why = screen.failed["structure"]
        assert value == 4 and f"is locked by process {holder.pid}" in why and "Nothing was saved" in why
        assert "structure" not in screen.values
        assert "NOT SAVED" in str(screen.query_one("#rate-criteria").render())
        assert any("rating structure=4 NOT saved" in t for t in toasts(app))
        assert stored(synthetic, 1, 2) == {"sharpness": 3}
        holder.release()
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.values.get("structure") == 4, what="the retried rating")
        assert stored(synthetic, 1, 2) == {"sharpness": 3, "structure": 4} and not screen.failed


async def test_rating_an_epoch_without_samples_is_refused(synthetic, registries):
    app = make_app(synthetic, registries)
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        app.push_screen(RateScreen(1, 5))
        await wait_for(pilot, lambda: isinstance(app.screen, RateScreen) and app.screen.loaded, what="rate screen")
        screen = app.screen
        assert "no samples at epoch 5" in screen.refused and "epochs that can be rated: 1, 2" in screen.refused
        await pilot.press("3")
        await wait_for(pilot, lambda: any("no samples at epoch 5" in t for t in toasts(app)), what="refusal")
        assert stored(synthetic, 1, 5) == {} and not screen.pending


async def test_lock_screen_for_a_wal_database(synthetic, registries, lock_process):
    store = open_store(f"sqlite:///{synthetic}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"  # readers are never blocked
    store.dispose()
    holder = lock_process(synthetic)
    app = make_app(synthetic, registries, lock_probe_s=0.2)
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), what="the lock screen")
        assert f"is locked by process {holder.pid}" in app.screen.text


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_database_deleted_or_replaced_while_open(synthetic, registries, tmp_path, how):
    before = rows(synthetic)
    backup = tmp_path / "copy.db"
    app = make_app(synthetic, registries)
    async with app.run_test(size=(140, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        shutil.copy(synthetic, backup)  # WAL checkpointed by the fixture's close: a complete copy
        for suffix in ("", "-wal", "-shm"):
            Path(f"{synthetic}{suffix}").unlink(missing_ok=True)
        if how == "replaced":
            os.replace(backup, synthetic)
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), what="the database-gone screen")
        assert f"the file was {how}" in app.screen.text and "nothing was saved" in app.screen.text
        with pytest.raises(StoreWriteError, match=f"was {how}"):  # no write goes into the old, unlinked file
            app.services.rate(1, 1, "detail", 5)
        await pilot.press("2")  # the modes stay closed: nothing polls a database that is gone
        assert isinstance(app.screen, MessageScreen)
    if how == "replaced":
        assert_kept(before, rows(synthetic))


async def test_queue_cursor_follows_the_run_and_running_cancel_asks(tmp_path, registries, tiny):
    from textual.widgets import DataTable

    path = tmp_path / "experiments.db"
    store = open_store(f"sqlite:///{path}")
    ids = [q.create_run(store, tiny(), priority=p) for p in (3, 2, 1)]  # shown 1, 2, 3
    running = q.create_run(store, tiny())
    q.update_run(store, running, status="running", worker_id="elsewhere", pid=None, hostname="elsewhere")
    store.dispose()
    app = make_app(path, registries)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app) or app.registries is not None, what="start")
        await pilot.press("2")
        await wait_for(pilot, lambda: len(getattr(app.screen, "rows", [])) == 4, what="queue rows")
        screen = app.screen
        table = screen.query_one(DataTable)
        assert [r.id for r in screen.rows] == [running, *ids]
        table.move_cursor(row=3)  # run ids[2], priority 1, last
        await pilot.pause()
        assert screen.current_id() == ids[2]
        for expected in (2, 3, 4):  # each + re-sorts the list upwards: the cursor must go with the run
            await pilot.press("plus")
            await wait_for(pilot, lambda want=expected: {r.id: r.priority for r in screen.rows}[ids[2]] == want,
                           what=f"priority {expected}")  # fmt: skip
            assert screen.current_id() == ids[2], (expected, [r.id for r in screen.rows])
        await pilot.press("minus")
        await wait_for(pilot, lambda: {r.id: r.priority for r in screen.rows}[ids[2]] == 3, what="priority 3")
        assert {r.id: r.priority for r in screen.rows} == {running: 0, ids[0]: 3, ids[1]: 2, ids[2]: 3}

        from cgan_tui.ui.screens.confirm import ConfirmScreen

        table.move_cursor(row=0)  # the running run: x asks first (a modal yes/no), no keeps it
        await pilot.pause()
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cancel question")
        assert f"Run {running}" in app.screen.question and "is running" in app.screen.question
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen, what="the question answered no")
        await wait_for(pilot, lambda: any("not cancelled" in m for _, m in app.notices), what="kept, said so")
        assert not next(r for r in screen.rows if r.id == running).cancel_requested
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cancel question again")
        await pilot.press("y")
        await wait_for(pilot, lambda: next(r for r in screen.rows if r.id == running).cancel_requested,
                       what="cancel requested")  # fmt: skip
        table.move_cursor(row=[r.id for r in screen.rows].index(ids[1]))  # a queued run: x cancels at once
        await pilot.pause()
        await pilot.press("x")
        await wait_for(pilot, lambda: ids[1] not in [r.id for r in screen.rows], what="queued run cancelled")


async def test_a_progress_row_updated_before_it_is_drawn_shows_the_latest_row(tmp_path, tiny):
    """The queue screen mounts a run's progress widget and the next poll may update it before it has
    composed its bar (seen once in the full suite: NoMatches, the app crashed): it keeps the row and
    draws it when mounted."""
    import dataclasses

    from textual.app import App
    from textual.widgets import ProgressBar

    from cgan_tui.runner.queue import queue_rows
    from cgan_tui.ui.widgets.run_progress import RunProgress

    store = open_store(f"sqlite:///{tmp_path / 'experiments.db'}")
    rid = q.create_run(store, tiny(epochs=2, checkpoint_epochs=(2,)))
    q.update_run(store, rid, status="running", worker_id="w", current_epoch=0)
    first = queue_rows(store)[0]
    store.dispose()
    latest = dataclasses.replace(first, current_epoch=1, current_step=1, steps_per_epoch=1)  # the next poll
    widget = RunProgress(first)
    widget.update_row(latest)  # the next poll, before the widget is composed

    class Host(App):
        def compose(self):
            yield widget

    async with Host().run_test() as pilot:
        await pilot.pause()
        assert widget.row is latest and latest.fraction > first.fraction
        assert widget.query_one(ProgressBar).progress == round(100 * latest.fraction, 1)
