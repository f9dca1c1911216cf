"""Where the database is and which schema it must have: plain strings and numbers, no SQLAlchemy.

Kept apart from ``store.db`` so that the TUI can resolve ``--db`` and read its first screenful
(``store.results_sql``) before the database layer is imported (about 1 s on a 2-core machine).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from cgan_tui.redact import redact
from cgan_tui.settings import settings

DEFAULT_DB = "experiments.db"
SCHEMA_VERSION = 6
"""2: ``MetricValue.backbone`` (hash of the network behind a value), part of its identity.
3: ``Run.precision`` (what ``auto`` resolved to, with why) and ``Run.eval_progress`` (live evaluation).
4: ``Run.eval_pending`` (epochs whose evaluation did not finish: evaluation is a resumable phase).
5: ``RunLabel`` (a run's note, tags and archived flag).
6: ``StepSeries`` (step-level training curves, one row per run, epoch and value)."""
READABLE_SINCE = 4
"""The oldest schema read as it is, without migrating: later versions only add tables, which readers of an
older database see as empty (the committed study, docs/studies/seed004.db, is read without a write).
The first write that needs a newer table upgrades the database (``store.db.upgrade``)."""
LABELS_SINCE = 5
"""The schema that added the ``runlabel`` table (notes, tags, archived): older databases have no labels."""
STEPS_SINCE = 6
"""The schema that added the ``stepseries`` table: older databases have per-epoch curves only."""


def database_url(value: str | None = None) -> str:
    """``--db`` value, else ``$CGAN_TUI_DB``, else ``./experiments.db``; plain paths become SQLite URLs."""
    raw = value or settings().db or DEFAULT_DB
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser().resolve()}"


_SQLITE_URL = re.compile(r"sqlite(\+\w+)?:///(?P<path>[^?]*)(\?.*)?", re.S)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (``sqlite:///PATH``, ``sqlite+pysqlite:///PATH?opts``); None for any
    other database and for an in-memory one. The one test of "is this URL a SQLite file" (no SQLAlchemy)."""
    match = _SQLITE_URL.fullmatch(url)
    if match is None:
        return None
    path = unquote(match["path"])
    return Path(path) if path and path != ":memory:" else None


def database_label(url: str) -> str:
    """The database as a reader should see it: the SQLite file's name, else the URL without secrets."""
    path = sqlite_path(url)
    return path.name if path is not None else redact(url)
