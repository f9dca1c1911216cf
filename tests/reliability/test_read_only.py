"""A read-only database: every write command says so in one line, before any compute; nothing changes.

Root ignores file modes, so the file is made read-only with a read-only bind mount in a private
mount namespace (``unshare -m``) around each command; the folder stays writable (SQLite's -wal/-shm
files can be created), as with ``chattr +i`` on the file. A read-only *folder* (a tmpfs remounted
read-only) is the other case: depending on the -wal/-shm files left there, SQLite opens it read-only
or not at all; either way the one line says read-only.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import pytest

from cgan_tui.store import queries as q

from .conftest import assert_kept, cli, one_line, rows, worker_env

pytestmark = pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")


def _db(store, tiny, tmp_path: Path) -> Path:
    queued = q.create_run(store, tiny())
    failed = q.create_run(store, tiny(), status="failed")
    done = q.create_run(store, tiny(), status="completed")
    q.save_grid(store, done, 1, b"png", 10, 8)
    ckpt = tmp_path / "epoch_001.pt"
    ckpt.write_bytes(b"not read: eval checks it can write before loading anything")
    q.add_checkpoint(store, done, 1, str(ckpt))
    q.add_rating(store, done, 1, "sharpness", 3)
    assert (queued, failed, done) == (1, 2, 3)
    store.dispose()
    return Path(store.engine.url.database)


# One interpreter runs every command through the CLI's entry point in turn (a process per command cost
# ~2 s CPU each): stdout/stderr are captured at the file-descriptor level, so whatever the command
# writes (argparse, logging, rich) is seen as a separate process would see it.
EACH_COMMAND = """
import json, os, sys, tempfile
from cgan_tui.cli import main
results = []
for args in json.loads(sys.argv[1]):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        saved = os.dup(1), os.dup(2)
        sys.stdout.flush(); sys.stderr.flush()
        os.dup2(out.fileno(), 1); os.dup2(err.fileno(), 2)
        try:
            rc = main(args)
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        finally:
            sys.stdout.flush(); sys.stderr.flush()
            os.dup2(saved[0], 1); os.dup2(saved[1], 2)
        out.seek(0); err.seek(0)
        results.append({"rc": rc, "stdout": out.read().decode(), "stderr": err.read().decode()})
print(json.dumps(results))
"""


def _read_only_cli(db: Path, commands: list[list[str]]) -> list[dict]:
    """Each of ``commands`` (``cgan-tui ARGS``) with ``db`` bind-mounted read-only in a private mount
    namespace; one result (rc, stdout, stderr) per command."""
    import json
    import subprocess

    runner = " ".join(shlex.quote(a) for a in (sys.executable, "-c", EACH_COMMAND, json.dumps(commands)))
    script = f"mount --bind {db} {db} && mount -o remount,bind,ro {db} {db} && exec {runner}"
    done = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                          env=worker_env(), timeout=300)  # fmt: skip
    if "mount" in done.stderr and done.returncode == 32:
        pytest.skip(f"read-only bind mounts are not permitted here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


WRITES = [
    ("queue", "add", "--model", "seed004", "--epochs", "1"),
    ("queue", "cancel", "1"),
    ("queue", "prio", "1", "5"),
    ("queue", "requeue", "2"),
    ("rate", "3", "--epoch", "1", "--sharpness", "5"),
    ("train", "--model", "seed004", "--epochs", "1", "--limit-train", "64", "--device", "cpu"),
    ("eval", "3", "--device", "cpu", "--n", "10"),
    ("worker", "--once"),
]


def test_every_write_command_says_read_only_in_one_line(store, tiny, tmp_path, fmnist_dir):
    db = _db(store, tiny, tmp_path)
    before = rows(db)
    commands = [[*args, "--db", str(db), *(["--data-dir", str(fmnist_dir)] if args[0] == "train" else [])]
                for args in WRITES]  # fmt: skip
    for args, done in zip(WRITES, _read_only_cli(db, commands), strict=True):
        assert done["rc"] != 0, (args, done)
        line = one_line(done["stderr"], "is read-only (attempt to write a readonly database)")
        assert "nothing was saved" in line, (args, line)
        assert "evaluated" not in done["stdout"] and "n=" not in done["stdout"], (args, done["stdout"])  # no compute first
    assert_kept(before, rows(db))


def test_read_only_folder_is_one_line_on_open(store, tiny, tmp_path, mounts):
    folder = mounts.tmpfs(tmp_path / "ro", "4m")
    db = folder / "experiments.db"
    shutil.copy(_db(store, tiny, tmp_path), db)
    before = rows(db)
    mounts.read_only(folder)
    done = cli("queue", "add", "--model", "seed004", "--epochs", "1", "--db", str(db))
    assert done.returncode == 2
    line = one_line(done.stderr, str(db))
    assert "is read-only" in line or f"folder {folder} is read-only" in line, line
    assert_kept(before, rows(db))
