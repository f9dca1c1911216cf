"""A real PostgreSQL server for the test suite, started with pytest-postgresql's executor.

PostgreSQL refuses to run as root. When the suite runs as root (a fresh container, ``./dev test``),
``pg_ctl`` is called through a two-line wrapper that drops to an unprivileged user (``nobody``, or
``$CGAN_TUI_PG_RUN_AS``) with ``setpriv``; the data folder is created for that user. As any other
user ``pg_ctl`` runs directly. Tests are skipped with a reason only when no PostgreSQL binaries or
no driver are installed (``./dev`` installs both when run as root).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import socket
import stat
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

PASSWORD = "pg-s3cret-not-shown"
"""The server's password: tests assert it never reaches screens, logs or messages."""
USER = "postgres"


def find_pg_ctl() -> str | None:
    """``pg_ctl`` on PATH, else the newest Debian install under /usr/lib/postgresql."""
    found = shutil.which("pg_ctl")
    if found:
        return str(Path(found).resolve())
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return candidates[-1] if candidates else None


def missing() -> str | None:
    """Why a server cannot be started here (None: it can)."""
    if find_pg_ctl() is None:
        return "PostgreSQL binaries not installed (apt-get install postgresql; ./dev does this as root)"
    for module in ("psycopg", "pytest_postgresql"):
        if importlib.util.find_spec(module) is None:
            return f"{module} not installed (pip install -e '.[test]')"
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        return "running as root and setpriv (util-linux) is missing: cannot drop privileges for PostgreSQL"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _unprivileged_wrapper(folder: Path, pg_ctl: str, account: pwd.struct_passwd) -> str:
    """A ``pg_ctl`` that runs as ``account``; it also hands initdb's password file to that user."""
    script = folder / "pg_ctl"
    script.write_text(
        "#!/bin/sh\n"
        "# PostgreSQL refuses to run as root: run pg_ctl as an unprivileged user\n"
        'for a in "$@"; do case "$a" in *--pwfile=*) f=${a#*--pwfile=}; f=${f%% *}; '
        f'chown {account.pw_uid} "$f";; esac; done\n'
        f'exec setpriv --reuid={account.pw_uid} --regid={account.pw_gid} --clear-groups "{pg_ctl}" "$@"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return str(script)


@dataclass
class PgServer:
    host: str
    port: int
    executor: object

    def url(self, dbname: str, driver: str = "postgresql") -> str:
        return f"{driver}://{USER}:{PASSWORD}@{self.host}:{self.port}/{dbname}"

    def fresh_database(self):
        """A janitor (context manager) that creates a new empty database and drops it afterwards."""
        from pytest_postgresql.janitor import DatabaseJanitor

        name = f"cgan_{uuid.uuid4().hex[:12]}"
        return name, DatabaseJanitor(
            user=USER, host=self.host, port=self.port, dbname=name, password=PASSWORD
        )  # fmt: skip


def start_server() -> PgServer:
    from pytest_postgresql.executors import PostgreSQLExecutor

    pg_ctl = find_pg_ctl()
    assert pg_ctl is not None
    folder = Path(tempfile.mkdtemp(prefix="cgan-pg-"))
    executable = pg_ctl
    if os.geteuid() == 0:
        account = pwd.getpwnam(os.environ.get("CGAN_TUI_PG_RUN_AS", "nobody"))
        os.chown(folder, account.pw_uid, account.pw_gid)
        executable = _unprivileged_wrapper(folder, pg_ctl, account)
    port = _free_port()
    executor = PostgreSQLExecutor(
        executable=executable, host="127.0.0.1", port=port, datadir=str(folder / "data"),
        unixsocketdir=str(folder), logfile=str(folder / "server.log"), startparams="-w",
        dbname="postgres", user=USER, password=PASSWORD, timeout=120,
    )  # fmt: skip
    executor.start()
    executor.wait_for_postgres()
    executor.folder = folder  # type: ignore[attr-defined]
    return PgServer("127.0.0.1", port, executor)


def stop_server(server: PgServer) -> None:
    try:
        server.executor.stop()  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(server.executor.folder, ignore_errors=True)  # type: ignore[attr-defined]
