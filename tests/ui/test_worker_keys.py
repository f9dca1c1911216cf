"""The queue screen's `w`/`W` start and stop workers of the kind chosen by name (``EXECUTORS``)."""

from __future__ import annotations

from cgan_tui.runner.executors import EXECUTORS, LocalPool
from cgan_tui.ui.screens.queue import QueueScreen

from .conftest import wait_for


def _toasts(app) -> list[str]:
    return [m for _, m in app.notices]


async def test_w_starts_and_W_stops_the_chosen_executor(snapshot_db, make_app):  # noqa: N802 - w and W are the keys
    app = make_app(snapshot_db.url, executor="local")
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue screen")
        await pilot.press("w")
        await wait_for(pilot, lambda: any("started a local worker; alive: 1" in t for t in _toasts(app)),
                       what="the worker to start")  # fmt: skip
        assert isinstance(app.services._pool, EXECUTORS["local"]) and EXECUTORS["local"] is LocalPool
        assert app.services.workers_running == 1
        await pilot.press("W")
        await wait_for(pilot, lambda: any("stopped local workers" in t for t in _toasts(app)), what="the stop")
        assert app.services.workers_running == 0
