"""Engine from a database URL, SQLite tuned for several writer processes, schema versioning.

A database written by a newer cgan-tui, or a file that is not a database, raises ``StoreError``
with a one-line explanation and is never touched, let alone overwritten.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from sqlmodel import Session, SQLModel, create_engine, select

from cgan_tui.artifacts import ArtifactStore
from cgan_tui.artifacts import from_environment as artifacts_from_environment
from cgan_tui.redact import redact
from cgan_tui.store import tables
from cgan_tui.store.errors import StoreError
from cgan_tui.store.guard import attempt_loop
from cgan_tui.store.location import DEFAULT_DB, READABLE_SINCE, database_url, sqlite_path  # noqa: F401 - re-exported
from cgan_tui.store.tables import SCHEMA_VERSION, SchemaInfo

BUSY_TIMEOUT_S = 30.0
BUSY_SLICE_MS = 1000
"""SQLite's own busy wait per attempt; ``store.guard`` loops (bounded by $CGAN_TUI_LOCK_WAIT_S, with a
progress line) around it, so a waiting writer reports and can stop."""


def _with_installed_driver(url: str) -> str:
    """``postgresql://`` means SQLAlchemy's psycopg2 driver; use psycopg 3 when only that is installed
    (what ``pip install cgan-tui[postgres]``/``./dev`` install), so plain URLs from the docs just work."""
    import importlib.util

    if url.startswith(("postgresql://", "postgres://")) and importlib.util.find_spec("psycopg2") is None:
        if importlib.util.find_spec("psycopg") is not None:
            return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def default_artifacts(url: str) -> Path:
    """Where run files go unless ``--artifacts``/``$CGAN_TUI_ARTIFACTS`` say otherwise: beside the
    SQLite file (``NAME_artifacts/``), else ./cgan_artifacts."""
    db_path = sqlite_path(url)
    if db_path is not None:
        return db_path.with_name(db_path.stem + "_artifacts")
    return Path("cgan_artifacts").resolve()


def artifact_store(url: str) -> ArtifactStore:
    """The artifact root for a database: ``$CGAN_TUI_ARTIFACTS`` (a folder or fsspec URL), else the default."""
    return artifacts_from_environment(default_artifacts(url))


def artifacts_dir(url: str) -> Path:
    """The local folder for this database's run files (the root, or a remote root's staging folder)."""
    return artifact_store(url).local_root


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {BUSY_SLICE_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _check_sqlite_file(path: Path) -> None:
    """Refuse a file that exists but is not SQLite before SQLAlchemy gets a chance to touch it."""
    if not path.exists():
        if not path.parent.exists():
            raise StoreError(f"cannot create database {path}: folder {path.parent} does not exist")
        return
    if path.is_dir():
        raise StoreError(f"database path {path} is a folder; give a file path or a database URL")
    if not os.access(path, os.R_OK):
        raise StoreError(f"database {path} is not readable (permission denied)")
    # Read through SQLite, never with open()/close() of our own: closing any descriptor of the file
    # drops every POSIX lock this process holds on it, including those of SQLite connections already
    # open here (another process could then write under them, and they see "disk I/O error").
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_SLICE_MS / 1000)
        try:
            conn.execute("PRAGMA schema_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc) or "malformed" in str(exc):
            raise StoreError(f"{path} is not a SQLite database (corrupt or another file type); it was left untouched") from None
        # locked, unreadable -wal: open_store's own attempt explains (or waits)


def _parse_url(url: str):
    try:
        return make_url(url)
    except ArgumentError:
        raise StoreError(f"--db {redact(url)!r} is neither a SQLite path nor a database URL like postgresql://user@host/db") from None
    except ValueError as exc:  # SQLAlchemy parses the port and an IPv6 host itself: "[::1/db" is not a URL
        raise StoreError(f"--db {redact(url)!r} is not a valid database URL ({redact(exc)}); a host with a port is "
                         "written host:5432, an IPv6 host [::1]:5432") from None  # fmt: skip


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a malformed URL, unknown dialect or missing driver is a ``StoreError``."""
    parsed = _parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            path = sqlite_path(url)
            if path is not None:
                _check_sqlite_file(path)
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(_with_installed_driver(url), pool_pre_ping=True)
    except NoSuchModuleError:
        raise StoreError(
            f"unknown database kind {parsed.drivername!r} in {redact(url)}; use a SQLite path or e.g. postgresql://..."
        ) from None
    except ImportError as exc:  # the dialect exists but its driver package is not installed
        raise StoreError(
            f"database {redact(url)} needs the Python driver {exc.name or exc}, "
            "which is not installed (pip install it, or use a SQLite path)"
        ) from None


