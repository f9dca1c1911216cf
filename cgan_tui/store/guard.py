"""Every write lands or says so: the one home for bounded, visible waits and database fault messages.

``queries.write``/``read`` run each attempt through ``attempt_loop``: a locked database is retried
for at most ``lock_wait_s()`` seconds (``$CGAN_TUI_LOCK_WAIT_S``, default 30) while a progress line
("waiting for the database lock… 5 s") goes to the installed reporter (stderr for the CLI and
workers, a notification in the app); every other operational fault is classified at once into
locked / read-only / disk full / gone and raised as ``StoreWriteError`` whose ``str()`` is the whole
one-line message. SQLite's own busy timeout is kept short (``SLICE_S``) so control comes back here
often enough to report and to stop on SIGTERM.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

from cgan_tui.redact import redact
from cgan_tui.settings import LOCK_WAIT_ENV, LOCK_WAIT_S, SettingError, settings
from cgan_tui.store.errors import StoreError
from cgan_tui.store.location import sqlite_path

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class Store(Protocol):
    """What this module needs of an opened ``store.db.Store`` (it never imports ``store.db``)."""

    url: str
    engine: Engine
    file_identity: tuple[int, int] | None

T = TypeVar("T")

DEFAULT_LOCK_WAIT_S = LOCK_WAIT_S  # its home: cgan_tui.settings
SLICE_S = 1.0
"""SQLite busy timeout per attempt: how often a waiting writer gets control back."""
PROGRESS_EVERY_S = 5.0
MIN_FREE_BYTES = 1 << 20
"""A write probe refuses a file system with less free space than this (a cheap disk-full check)."""

LOCKED, READ_ONLY, FULL, GONE, DAMAGED, OTHER = "locked", "read-only", "disk full", "gone", "damaged", "error"
CORRUPTION_SQLSTATES = {"XX001": "data corrupted", "XX002": "index corrupted"}
"""PostgreSQL's ``data corrupted`` class: what SQLite calls a malformed database image."""
SQLITE_DAMAGE = ("malformed", "not a database", "file is encrypted")


