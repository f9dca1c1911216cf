"""Engine from a database URL, SQLite tuned for several writer processes, schema versioning.

A database written by a newer cgan-tui, or a file that is not a database, raises ``StoreError``
with a one-line explanation and is never touched, let alone overwritten.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError
from sqlmodel import Session, SQLModel, create_engine, select

from cgan_tui.errors import UserError
from cgan_tui.store import tables
from cgan_tui.store.tables import SCHEMA_VERSION, SchemaInfo

DB_ENV = "CGAN_TUI_DB"
DEFAULT_DB = "experiments.db"
BUSY_TIMEOUT_S = 30.0


class StoreError(UserError, RuntimeError):
    """The database cannot be used as asked; the message says why and what to do."""


def database_url(value: str | None = None) -> str:
    """``--db`` value, else ``$CGAN_TUI_DB``, else ``./experiments.db``; plain paths become SQLite URLs."""
    raw = value or os.environ.get(DB_ENV) or DEFAULT_DB
    if "://" in raw:
        return raw
    return f"sqlite:///{Path(raw).expanduser().resolve()}"


def artifacts_dir(url: str) -> Path:
    """Folder for checkpoints and logs: beside the SQLite file (``NAME_artifacts/``), else ./cgan_artifacts."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        db_path = Path(parsed.database)
        return db_path.with_name(db_path.stem + "_artifacts")
    return Path(os.environ.get("CGAN_TUI_ARTIFACTS", "cgan_artifacts")).resolve()


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
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
    with path.open("rb") as fh:
        header = fh.read(16)
    if header and header != b"SQLite format 3\x00":
        raise StoreError(f"{path} is not a SQLite database (corrupt or another file type); it was left untouched")


def _parse_url(url: str):
    try:
        return make_url(url)
    except ArgumentError:
        raise StoreError(f"--db {url!r} is neither a SQLite path nor a database URL like postgresql://user@host/db") from None


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a malformed URL, unknown dialect or missing driver is a ``StoreError``."""
    parsed = _parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                _check_sqlite_file(Path(parsed.database))
            engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True)
    except NoSuchModuleError:
        raise StoreError(
            f"unknown database kind {parsed.drivername!r} in {url}; use a SQLite path or e.g. postgresql://..."
        ) from None
    except ImportError as exc:  # the dialect exists but its driver package is not installed
        raise StoreError(
            f"database {parsed.render_as_string(hide_password=True)} needs the Python driver {exc.name or exc}, "
            "which is not installed (pip install it, or use a SQLite path)"
        ) from None


@dataclass
class Store:
    """An opened, schema-checked database: hand this to the CLI, workers and the app."""

    url: str
    engine: Engine

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    @property
    def artifacts(self) -> Path:
        return artifacts_dir(self.url)

    def run_dir(self, run_id: int) -> Path:
        path = self.artifacts / f"run_{run_id:05d}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, create: bool = True) -> Store:
    """Open (and, when ``create``, initialise) a database; check its schema version."""
    url = database_url(url)
    parsed = _parse_url(url)
    if not create and parsed.get_backend_name() == "sqlite":
        path = parsed.database
        if path and path != ":memory:" and not Path(path).exists():  # reading must not leave an empty file
            raise StoreError(f"no database at {path}; check --db, or run `cgan-tui train` / `cgan-tui queue add` first")
    engine = make_engine(url)
    try:
        existing = set(inspect(engine).get_table_names())
        if "schemainfo" in existing:
            with Session(engine) as session:
                info = session.exec(select(SchemaInfo)).first()
            if info is not None and info.version > SCHEMA_VERSION:
                raise StoreError(
                    f"database {url} has schema version {info.version}, newer than this cgan-tui "
                    f"understands ({SCHEMA_VERSION}); upgrade cgan-tui. The database was not modified."
                )
            if info is not None and info.version < SCHEMA_VERSION:
                _migrate(engine, info.version)
        elif existing and "run" not in existing:
            raise StoreError(
                f"database {url} holds tables that are not cgan-tui's ({', '.join(sorted(existing)[:5])}); "
                "use another --db. It was not modified."
            )
        elif not create and not existing:
            raise StoreError(f"database {url} is empty; run `cgan-tui train` or `cgan-tui queue add` first")
        if create:
            SQLModel.metadata.create_all(engine, tables=_our_tables())
            with Session(engine) as session:
                if session.get(SchemaInfo, 1) is None:
                    session.add(SchemaInfo(id=1, version=SCHEMA_VERSION))
                    session.commit()
    except (DatabaseError, OperationalError) as exc:
        engine.dispose()
        message = str(getattr(exc, "orig", exc)) or type(exc).__name__
        raise StoreError(f"cannot open database {url}: {message}") from None
    except StoreError:
        engine.dispose()
        raise
    return Store(url=url, engine=engine)


def _our_tables() -> list:
    names = ("schemainfo", "experiment", "run", "checkpoint", "metricvalue", "samplegrid", "rating", "featurecache")
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


def _run_precision_and_eval_progress(conn) -> None:
    """2 -> 3: ``run.precision`` and ``run.eval_progress`` (NULL for old runs: not recorded)."""
    have = {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(run)")} if conn.dialect.name == "sqlite" else set(
        c["name"] for c in inspect(conn).get_columns("run")
    )
    for column in ("eval_progress", "precision"):
        if column not in have:
            conn.exec_driver_sql(f"ALTER TABLE run ADD COLUMN {column} VARCHAR")


MIGRATIONS: dict[int, list[str | Callable[[Any], None]]] = {1: [_metricvalue_backbone], 2: [_run_precision_and_eval_progress]}
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


__all__ = ["Store", "StoreError", "open_store", "database_url", "artifacts_dir", "tables"]
