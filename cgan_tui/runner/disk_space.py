"""Whether a worker can still write run files: free space on the artifacts folder, said in one line.

A worker whose artifacts disk is full would fail every run it claims in seconds (issue 26: five queued
runs ``failed`` in 4 s); it stops claiming instead, so the queued runs stay ``queued`` until space is
freed. Torch-free.
"""

from __future__ import annotations

import shutil
from pathlib import Path

MIN_FREE_BYTES = 1 << 20
"""Below this a worker does not claim a run: not even a run log and a first checkpoint fit."""


def free_bytes(folder: Path) -> int:
    """Free bytes for an unprivileged writer on the file system of ``folder`` (or its nearest existing parent)."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder).free


def format_bytes(n: int) -> str:
    """``0 B``, ``512.0 KiB``, ``11.0 MiB``, ``3.2 GiB``."""
    value, unit = float(n), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"


def disk_full_reason(folder: Path, run_id: int | None = None) -> str:
    """The one line of a worker that stops claiming because its artifacts folder is full."""
    failed = (f"run {run_id} failed on it (free space, then `cgan-tui queue requeue {run_id}`: it resumes from "
              "its last complete checkpoint); ") if run_id is not None else ""  # fmt: skip
    return (f"the artifacts folder {folder} is full ({format_bytes(free_bytes(folder))} free): {failed}"
            "this worker stops claiming and the queued runs stay queued")


def too_full(folder: Path) -> str | None:
    """``disk_full_reason`` when ``folder`` has less than ``MIN_FREE_BYTES`` free, else None."""
    try:
        return disk_full_reason(folder) if free_bytes(folder) < MIN_FREE_BYTES else None
    except OSError:
        return None  # cannot tell (a folder gone, a remote mount): let the run's own writes say so