class StoreWriteError(StoreError):
    """A database operation did not happen; ``kind`` is locked/read-only/disk full/gone/error."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# ----------------------------------------------------------------------------- progress and stop
Reporter = Callable[[str], None]


def _stderr_reporter(line: str) -> None:
    print(f"cgan-tui: {line}", file=sys.stderr, flush=True)


_reporter: Reporter = _stderr_reporter
_stop_events: list[threading.Event] = []


def set_reporter(reporter: Reporter | None) -> Reporter:
    """Install where waiting lines go (None: stderr); returns the previous reporter."""
    global _reporter
    previous, _reporter = _reporter, reporter or _stderr_reporter
    return previous


def abort_waits_on(event: threading.Event) -> None:
    """A set ``event`` (a worker's SIGTERM) ends any wait at its next slice with a ``StoreWriteError``."""
    if event not in _stop_events:
        _stop_events.append(event)


_damage_listener: Reporter | None = None


def set_damage_listener(listener: Reporter | None) -> Reporter | None:
    """Install ``listener(line)``, called (in the reading thread) when a read or write finds the database
    damaged, before the ``StoreWriteError`` is raised: the app shows one screen, whichever thread read.
    Returns the previous listener."""
    global _damage_listener
    previous, _damage_listener = _damage_listener, listener
    return previous


def _on_damage(line: str) -> None:
    listener = _damage_listener
    if listener is not None:
        try:
            listener(line)
        except Exception:  # noqa: BLE001 - a listener never hides the error itself
            pass


def _detail(exc: BaseException) -> str:
    state = _sqlstate(exc)
    text = _text(exc)
    return f"{text} (SQLSTATE {state})" if state and state not in text else text


def lock_wait_s() -> float:
    """The bound on waiting for a lock: ``$CGAN_TUI_LOCK_WAIT_S`` (seconds) or 30."""
    try:
        return settings().lock_wait_s
    except SettingError as exc:
        raise StoreError(str(exc)) from None


# ------------------------------------------------------------------------------- classification
def _text(exc: BaseException) -> str:
    """The driver's own first line (SQLAlchemy adds the SQL and a link on further lines)."""
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def classify(exc: BaseException) -> str:
    """locked / read-only / disk full / gone / damaged / error for a DB-API or SQLAlchemy exception or OSError."""
    if _sqlstate(exc) in CORRUPTION_SQLSTATES:
        return DAMAGED
    if isinstance(exc, OSError):
        if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
            return FULL
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            return READ_ONLY
        return OTHER
    text = _text(exc).lower()
    if any(word in text for word in SQLITE_DAMAGE):
        return DAMAGED
    if "locked" in text or "busy" in text:
        return LOCKED
    if "readonly" in text or "read-only" in text or "read only" in text:
        return READ_ONLY
    if "full" in text or "no space" in text or "too large" in text:
        return FULL
    if (
        "closed the connection" in text
        or "could not connect" in text
        or "connection refused" in text
        or "terminating connection" in text
        or "server has gone away" in text
        or "lost connection" in text
        or "connection is closed" in text
        or (isinstance(exc, DBAPIError) and exc.connection_invalidated)
    ):
        return GONE
    return OTHER


def _where(store: Store) -> str:
    path = sqlite_path(store.url)
    if path is not None:
        return f"database {path}"
    return f"database {redact(store.url)}"  # every secret form (user:pw@, ?password=, ?passfile=)


def message(kind: str, store: Store, detail: str, waited_s: float | None = None) -> str:
    """The one line a user sees for a fault of ``kind`` (what happened, why, what to do)."""
    where = _where(store)
    if kind == LOCKED:
        holders = lock_holders(store.url)
        who = f" by {holders}" if holders else " by another process"
        waited = f" after waiting {waited_s:.0f} s" if waited_s is not None else ""
        return (
            f"{where} is locked{who}; gave up{waited} ({LOCK_WAIT_ENV} sets the bound). "
            "Nothing was saved; retry when it is released."
        )
    if kind == READ_ONLY:
        return f"{where} is read-only ({detail}); nothing was saved. Make it writable or use another --db."
    if kind == FULL:
        return f"the disk holding {where} is full ({detail}); nothing was saved. Free space, then retry."
    if kind == GONE:
        return f"{where} is gone ({detail}); nothing was saved. Check the server or file, then retry."
    if kind == DAMAGED:
        return damaged_message(store, detail)
    return f"{where}: {detail}; nothing was saved."


def damaged_message(store: Store, detail: str) -> str:
    """The one line for a database SQLite reports malformed or PostgreSQL reports corrupted (XX001/XX002)."""
    path = sqlite_path(store.url)
    if path is not None:
        return (f"database {path} is damaged ({detail}); cgan-tui changed nothing. Check it with "
                f"sqlite3 {path} 'PRAGMA integrity_check'; recover what is readable into a new file with "
                f"sqlite3 {path} .recover | sqlite3 recovered.db, then use --db recovered.db.")  # fmt: skip
    code = next((f"SQLSTATE {c}: {name}" for c, name in CORRUPTION_SQLSTATES.items() if c in detail), "")
    return (f"{_where(store)} reports corrupted data ({detail}{'; ' + code if code and code not in detail else ''}); "
            "cgan-tui changed nothing. Check the server log; REINDEX a damaged index (XX002) or restore the "
            "table from a backup (XX001).")  # fmt: skip


def lock_holders(url: str) -> str:
    """Best effort: 'process 123 (python -m cgan_tui worker)' for whoever holds SQLite's write lock.

    Reads /proc/locks (Linux): WAL writers lock byte 120 of the -shm file, rollback-journal writers
    lock the database file itself; our own process is left out. '' when nothing can be told."""
    path = sqlite_path(url)
    if path is None:
        return ""
    try:
        targets = {}
        for candidate, wal in ((path, False), (path.with_name(path.name + "-shm"), True)):
            if candidate.exists():
                st = candidate.stat()
                targets[(os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)] = wal
        pids: list[int] = []
        with open("/proc/locks", encoding="ascii", errors="replace") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) < 8 or parts[1] == "->":
                    continue
                if parts[3] != "WRITE":
                    continue
                pid = int(parts[4]) if parts[4].lstrip("-").isdigit() else -1
                maj, mnr, ino = parts[5].split(":")
                key = (int(maj, 16), int(mnr, 16), int(ino))
                if key not in targets or pid in (-1, os.getpid()):
                    continue
                if targets[key] and parts[6] != "120":
                    continue
                if pid not in pids:
                    pids.append(pid)
        return ", ".join(f"process {pid}{_cmdline(pid)}" for pid in pids[:3])
    except (OSError, ValueError):
        return ""


