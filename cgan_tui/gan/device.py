"""Which torch device a run uses: CUDA when present for "auto", a clear error when asked but absent."""

from __future__ import annotations

import torch

from cgan_tui.errors import UserError


class DeviceUnavailable(UserError):
    """A CUDA device was asked for on a machine without it."""


def pick_device(name: str = "auto") -> torch.device:
    """``auto`` | ``cpu`` | ``cuda`` | ``cuda:N`` -> ``torch.device``."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = 0 if name == "cuda" else name.split(":", 1)[1]
        if not str(index).isdigit():
            raise DeviceUnavailable(f"device {name!r} is not valid; use auto, cpu, cuda or cuda:N")
        if int(index) >= count:
            raise DeviceUnavailable(
                f"device {name!r} requested but this machine has {count} CUDA device(s); use --device auto or cpu"
            )
        return torch.device(name)
    raise DeviceUnavailable(f"device {name!r} is not valid; use auto, cpu, cuda or cuda:N")
