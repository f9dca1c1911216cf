"""Short, guarded transactions: the one way every query below touches the database."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cgan_tui.store import guard
from cgan_tui.store.db import Store

T = TypeVar("T")


def write(store: Store, fn: Callable[[Session], T], what: str = "write") -> T:
    """Run ``fn(session)`` in one short transaction and commit; it lands or raises ``StoreWriteError``.

    A locked database is waited for (bounded, visibly: ``store.guard``); read-only, full and vanished
    databases raise at once with a one-line message. ``fn`` must be safe to repeat: on a retry it runs
    again in a fresh session. A unique-key race (two writers inserting the same metric) is retried
    too: the second attempt sees the row.
    """
    integrity_failures = 0

    def attempt() -> T:
        nonlocal integrity_failures
        while True:
            try:
                with store.session() as session:
                    result = fn(session)
                    session.commit()
                    return result
            except IntegrityError:
                integrity_failures += 1
                if integrity_failures > 2:
                    raise

    return guard.attempt_loop(store, attempt, what=what)


def read(store: Store, fn: Callable[[Session], T]) -> T:
    """Run a read-only ``fn(session)``, waiting on locks like ``write`` (a WAL reader rarely sees one)."""

    def attempt() -> T:
        with store.session() as session:
            return fn(session)

    return guard.attempt_loop(store, attempt, what="read")
