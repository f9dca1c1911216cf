"""Opening databases: bad URLs and typo'd paths are one-line ``StoreError``s and leave nothing behind."""

from __future__ import annotations

import importlib.util
import re

import pytest

from cgan_tui.store.db import StoreError, open_store


@pytest.mark.parametrize(
    "url, message",
    [
        ("::://", "is neither a SQLite path nor a database URL"),
        ("foo://host/db", "unknown database kind 'foo'"),
        ("sqlite+nodriver:///x.db", "unknown database kind 'sqlite+nodriver'"),
    ],
)
def test_bad_urls_are_store_errors(url, message):
    with pytest.raises(StoreError, match=re.escape(message)) as info:
        open_store(url)
    assert "\n" not in str(info.value)


@pytest.mark.skipif(importlib.util.find_spec("MySQLdb") is not None, reason="the MySQL driver is installed here")
def test_missing_driver_names_it_and_hides_the_password():
    with pytest.raises(StoreError, match="needs the Python driver MySQLdb") as info:
        open_store("mysql://user:secret@nohost/db")
    assert "secret" not in str(info.value)


def test_reading_a_missing_database_creates_no_file(tmp_path):
    path = tmp_path / "typo.db"
    with pytest.raises(StoreError, match="no database at"):
        open_store(str(path), create=False)
    assert list(tmp_path.iterdir()) == []
    open_store(str(path)).dispose()  # creating still works
    open_store(str(path), create=False).dispose()


def test_schema_2_database_gains_precision_and_eval_progress(tmp_path):
    """A database written before schema 3 opens, is upgraded in place, keeps its runs (precision NULL)."""
    import sqlite3

    from cgan_tui.store.tables import SCHEMA_VERSION

    path = tmp_path / "v2.db"
    store = open_store(str(path))
    store.dispose()
    con = sqlite3.connect(path)
    con.executescript(
        "ALTER TABLE run DROP COLUMN precision; ALTER TABLE run DROP COLUMN eval_progress;"
        "ALTER TABLE run DROP COLUMN eval_pending;"
        "INSERT INTO run (config_json, model, loss, conditioning, d_conditioning, embed_dim, epochs, seed, status,"
        " priority, cancel_requested, attempts, current_epoch, current_step, steps_per_epoch, created_at)"
        " VALUES ('{}', 'seed004', 'bce', 'one-hot', '', 10, 1, 0, 'completed', 0, 0, 0, 1, 0, 0, '2026-01-01');"
        "UPDATE schemainfo SET version = 2;"
    )
    con.commit()
    con.close()
    store = open_store(str(path), create=False)
    store.dispose()
    con = sqlite3.connect(path)
    columns = {row[1] for row in con.execute("PRAGMA table_info(run)")}
    assert {"precision", "eval_progress", "eval_pending"} <= columns
    assert con.execute("SELECT version FROM schemainfo").fetchone()[0] == SCHEMA_VERSION == 6
    assert con.execute("SELECT model, precision FROM run").fetchall() == [("seed004", None)]
    con.close()
