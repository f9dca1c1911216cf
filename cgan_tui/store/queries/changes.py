"""One cheap query telling a poller (the TUI's results screen) whether anything it shows changed."""

from __future__ import annotations

import functools

from sqlalchemy import text

from cgan_tui.store.db import Store
from cgan_tui.store.tables import RunStatus

CHANGE_SQL = """
SELECT
  (SELECT count(*) FROM run),
  (SELECT coalesce(sum(current_epoch), 0) FROM run),
{status_counts}
  (SELECT max(id) FROM metricvalue),
  (SELECT max(created_at) FROM metricvalue),
  (SELECT count(*) FROM rating),
  (SELECT max(created_at) FROM rating),
  (SELECT max(id) FROM checkpoint)
"""


@functools.cache
def _change_sql() -> str:
    """CHANGE_SQL with one count per run status (portable: PostgreSQL has no ``group_concat``)."""
    return CHANGE_SQL.format(
        status_counts="\n".join(f"  (SELECT count(*) FROM run WHERE status = '{s.name}')," for s in RunStatus)
    )


def change_token(store: Store) -> tuple:
    """A fingerprint of everything the results table shows: reload only when it moves."""
    with store.engine.connect() as conn:
        return tuple(conn.execute(text(_change_sql())).one())
