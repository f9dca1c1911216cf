"""Snapshots of the main screens (pytest-textual-snapshot) with the half-cell image renderer forced.

They draw the deterministic ``snapshot_db`` (see conftest): the behaviour tests use real runs, the
pictures use content that is identical on every machine.

Update after an intended change with ``pytest tests/ui/test_snapshots.py --snapshot-update`` and look
at the report before committing.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from cgan_tui.config import RunConfig
from cgan_tui.runner.queue import enqueue_grid
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.detail import RunDetailScreen

from .conftest import results_loaded, wait_for

SIZE = (160, 48)


@pytest.fixture
def stable_registries(registries):
    """Only the built-ins and this suite's in-process plugins: plugin packages other tests pip-install
    into the environment would otherwise change the plugins snapshot."""
    keep = [p for p in registries.plugins if p.package in ("cgan-tui", "(in-process)")]
    return replace(registries, plugins=keep)


def test_results_snapshot(snapshot_db, make_app, stable_registries, snap_compare):
    app = make_app(snapshot_db.url, plugin_loader=lambda: stable_registries)

    async def ready(pilot):
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("f")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_detail_snapshot(snapshot_db, make_app, stable_registries, snap_compare):
    app = make_app(snapshot_db.url, plugin_loader=lambda: stable_registries)

    async def ready(pilot):
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        app.push_screen(RunDetailScreen(snapshot_db.run_ids[0], 2))
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None
                       and app.screen.query_one("SampleGrid").png is not None, what="detail")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_queue_snapshot(snapshot_db, make_app, registries, stable_registries, snap_compare):
    store = open_store(snapshot_db.url)
    enqueue_grid(store, [RunConfig(model="seed000", loss=loss, embed_dim=32) for loss in ("hinge", "wgan-gp")],
                 registries=registries, priority=2)
    store.dispose()
    app = make_app(snapshot_db.url, plugin_loader=lambda: stable_registries)

    async def ready(pilot):
        await pilot.press("2")
        await wait_for(pilot, lambda: len(getattr(app.screen, "rows", [])) == 2, what="queue rows")

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_plugins_snapshot(snapshot_db, make_app, stable_registries, snap_compare):
    app = make_app(snapshot_db.url, plugin_loader=lambda: stable_registries)

    async def ready(pilot):
        await pilot.press("3")
        await wait_for(pilot, lambda: app.registries is not None
                       and app.screen.query_one("#plugins-table").row_count > 0, what="plugins")

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def _zoom_ready(app, run_ids, compare: bool = False):
    from cgan_tui.ui.screens.zoom import ZoomScreen
    from cgan_tui.ui.widgets.class_row import ClassRow

    async def ready(pilot):
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        if compare:
            await pilot.press("space", "down", "space", "v")
            await wait_for(pilot, lambda: len(app.screen.query("SampleGrid")) == 2
                           and all(g.png is not None for g in app.screen.query("SampleGrid")), what="compare")
        else:
            app.push_screen(RunDetailScreen(run_ids[0], 2))
            await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None
                           and app.screen.query_one("SampleGrid").png is not None, what="detail")
        await pilot.press("z", "down")  # class 1
        await wait_for(pilot, lambda: isinstance(app.screen, ZoomScreen) and app.screen.loaded
                       and all(r.label == 1 and r.shown for r in app.screen.query(ClassRow)), what="zoom")
        await pilot.pause(0.2)

    return ready


@pytest.mark.parametrize("size", [(160, 48), (80, 24)], ids=["160x48", "80x24"])
def test_detail_zoom_snapshot(snapshot_db, make_app, stable_registries, snap_compare, size):
    app = make_app(snapshot_db.url, plugin_loader=lambda: stable_registries)
    assert snap_compare(app, terminal_size=size, run_before=_zoom_ready(app, snapshot_db.run_ids))


def test_compare_zoom_snapshot(snapshot_db, make_app, stable_registries, snap_compare):
    app = make_app(snapshot_db.url, plugin_loader=lambda: stable_registries)
    assert snap_compare(app, terminal_size=SIZE, run_before=_zoom_ready(app, snapshot_db.run_ids, compare=True))


def test_rate_snapshot(snapshot_db, make_app, stable_registries, snap_compare):
    from cgan_tui.ui.screens.rate import RateScreen

    app = make_app(snapshot_db.url, plugin_loader=lambda: stable_registries)

    async def ready(pilot):
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        app.push_screen(RateScreen(snapshot_db.run_ids[0], 2, "bce embedding e2"))
        await wait_for(pilot, lambda: isinstance(app.screen, RateScreen) and app.screen.loaded, what="rate")
        await pilot.press("right", "right")  # class 2
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


def test_compare_snapshot(snapshot_db, make_app, stable_registries, snap_compare):
    """A wide terminal: two classes a grid, the loss chart beside the metrics table."""
    from cgan_tui.ui.screens.compare import CompareScreen

    app = make_app(snapshot_db.url, plugin_loader=lambda: stable_registries)

    async def ready(pilot):
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        by_key = {(r.run_id, r.epoch): r for r in app.screen.rows}
        app.push_screen(CompareScreen([by_key[(r, 2)] for r in snapshot_db.run_ids], "inception", app.screen.rows))
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.epoch == 2
                       and all(g.png is not None for g in app.screen.query("SampleGrid")), what="compare grids")
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=SIZE, run_before=ready)


# 80x24 and 70x20: tests/ui/test_snapshots_small.py
