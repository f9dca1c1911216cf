"""One cheap query telling a poller (the TUI's results screen) whether anything it shows changed."""

from __future__ import annotations

import functools

from sqlalchemy import text

from cgan_tui.store.db import Store
from cgan_tui.store.location import LABELS_SINCE
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

LABELS_SQL = "SELECT count(*), max(updated_at) FROM runlabel"
"""Notes, tags and archive flags (schema 5 on): an edit moves ``updated_at``."""


@functools.cache
def _change_sql() -> str:
    """CHANGE_SQL with one count per run status (portable: PostgreSQL has no ``group_concat``)."""
    return CHANGE_SQL.format(
        status_counts="\n".join(f"  (SELECT count(*) FROM run WHERE status = '{s.name}')," for s in RunStatus)
    )


def change_token(store: Store) -> tuple:
    """A fingerprint of everything the results table shows: reload only when it moves."""
    with store.engine.connect() as conn:
        token = tuple(conn.execute(text(_change_sql())).one())
        version = conn.execute(text("SELECT version FROM schemainfo WHERE id = 1")).scalar() or 0
        if int(version) >= LABELS_SINCE:  # a schema-4 database read as it is has no labels yet
            token += tuple(conn.execute(text(LABELS_SQL)).one())
        return token