@dataclass
class Store:
    """An opened, schema-checked database: hand this to the CLI, workers and the app."""

    url: str
    engine: Engine
    file_identity: tuple[int, int] | None = None
    """(st_dev, st_ino) of the SQLite file when opened: a deleted or replaced file is refused later."""
    artifact_store: ArtifactStore | None = None  # default: from $CGAN_TUI_ARTIFACTS / beside the database
    schema_version: int = SCHEMA_VERSION
    """The database's schema when opened: below ``SCHEMA_VERSION`` (not below ``READABLE_SINCE``) it was
    read as it is, and ``upgrade`` migrates it before a write that needs the newer tables."""

    def __post_init__(self) -> None:
        if self.artifact_store is None:
            self.artifact_store = artifact_store(self.url)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @property
    def artifacts(self) -> Path:
        """The local folder of run files (the artifact root, or its staging folder when remote)."""
        return self.artifact_store.local_root  # type: ignore[union-attr]

    def run_dir(self, run_id: int) -> Path:
        """The local folder a run's files are written into (created)."""
        return self.artifact_store.run_dir(run_id)  # type: ignore[union-attr]

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, create: bool = True) -> Store:
    """Open (and, when ``create``, initialise) a database; check its schema version."""
    url = database_url(url)
    _parse_url(url)  # a malformed URL: one line before anything else
    path = sqlite_path(url)
    if not create and path is not None and not path.exists():  # reading must not leave an empty file
        raise StoreError(f"no database at {path}; check --db, or run `cgan-tui train` / `cgan-tui queue add` first")
    engine = make_engine(url)
    store = Store(url=url, engine=engine)

    def check_and_create() -> None:
        existing = set(inspect(engine).get_table_names())
        if "schemainfo" in existing:
            with Session(engine) as session:
                info = session.exec(select(SchemaInfo)).first()
            if info is not None and info.version > SCHEMA_VERSION:
                raise StoreError(
                    f"database {redact(url)} has schema version {info.version}, newer than this cgan-tui "
                    f"understands ({SCHEMA_VERSION}); upgrade cgan-tui. The database was not modified."
                )
            if info is not None and info.version < READABLE_SINCE:
                _migrate(engine, info.version)
            elif info is not None:
                store.schema_version = info.version  # read as it is; ``upgrade`` on the first write needing more
        elif existing and "run" not in existing:
            raise StoreError(
                f"database {redact(url)} holds tables that are not cgan-tui's ({', '.join(sorted(existing)[:5])}); "
                "use another --db. It was not modified."
            )
        elif not create and not existing:
            raise StoreError(f"database {redact(url)} is empty; run `cgan-tui train` or `cgan-tui queue add` first")
        if create and store.schema_version == SCHEMA_VERSION:
            SQLModel.metadata.create_all(engine, tables=_our_tables())
            with Session(engine) as session:
                if session.get(SchemaInfo, 1) is None:
                    session.add(SchemaInfo(id=1, version=SCHEMA_VERSION))
                    session.commit()

    try:
        attempt_loop(store, check_and_create, what="opening", only_locks=True)
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        message = " ".join(str(getattr(exc, "orig", exc)).split()) or type(exc).__name__  # one line
        folder = path.parent if path is not None else None
        if "unable to open" in message and folder is not None and not os.access(folder, os.W_OK):
            message += f" (folder {folder} is read-only: SQLite needs to write its -wal/-shm files beside the database)"
        raise StoreError(f"cannot open database {redact(url)}: {redact(message)}") from None
    except StoreError:
        engine.dispose()
        raise
    if path is not None:
        st = path.stat()
        store.file_identity = (st.st_dev, st.st_ino)
    return store


