"""Reading a checkpoint file that may be damaged: checked before it is trusted, one line when it is not.

``torch.save`` writes a zip archive. A file cut short (a full disk, a copy that stopped, a killed
``cp``) has no zip directory at its end; a flipped bit fails a member's CRC; anything else that
``torch.load`` refuses is damage too. Each case raises ``DamagedCheckpoint`` naming the file and
what is wrong, never torch's own traceback (``PytorchStreamReader failed reading zip archive…``).
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from cgan_tui.errors import DamagedCheckpoint

REQUIRED_KEYS = ("epoch", "config")
"""Keys every checkpoint of ours holds (adversarial and own-trainer families alike)."""


def check_structure(path: str | Path) -> None:
    """Cheap check without unpickling: the file exists, is not empty, is a zip with intact members."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise DamagedCheckpoint(path, "the file is missing") from None
    except OSError as exc:
        raise DamagedCheckpoint(path, f"cannot read it: {exc.strerror or exc}") from None
    if size == 0:
        raise DamagedCheckpoint(path, "the file is empty")
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()
    except zipfile.BadZipFile:
        raise DamagedCheckpoint(path, f"cut short or overwritten: no complete zip directory in its {size} bytes") from None
    except (OSError, EOFError, ValueError, zipfile.LargeZipFile) as exc:
        raise DamagedCheckpoint(path, f"unreadable: {type(exc).__name__}: {exc}") from None
    if bad is not None:
        raise DamagedCheckpoint(path, f"member {bad} fails its CRC check")


def read_checkpoint(path: str | Path, map_location: Any = "cpu") -> dict:
    """The checkpoint dict of ``path`` after ``check_structure``; ``torch.load`` runs in a guarded call.

    Our own files: their pickled RNG states need ``weights_only=False``. (torch is imported here, so
    that the runner and the CLI can check files without loading it.)"""
    import torch

    check_structure(path)
    try:
        ckpt = torch.load(Path(path), map_location=map_location, weights_only=False)
    except Exception as exc:  # noqa: BLE001 - whatever torch/pickle raise, the file is not usable
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DamagedCheckpoint(path, f"torch.load failed: {type(exc).__name__}: {first[:160]}") from None
    if not isinstance(ckpt, dict) or any(key not in ckpt for key in REQUIRED_KEYS):
        raise DamagedCheckpoint(path, f"not a cgan-tui checkpoint (needs the keys {', '.join(REQUIRED_KEYS)})")
    return ckpt


def is_intact(path: str | Path) -> bool:
    """Whether ``check_structure`` passes (listing the intact epochs for a message)."""
    try:
        check_structure(path)
    except DamagedCheckpoint:
        return False
    return True
