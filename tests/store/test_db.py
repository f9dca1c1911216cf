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