def _our_tables() -> list:
    names = ("schemainfo", "experiment", "run", "checkpoint", "metricvalue", "samplegrid", "rating", "featurecache",
             "runlabel", "stepseries")
    return [SQLModel.metadata.tables[name] for name in names]


def _metricvalue_backbone(conn) -> None:
    """1 -> 2: add ``metricvalue.backbone`` and make it part of the unique identity.

    SQLite cannot change a table's constraints in place: the table is rebuilt from the current
    model (same ids), old rows get backbone "" (they predate versioned backbones)."""
    from cgan_tui.store.tables import MetricValue

    table = MetricValue.__table__
    conn.exec_driver_sql("ALTER TABLE metricvalue RENAME TO metricvalue_v1")
    for index in table.indexes:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index.name}")
    table.create(conn)
    cols = "id, run_id, epoch, name, value, backend, n_samples, unavailable, created_at"
    conn.exec_driver_sql(f"INSERT INTO metricvalue ({cols}, backbone) SELECT {cols}, '' FROM metricvalue_v1")
    conn.exec_driver_sql("DROP TABLE metricvalue_v1")


def _add_run_columns(conn, *columns: str) -> None:
    """``ALTER TABLE run ADD COLUMN c VARCHAR`` for each of ``columns`` the table lacks."""
    have = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(run)")} if conn.dialect.name == "sqlite" else set(
        c["name"] for c in inspect(conn).get_columns("run")
    )
    for column in columns:
        if column not in have:
            conn.exec_driver_sql(f"ALTER TABLE run ADD COLUMN {column} VARCHAR")


def _run_precision_and_eval_progress(conn) -> None:
    """2 -> 3: ``run.precision`` and ``run.eval_progress`` (NULL for old runs: not recorded)."""
    _add_run_columns(conn, "eval_progress", "precision")


def _run_eval_pending(conn) -> None:
    """3 -> 4: ``run.eval_pending`` (NULL for old runs: nothing pending)."""
    _add_run_columns(conn, "eval_pending")


def _run_labels(conn) -> None:
    """4 -> 5: the ``runlabel`` table (notes, tags, archived); no run has one yet."""
    from cgan_tui.store.tables import RunLabel

    RunLabel.__table__.create(conn, checkfirst=True)


def _step_series(conn) -> None:
    """5 -> 6: the ``stepseries`` table (step-level curves); runs trained before have none."""
    from cgan_tui.store.tables import StepSeries

    StepSeries.__table__.create(conn, checkfirst=True)


MIGRATIONS: dict[int, list[str | Callable[[Any], None]]] = {
    1: [_metricvalue_backbone], 2: [_run_precision_and_eval_progress], 3: [_run_eval_pending], 4: [_run_labels],
    5: [_step_series],
}
"""version -> SQL statements (or functions of the connection) upgrading a database to the next version."""


def _migrate(engine: Engine, version: int) -> None:
    with engine.begin() as conn:
        # another process may have migrated since the version was read: read it again in this transaction
        version = int(conn.exec_driver_sql("SELECT version FROM schemainfo WHERE id = 1").scalar() or version)
        while version < SCHEMA_VERSION:
            for step in MIGRATIONS.get(version, []):
                if callable(step):
                    step(conn)
                else:
                    conn.exec_driver_sql(step)
            version += 1
        conn.exec_driver_sql(f"UPDATE schemainfo SET version = {SCHEMA_VERSION} WHERE id = 1")


def upgrade(store: Store) -> None:
    """Migrate a database opened at an older, readable schema (``READABLE_SINCE``) to this version's: the
    first write that needs a newer table calls it. A read-only database gives the write's one-line error."""
    if store.schema_version >= SCHEMA_VERSION:
        return
    from cgan_tui.store.guard import attempt_loop

    attempt_loop(store, lambda: _migrate(store.engine, store.schema_version), what="upgrading the schema")
    store.schema_version = SCHEMA_VERSION


__all__ = ["Store", "StoreError", "open_store", "upgrade", "database_url", "artifacts_dir", "artifact_store", "tables"]
