"""Fault injection for "every write lands or says so" (issue 13): locks, read-only and full disks,
a database deleted under the app, kill -9 during a checkpoint write.

Every test compares the rows before and after (``rows``) and checks that the user got one line, no
traceback (``one_line``). Waits are on events (a line on stderr, a gate, a file), never on sleeps;
the lock-wait bound is made small with ``$CGAN_TUI_LOCK_WAIT_S`` where a test needs it to pass.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

RUNNER_TESTS = Path(__file__).resolve().parents[1] / "runner"
if str(RUNNER_TESTS) not in sys.path:
    sys.path.insert(0, str(RUNNER_TESTS))

from runner_helpers import PLUGIN_MODULE, Gate, wait_for, worker_env  # noqa: E402

from cgan_tui.config import RunConfig  # noqa: E402
from cgan_tui.plugins import load_plugins  # noqa: E402
from cgan_tui.store.db import open_store  # noqa: E402

TABLES = ("run", "checkpoint", "metricvalue", "samplegrid", "rating", "experiment")


def rows(path: Path, strict_runs: bool = True) -> dict[str, set[tuple]]:
    """Every row of our tables (a fresh read-only connection; ``samplegrid`` without its PNG bytes).

    ``strict_runs=False``: runs only by id, config and creation time (a run that trains on changes)."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=60)
    try:
        out = {}
        for table in TABLES:
            cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})") if r[1] != "png"]
            if table == "run" and not strict_runs:  # progress and status move on; identity and config do not
                cols = ["id", "config_json", "created_at"]
            out[table] = set(conn.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall())
        return out
    finally:
        conn.close()


def assert_kept(before: dict[str, set[tuple]], after: dict[str, set[tuple]], *, same: bool = True) -> None:
    """Every row present before is still there (and, with ``same``, nothing else changed)."""
    for table, old in before.items():
        missing = old - after[table]
        if same:
            assert after[table] == old, f"{table} changed: lost {missing}, gained {after[table] - old}"
        else:
            assert not missing, f"{table} lost rows {missing}"


def one_line(stderr: str, *needles: str) -> str:
    """The error line of a CLI fault: one ``cgan-tui...: error:`` line, no traceback; returns it."""
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    """``python -m cgan_tui ARGS`` in a subprocess (the worktree's package first on the path)."""
    return subprocess.run([sys.executable, "-m", "cgan_tui", *args], capture_output=True, text=True,
                          env=env or worker_env(), timeout=timeout, **kw)  # fmt: skip


class LockHolder:
    """Another connection holding SQLite's write lock (``BEGIN EXCLUSIVE``) until ``release()``."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(str(path), isolation_level=None, timeout=0, check_same_thread=False)
        self.conn.execute("BEGIN EXCLUSIVE")
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.conn.execute("ROLLBACK")
            self.conn.close()
            self.released = True


@pytest.fixture
def lock(tmp_path) -> Callable[[Path], LockHolder]:
    holders: list[LockHolder] = []

    def take(path: Path) -> LockHolder:
        holders.append(LockHolder(path))
        return holders[-1]

    yield take
    for holder in holders:
        holder.release()


LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # held until the test closes our stdin
conn.execute("ROLLBACK")
"""


@pytest.fixture
def lock_process():
    """``lock_process(path)`` -> a separate process holding the write lock until ``.release()``."""
    procs: list[subprocess.Popen] = []

    def take(path: Path) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert proc.stdout.readline().strip() == "locked"  # type: ignore[union-attr]

        def release() -> None:
            if proc.poll() is None:
                proc.stdin.close()  # type: ignore[union-attr]
                proc.wait(timeout=60)

        proc.release = release  # type: ignore[attr-defined]
        procs.append(proc)
        return proc

    yield take
    for proc in procs:
        proc.release()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def registries():
    import cgan_test_losses

    return load_plugins(extra=[(PLUGIN_MODULE, cgan_test_losses)])


@pytest.fixture
def tiny(fmnist_dir) -> Callable[..., RunConfig]:
    """A seed004 run on 64 CPU images (one step per epoch), no evaluation."""

    def make(**kw) -> RunConfig:
        base = dict(model="seed004", loss="lsgan", epochs=1, checkpoint_epochs=(1,), limit_train=64,
                    data_dir=str(fmnist_dir), device="cpu", metrics=())
        base.update(kw)
        return RunConfig(**base)

    return make


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def gate(tmp_path) -> Gate:
    g = Gate(tmp_path / "gate")
    yield g
    g.release()


@pytest.fixture
def start_worker(tmp_path):
    """``cgan-tui worker --workers 1 --db URL ...`` with fast polls; killed at teardown."""
    procs: list[subprocess.Popen] = []

    def start(db_url: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(procs)}.log", "wb")
        cmd = [sys.executable, "-m", "cgan_tui", "worker", "--workers", "1", "--db", db_url, "--poll", "0.2",
               "--heartbeat", "0.5", "--worker-id", f"w{len(procs)}", *args]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env or worker_env())
        proc.log_path = Path(log.name)  # type: ignore[attr-defined]
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


class Mounts:
    """tmpfs mounts for disk-full and read-only faults (we are root in CI); unmounted at teardown."""

    def __init__(self) -> None:
        self.points: list[Path] = []

    def tmpfs(self, point: Path, size: str) -> Path:
        point.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point)],
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip()}): the disk-full faults need one")
        self.points.append(point)
        return point

    def read_only(self, point: Path) -> None:
        subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)

    def cleanup(self) -> None:
        for point in reversed(self.points):
            subprocess.run(["umount", "-l", str(point)], capture_output=True)


@pytest.fixture
def mounts():
    m = Mounts()
    yield m
    m.cleanup()


def fill(folder: Path, leave: int = 0) -> Path:
    """Fill the file system of ``folder`` until fewer than ``leave`` bytes are free; returns the filler."""
    filler = folder / "filler.bin"
    st = os.statvfs(folder)
    free = st.f_bavail * st.f_frsize
    try:
        with open(filler, "wb") as fh:
            fh.write(b"\0" * max(0, free - leave))
            fh.flush()
            while leave == 0:
                fh.write(b"\0" * 4096)
                fh.flush()
    except OSError:
        pass  # full: what the test wants
    return filler


def read_stderr_until(proc: subprocess.Popen, needle: str, seen: list[str]) -> threading.Thread:
    """Collect ``proc``'s stderr lines in a thread; ``seen`` fills as they come."""

    def pump() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            seen.append(line)

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


__all__ = ["rows", "assert_kept", "one_line", "cli", "fill", "wait_for", "Gate", "worker_env"]
