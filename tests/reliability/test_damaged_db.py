"""A database with damaged pages (header and size intact): one line for the CLI, one screen in the app,
even when the damage is first met by a read in the app's polling thread; the file is never changed."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from cgan_tui.config import RunConfig
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.guard import DAMAGED
from cgan_tui.ui.app import CganApp
from cgan_tui.ui.screens.message import MessageScreen
from cgan_tui.ui.services import Services
from tests.pg_server import PASSWORD
from tests.ui.conftest import wait_for

from .conftest import cli, one_line

PAGE_GARBAGE = b"\xde\xad\xbe\xef" * 1024


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def damaged(tmp_path) -> Path:
    """A real database (WAL, checkpointed) whose metric rows' leaf pages are overwritten with garbage:
    it opens (schema, runs intact) and the first read of the metrics meets the damage."""
    path = tmp_path / "experiments.db"
    store = open_store(f"sqlite:///{path}")
    for seed in range(12):
        rid = q.create_run(store, RunConfig(seed=seed, epochs=3))
        for epoch in (1, 2, 3):
            q.upsert_metrics(store, rid, epoch, {f"m{k}": float(k) for k in range(40)}, backend="classifier",
                             n_samples=100)  # fmt: skip
    store.dispose()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = [p for (p,) in conn.execute("SELECT pageno FROM dbstat WHERE name = 'metricvalue' AND pagetype = 'leaf'")]
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert len(pages) > 4 and size == len(PAGE_GARBAGE)
    with open(path, "r+b") as fh:
        for page in pages[1:-1]:  # the first and last stay: a damaged middle
            fh.seek((page - 1) * size)
            fh.write(PAGE_GARBAGE)
    return path


def test_cli_commands_say_damaged_in_one_line_and_change_nothing(damaged, tmp_path):
    before = sha(damaged)
    db = f"sqlite:///{damaged}"
    for args in (["ls"], ["show", "6"], ["export"], ["report", "-o", str(tmp_path / "report")]):
        done = cli(*args, "--db", db)
        assert done.returncode != 0, (args, done.stdout)
        line = one_line(done.stderr, f"database {damaged} is damaged", "malformed", f"sqlite3 {damaged} .recover")
        assert "Traceback" not in done.stdout + done.stderr and "sqlalche" not in line, line
    assert sha(damaged) == before


async def test_app_shows_one_screen_when_a_poll_meets_the_damage(damaged, registries):
    before = sha(damaged)
    app = CganApp(Services(f"sqlite:///{damaged}", plugin_loader=lambda: registries, image_renderer="halfcell",
                           poll_interval=0.2))  # fmt: skip
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), what="the damaged-database screen")
        assert f"database {damaged} is damaged" in app.screen.text and ".recover" in app.screen.text
        for _ in range(3):  # later polls add neither screens nor toasts
            await pilot.pause(0.3)
        assert sum(isinstance(s, MessageScreen) for s in app.screen_stack) == 1
        assert not [text for _, text in app.notices if "malformed" in text or "SELECT" in text], app.notices
        await pilot.press("1")
        assert isinstance(app.screen, MessageScreen)
    assert sha(damaged) == before


@pytest.mark.parametrize("state, words", [("XX001", "data_corrupted"), ("XX002", "index_corrupted")])
def test_postgresql_corruption_class_gives_the_same_one_line(pg_url, state, words):
    """The real server raises SQLSTATE XX001/XX002 (as it does for an invalid page) inside a store read."""
    from sqlalchemy import text

    from cgan_tui.store.guard import StoreWriteError

    store = open_store(pg_url)
    raise_it = f"DO $$ BEGIN RAISE EXCEPTION 'invalid page in block 7' USING ERRCODE = '{words}'; END $$"
    with pytest.raises(StoreWriteError) as caught:
        q.read(store, lambda session: session.execute(text(raise_it)))
    store.dispose()
    assert caught.value.kind == DAMAGED
    line = str(caught.value)
    assert "\n" not in line and "reports corrupted data" in line and "invalid page in block 7" in line
    assert f"SQLSTATE {state}" in line and "REINDEX" in line and PASSWORD not in line
