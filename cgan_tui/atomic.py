"""Atomic local file writes: a reader (or a crash) sees the old file or the new one, never half.

The one implementation every layer uses (checkpoints, run logs, weight files, caches). The data goes
to ``NAME.<host>.<pid>.tmp`` beside the target, is fsynced and renamed over ``NAME``: host and pid keep
two processes writing the same file (two workers, a worker and ``cgan-tui eval``, two nodes sharing a
mounted folder) off each other's temporary file. On an error the temporary file is removed and the
error names it (a bare ENOSPC names no file). A process killed mid-write (``kill -9``) leaves its
temporary file; the next write of that target on the same host removes those of processes that are
gone. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

HOST = socket.gethostname().replace(".", "_") or "host"


def temp_path(path: Path, pid: int | None = None) -> Path:
    """The temporary file process ``pid`` (default: this one) writes before renaming it over ``path``."""
    return path.with_name(f"{path.name}.{HOST}.{os.getpid() if pid is None else pid}.tmp")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_stale(path: Path) -> list[Path]:
    """Remove the temporary files of ``path`` left by processes of this host that are gone."""
    removed = []
    prefix = f"{path.name}.{HOST}."
    for tmp in path.parent.glob(f"{path.name}.{HOST}.*.tmp"):
        pid = tmp.name[len(prefix):-len(".tmp")]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


@contextmanager
def atomic_writer(path: str | Path, mode: int | None = None) -> Iterator[BinaryIO]:
    """A binary file to write (or stream) into; on a clean exit it replaces ``path``, else it goes.

    ``mode``: permission bits for the new file (e.g. 0o644 for shared weight files)."""
    path = Path(path)
    tmp = temp_path(path)
    try:
        remove_stale(path)
    except OSError:
        pass  # a folder that cannot be listed: the write below says what is wrong
    try:
        with open(tmp, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        if exc.filename is None and exc.errno is not None:  # a full disk: say which file could not be written
            raise OSError(exc.errno, exc.strerror, str(tmp)) from exc
        raise
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, payload: bytes, mode: int | None = None) -> None:
    """Write ``payload`` to ``path`` atomically (see the module docstring)."""
    with atomic_writer(path, mode) as fh:
        fh.write(payload)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_copy(source: str | Path, target: str | Path, mode: int | None = None) -> Path:
    """Atomically make ``target`` hold ``source``'s current content (a hard link, else a copy; always
    a copy when ``mode`` is given, so the source's permissions are never changed)."""
    source, target = Path(source), Path(target)
    tmp = temp_path(target)
    tmp.unlink(missing_ok=True)
    try:
        try:
            if mode is not None:
                raise OSError("a copy of its own: its mode changes")
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


__all__ = ["atomic_writer", "atomic_write_bytes", "atomic_write_text", "atomic_copy", "temp_path", "remove_stale"]