def _cmdline(pid: int) -> str:
    try:
        raw = " ".join(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").split())
    except OSError:
        return ""
    return f" ({raw[:60]}{'…' if len(raw) > 60 else ''})" if raw else ""


def check_file_still_there(store: Store) -> None:
    """Refuse to go on when the SQLite file was deleted or replaced after it was opened.

    SQLite keeps writing into the unlinked file, so without this check every later write would be
    silently lost."""
    path = sqlite_path(store.url)
    identity = getattr(store, "file_identity", None)
    if path is None or identity is None:
        return
    try:
        st = path.stat()
    except FileNotFoundError:
        raise StoreWriteError(GONE, message(GONE, store, "the file was deleted while cgan-tui had it open")) from None
    except OSError as exc:
        raise StoreWriteError(OTHER, message(OTHER, store, str(exc))) from None
    if (st.st_dev, st.st_ino) != identity:
        raise StoreWriteError(
            GONE, message(GONE, store, "the file was replaced by another one while cgan-tui had it open; restart to use the new one")
        )


# ------------------------------------------------------------------------------------ the loop
def attempt_loop(store: Store, attempt: Callable[[], T], *, what: str = "write", only_locks: bool = False) -> T:
    """Call ``attempt()`` until it succeeds, waiting (bounded, visibly) while the database is locked.

    Any other operational fault, an ``OSError`` from the file system, or the end of the wait raises
    ``StoreWriteError`` with a one-line message (``only_locks``: re-raised as they are, for callers
    with messages of their own). ``attempt`` must be safe to repeat."""
    bound = lock_wait_s()
    started = time.monotonic()
    next_report = PROGRESS_EVERY_S
    reported = False
    tries = 0
    while True:
        check_file_still_there(store)
        try:
            result = attempt()
            if reported:
                _reporter(f"database lock released after {time.monotonic() - started:.0f} s; {what} saved")
            return result
        except DBAPIError as exc:
            kind = classify(exc)
            if kind == DAMAGED:  # no retry, whatever the caller handles itself: one line, one screen
                line = damaged_message(store, _detail(exc))
                _on_damage(line)
                raise StoreWriteError(DAMAGED, line) from None
            if not isinstance(exc, OperationalError) and not exc.connection_invalidated:
                raise
            if kind != LOCKED:
                if only_locks:
                    raise
                raise StoreWriteError(kind, message(kind, store, _text(exc))) from None
        except OSError as exc:
            if only_locks:
                raise
            kind = classify(exc)
            raise StoreWriteError(kind, message(kind, store, exc.strerror or str(exc))) from None
        tries += 1
        waited = time.monotonic() - started
        if not reported:  # said before giving up too: the user sees that it waited, and for whom
            holders = lock_holders(store.url)
            held = f" held by {holders}" if holders else ""
            _reporter(f"waiting for the database lock{held}… {waited:.0f} s (gives up after {bound:g} s)")
            reported = True
        elif waited >= next_report:
            _reporter(f"waiting for the database lock… {waited:.0f} s")
            next_report += PROGRESS_EVERY_S
        if waited >= bound or any(e.is_set() for e in _stop_events):
            raise StoreWriteError(LOCKED, message(LOCKED, store, "locked", waited_s=waited))
        # a lock SQLite refused at once (a stale snapshot) is retried quickly; a busy wait already slept
        time.sleep(min(0.05 * tries, 0.25))


def check_writable(store: Store, what: str = "this command") -> None:
    """Fail before expensive work when the database cannot take a write: an empty update, rolled back.

    Waits for a lock like any write (bounded, visibly); refuses read-only, gone and nearly full
    (< 1 MiB free) databases with the same one-line messages."""
    from sqlalchemy import text

    path = sqlite_path(store.url)
    if path is not None:
        try:
            free = os.statvfs(path.parent).f_bavail * os.statvfs(path.parent).f_frsize
        except OSError:
            free = MIN_FREE_BYTES
        if free < MIN_FREE_BYTES:
            raise StoreWriteError(FULL, message(FULL, store, f"{free} bytes free; {what} would not be saved"))

    def probe() -> None:
        with store.engine.connect() as conn:
            if store.engine.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            conn.execute(text("UPDATE schemainfo SET version = version WHERE id = 1"))
            conn.rollback()

    attempt_loop(store, probe, what="write check")


__all__ = [
    "StoreWriteError",
    "attempt_loop",
    "check_writable",
    "classify",
    "lock_holders",
    "set_damage_listener",
    "damaged_message",
    "set_reporter",
    "abort_waits_on",
    "lock_wait_s",
]


def probe_sqlite(url: str, timeout_s: float = 1.0) -> None:
    """Fail fast on a locked SQLite file (every write would wait and then give up).

    Reads are tried first (a rollback-journal database under an exclusive lock refuses them); then
    the write lock is taken and released at once, because in WAL mode readers never block and a
    lock held by another writer only shows when writing. A read-only file passes: it opens for reading."""
    path = sqlite_path(url)
    if path is None or not path.exists() or path.is_dir():
        return  # open_store reports these

    def locked() -> StoreError:
        holders = lock_holders(url)
        return StoreError(
            f"database {path} is locked by {holders or 'another process'} (a write lock held > {timeout_s:g} s); "
            "close that program or wait, then start cgan-tui again. Nothing was changed."
        )

    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=timeout_s)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
        if not os.access(path, os.W_OK):
            return
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=timeout_s, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise locked() from None
        # anything else (read-only, not a database, unreadable) is open_store's job to explain
    except sqlite3.DatabaseError:
        pass
