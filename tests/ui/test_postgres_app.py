"""The TUI on a ``postgresql://`` URL: results and queue load from a real server, and the header shows
the URL with its password masked."""

from __future__ import annotations

from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.queue import QueueScreen
from tests.pg_server import PASSWORD

from .conftest import build_synthetic_db, results_loaded, wait_for


async def test_app_opens_on_postgresql_and_hides_the_password(pg_url, registries, make_app):
    ids = build_synthetic_db(None, registries, url=pg_url)
    store = open_store(pg_url)
    queued = queries.create_run(store, queries.run_config(queries.get_run(store, ids[0])))
    store.dispose()
    app = make_app(pg_url)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results from PostgreSQL")
        assert set(ids) <= {row.run_id for row in app.screen.table.shown}
        assert app.sub_title.startswith("postgresql://postgres:***@127.0.0.1:")
        assert PASSWORD not in app.sub_title and PASSWORD not in str(app.screen.query_one("Header").render())
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue screen")
        await wait_for(pilot, lambda: [r.id for r in app.screen.rows] == [queued], what="the queued run")
