"""A database locked by another process: CLI writes wait visibly and land, or give up in one line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from cgan_tui.settings import LOCK_WAIT_ENV
from cgan_tui.store import queries as q

from .conftest import assert_kept, cli, one_line, read_stderr_until, rows, wait_for, worker_env


def _queue_add(db: Path, env: dict[str, str]) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "cgan_tui", "queue", "add", "--db", str(db), "--model", "seed004", "--epochs", "1",
           "--data-dir", env["CGAN_TUI_DATA"]]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _env(fmnist_dir, bound: float) -> dict[str, str]:
    env = worker_env()
    env[LOCK_WAIT_ENV] = str(bound)
    env["CGAN_TUI_DATA"] = str(fmnist_dir)
    return env


def _setup(store, tiny) -> Path:
    q.create_run(store, tiny())
    return Path(store.engine.url.database)


def test_short_lock_the_write_waits_visibly_then_lands(store, tiny, fmnist_dir, lock):
    """Held until the CLI has said it waits (the "2 s" case): then released, and the run is queued."""
    db = _setup(store, tiny)
    before = rows(db)
    holder = lock(db)
    proc = _queue_add(db, _env(fmnist_dir, 300))
    seen: list[str] = []
    pump = read_stderr_until(proc, "waiting", seen)
    wait_for(lambda: any("waiting for the database lock" in line for line in seen), what="the waiting line")
    assert f"held by process {os.getpid()}" in seen[0], seen  # which process holds it, from /proc/locks
    holder.release()
    assert proc.wait(timeout=300) == 0, seen
    pump.join(timeout=60)
    assert any("lock released" in line for line in seen), seen
    after = rows(db)
    assert_kept(before, after, same=False)
    assert len(after["run"]) == len(before["run"]) + 1


def test_long_lock_progress_lines_then_lands(store, tiny, fmnist_dir, lock):
    """Held across a progress report (the "30 s" case, the bound kept above it): still lands."""
    db = _setup(store, tiny)
    before = rows(db)
    holder = lock(db)
    proc = _queue_add(db, _env(fmnist_dir, 300))
    seen: list[str] = []
    pump = read_stderr_until(proc, "waiting", seen)
    progress = re.compile(r"waiting for the database lock… (\d+) s$")  # the first line says "held by ...…"
    wait_for(lambda: any(progress.search(line.strip()) for line in seen), what="a progress line")
    assert int(next(progress.search(x.strip()) for x in seen if progress.search(x.strip())).group(1)) >= 5
    holder.release()
    assert proc.wait(timeout=300) == 0, seen
    pump.join(timeout=60)
    assert len(rows(db)["run"]) == len(before["run"]) + 1


def test_lock_longer_than_the_bound_gives_up_in_one_line(store, tiny, fmnist_dir, lock):
    db = _setup(store, tiny)
    before = rows(db)
    lock(db)
    env = _env(fmnist_dir, 1)
    for args in (("queue", "add", "--model", "seed004", "--epochs", "1"), ("queue", "cancel", "1"),
                 ("queue", "prio", "1", "5")):  # fmt: skip
        done = cli(*args, "--db", str(db), env=env)
        assert done.returncode == 2, done.stderr
        one_line(done.stderr, "is locked by process", str(os.getpid()), "Nothing was saved", LOCK_WAIT_ENV)
        assert "waiting for the database lock" in done.stderr  # the wait was visible before it gave up
    assert_kept(before, rows(db))


def test_worker_under_a_lock_gives_up_with_exit_3(store, tiny, fmnist_dir, lock, start_worker, db_url):
    db = _setup(store, tiny)
    before = rows(db)
    lock(db)
    env = _env(fmnist_dir, 1)
    worker = start_worker(db_url, "--once", env=env)
    assert worker.wait(timeout=300) == 3
    log = worker.log_path.read_text()
    assert "Traceback" not in log, log
    assert "giving up: database" in log and "is locked by process" in log, log
    assert_kept(before, rows(db))


def test_worker_waiting_for_a_lock_stops_on_sigterm(store, tiny, fmnist_dir, lock, start_worker, db_url):
    import signal

    db = _setup(store, tiny)
    lock(db)
    worker = start_worker(db_url, "--once", env=_env(fmnist_dir, 600))
    wait_for(lambda: "waiting for the database lock" in worker.log_path.read_text(), what="the worker waiting")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=120) == 0
    assert "stopped while waiting for the database" in worker.log_path.read_text()
