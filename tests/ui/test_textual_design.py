"""The app uses Textual as designed: modes (``MODES``), reactive state, a modal yes/no, one error policy
for background workers, a help panel on every screen and a footer that fits 80 columns."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from cgan_tui.ui.screens.detail import RunDetailScreen
from cgan_tui.ui.screens.help import HelpScreen
from cgan_tui.ui.screens.queue import QueueScreen
from cgan_tui.ui.screens.rate import RateScreen
from cgan_tui.ui.screens.results import ResultsScreen

from .conftest import results_loaded, wait_for


def _errors(app) -> list[str]:
    return [m for severity, m in app.notices if severity == "error"]


def _boom(*_args, **_kwargs):
    raise RuntimeError("boom from a loader")


@pytest.mark.parametrize(
    "service, open_screen, screen_type, job",
    [
        ("run", lambda app, ids: app.push_screen(RunDetailScreen(ids[0], 2)), RunDetailScreen, "loading the run"),
        ("ratings", lambda app, ids: app.push_screen(RateScreen(ids[0], 2, "x")), RateScreen,
         "loading the model to rate"),
        ("queue_rows", lambda app, ids: app.action_show_mode("queue"), QueueScreen, "reading the queue"),
    ],
    ids=["detail", "rate", "queue"],
)
async def test_a_loader_raising_runtime_error_is_shown_and_the_app_keeps_running(
    snapshot_db, make_app, monkeypatch, service, open_screen, screen_type, job
):
    """A plain ``RuntimeError`` (not a ``UserError``) in a background loader: with Textual's default
    (``exit_on_error=True``) it would quit the app. The one policy shows it on the screen that asked."""
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        monkeypatch.setattr(app.services, service, _boom)
        open_screen(app, snapshot_db.run_ids)
        line = f"{job}: RuntimeError: boom from a loader"
        await wait_for(pilot, lambda: line in _errors(app), what="the error line")
        assert app.is_running and isinstance(app.screen, screen_type)
        monkeypatch.undo()  # the app goes on working: back to the results, which still sort
        app.action_show_mode("results")
        while len(app.screen_stack) > 1:
            app.pop_screen()
        await pilot.pause()
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen)
                       and app.screen.sort_keys == [("fid@inception", False)], what="results still work")  # fmt: skip
        assert app.is_running


async def test_modes_keep_each_screen_and_its_state(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        results = app.screen
        assert app.current_mode == "results" and set(app.MODES) == {"results", "queue", "plugins"}
        await pilot.press("f", "2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue")
        assert app.current_mode == "queue"
        await pilot.press("1")
        assert app.screen is results and results.sort_keys == [("fid@inception", False)]


async def test_results_state_is_reactive(snapshot_db, make_app):
    """Assigning the screen's state redraws the table: no action has to call a redraw."""
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        screen.filter_text = "loss:hinge"
        await pilot.pause()
        assert screen.table.shown and {r.loss for r in screen.table.shown} == {"hinge"}
        assert "filter 'loss:hinge'" in str(screen.query_one("#results-status").render())
        screen.marked = [(screen.table.shown[0].run_id, screen.table.shown[0].epoch)]
        await pilot.pause()
        assert "1 marked" in str(screen.query_one("#results-status").render())


