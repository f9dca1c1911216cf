"""Which weight file is the backbone of a metric backend, and its identity (torch-free).

A backend listed here has a *versioned* backbone: each value it produces is stored with the short
SHA-256 of the file that produced it (``MetricValue.backbone``), and the results table ranks only
values of the file in use now, so numbers from two different networks never share one sort.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from cgan_tui.gan import weights

BACKBONE_FILES: dict[str, str] = {"classifier": "classifier"}
"""Metric backend -> weights registry name of the file its values depend on."""
HASH_LEN = 12

_CACHE: dict[tuple[str, int, int], str] = {}


def short_sha256(path: Path) -> str:
    """First 12 hex digits of the file's SHA-256 (memoised by path, size and mtime)."""
    st = Path(path).stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _CACHE:
        _CACHE[key] = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:HASH_LEN]
    return _CACHE[key]


def current(backend: str) -> str | None:
    """The backbone hash values of ``backend`` get now; None for a backend without a versioned
    backbone, "" when its file is missing."""
    name = BACKBONE_FILES.get(backend)
    if name is None:
        return None
    path = weights.status(name).path
    return short_sha256(path) if path is not None else ""


def current_all() -> dict[str, str]:
    """Backend -> current hash for every versioned backend."""
    return {backend: current(backend) or "" for backend in BACKBONE_FILES}
