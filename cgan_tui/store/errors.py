"""``StoreError``: the one exception type of a database that cannot be used as asked.

Its own module so that ``store.db`` (opening) and ``store.guard`` (bounded waits, one-line faults)
both raise it without importing each other.
"""

from __future__ import annotations

from cgan_tui.errors import UserError


class StoreError(UserError, RuntimeError):
    """The database cannot be used as asked; the message says why and what to do."""


__all__ = ["StoreError"]