def footer_line(app) -> str:
    """The bottom line as the terminal shows it (the footer), read from the rendered screen."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False,
                      safe_box=False, color_system="truecolor")  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text(styles=False).rstrip("\n").split("\n")[-1]


async def _open(pilot, app, name: str, ids: list[int]) -> None:
    from cgan_tui.ui.screens.aggregate import AggregateScreen
    from cgan_tui.ui.screens.compare import CompareScreen
    from cgan_tui.ui.screens.plugins import PluginsScreen
    from cgan_tui.ui.screens.zoom import ZoomScreen

    if name == "results":
        return
    if name in ("queue", "plugins"):
        await pilot.press({"queue": "2", "plugins": "3"}[name])
        await wait_for(pilot, lambda: isinstance(app.screen, (QueueScreen, PluginsScreen)), what=name)
        return
    if name in ("detail", "zoom"):
        app.push_screen(RunDetailScreen(ids[0], 2))
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="detail")  # fmt: skip
        if name == "zoom":
            await pilot.press("z")
            await wait_for(pilot, lambda: isinstance(app.screen, ZoomScreen) and app.screen.loaded, what="zoom")
        return
    if name == "rate":
        app.push_screen(RateScreen(ids[0], 2, "bce"))
        await wait_for(pilot, lambda: isinstance(app.screen, RateScreen) and app.screen.loaded, what="rate")
        return
    if name == "compare":
        await pilot.press("space", "down", "space", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="compare")
        return
    await pilot.press("a")
    await wait_for(pilot, lambda: isinstance(app.screen, AggregateScreen), what="aggregate")


@pytest.mark.parametrize("name", ["results", "detail", "zoom", "rate", "compare", "aggregate", "queue", "plugins"])
async def test_footer_fits_80_columns_and_help_lists_every_key(snapshot_db, make_app, name):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await _open(pilot, app, name, snapshot_db.run_ids)
        await pilot.pause(0.2)
        screen = app.screen
        keys = list(screen.query_one(Footer).query(FooterKey))
        shown = [f"{k.key_display} {k.description}" for k in keys]
        line = footer_line(app)
        missing = [s for s in shown if s not in line]
        assert not missing, f"cut or off the edge at 80 columns: {missing} in {line!r}"
        assert "? Help" in shown
        # every key of the screen is in the help panel, the footer's and the rest (? and F1 both open it)
        for key in ("question_mark", "f1"):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help panel")
            listed = {what for _, what, _ in app.screen.keys}
            declared = {b.description for b in type(screen).BINDINGS if b.description != b.key}
            assert declared <= listed and {"Results", "Queue", "Plugins", "Quit", "Help"} <= listed
            await pilot.press(key)
            await wait_for(pilot, lambda s=screen: app.screen is s, what="help closed")


def test_every_background_worker_follows_the_one_policy():
    """Workers are made only by ``cgan_tui.ui.background`` (``exit_on_error=False``, one handler): no
    ``@work`` or ``run_worker`` elsewhere in the UI, and every screen that starts one has the handler."""
    import inspect
    from pathlib import Path

    import cgan_tui.ui as ui
    from cgan_tui.ui.background import ReportsWorkerErrors

    root = Path(ui.__file__).parent
    for path in root.rglob("*.py"):
        if path.name == "background.py":
            continue
        text = path.read_text()
        assert "@work" not in text and "run_worker(" not in text, path
    from cgan_tui.ui.app import CganApp
    from cgan_tui.ui.screens import compare, detail, grid_picker, new_run, queue, rate, results, zoom

    for module in (compare, detail, grid_picker, new_run, queue, rate, results, zoom):  # the screens with workers
        screens = [c for _, c in inspect.getmembers(module, inspect.isclass)
                   if c.__module__ == module.__name__ and c.__name__.endswith("Screen")]  # fmt: skip
        assert screens and all(issubclass(c, ReportsWorkerErrors) for c in screens), module.__name__
    assert issubclass(CganApp, ReportsWorkerErrors)


def test_a_job_that_meets_a_damaged_database_gets_the_one_screen_not_a_toast():
    """A background read that hits damaged pages outside the store's guard (a poll's raw SQLAlchemy error)
    is routed to the same one-screen message the guard gives (found by a busy full run: a poll showed a
    toast per poll instead of the damaged-database screen)."""
    import sqlite3
    import types

    from sqlalchemy.exc import DatabaseError

    from cgan_tui.ui.background import damaged_line

    app = types.SimpleNamespace(services=types.SimpleNamespace(store=types.SimpleNamespace(url="sqlite:////tmp/x.db")))
    raw = DatabaseError("SELECT 1", {}, sqlite3.DatabaseError("database disk image is malformed"))
    line = damaged_line(app, raw)
    assert line is not None and line.startswith("database /tmp/x.db is damaged (database disk image is malformed)")
    assert damaged_line(app, RuntimeError("boom")) is None
