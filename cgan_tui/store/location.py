"""Where the database is and which schema it must have: plain strings and numbers, no SQLAlchemy.

Kept apart from ``store.db`` so that the TUI can resolve ``--db`` and read its first screenful
(``store.results_sql``) before the database layer is imported (about 1 s on a 2-core machine).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from cgan_tui.settings import settings

DB_ENV = "CGAN_TUI_DB"
DEFAULT_DB = "experiments.db"
SCHEMA_VERSION = 5
"""2: ``MetricValue.backbone`` (hash of the network behind a value), part of its identity.
3: ``Run.precision`` (what ``auto`` resolved to, with why) and ``Run.eval_progress`` (live evaluation).
4: ``Run.eval_pending`` (epochs whose evaluation did not finish: evaluation is a resumable phase).
5: ``RunLabel`` (a run's note, tags and archived flag)."""
READABLE_SINCE = 4
"""The oldest schema read as it is, without migrating: later versions only add tables, which readers of an
older database see as empty (the committed study, docs/studies/seed004.db, is read without a write).
The first write that needs a newer table upgrades the database (``store.db.upgrade``)."""
LABELS_SINCE = 5
"""The schema that added the ``runlabel`` table (notes, tags, archived): older databases have no labels."""


def database_url(value: str | None = None) -> str:
    """``--db`` value, else ``$CGAN_TUI_DB``, else ``./experiments.db``; plain paths become SQLite URLs."""
    raw = value or settings().db or DEFAULT_DB
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser().resolve()}"


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL (no driver suffix, no options); None for anything else."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url:
        return None
    path = unquote(url[len(prefix):])
    return Path(path) if path and path != ":memory:" else None
