"""Which arithmetic a run trains in: the one place that turns ``auto|fp32|bf16`` into fp32 or bf16.

bf16 autocast doubles training throughput where the hardware does bf16 natively (CUDA devices that
report it; CPUs with AVX-512 BF16 or AMX) and is 10-15x *slower* where it is emulated (an AVX2-only
CPU). So ``auto`` (the default) picks bf16 only where it is native, and a model family whose models
were measured to get worse in bf16 can opt out of it (``ModelFamily.bf16_auto = False``), or out of
it on a device type where bf16 was measured slower for it (``ModelFamily.bf16_auto_devices``: the
built-in families train faster in fp32 on an H200, see docs/engine.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "bf16")
"""What a config may ask for; a run always *uses* fp32 or bf16."""


@dataclass(frozen=True)
class PrecisionChoice:
    """What a run uses and why, e.g. ``bf16`` because ``auto: CUDA device with native bf16``."""

    precision: str  # fp32 | bf16
    reason: str

    def __str__(self) -> str:
        return f"{self.precision} ({self.reason})"


@lru_cache(maxsize=1)
def cpu_bf16_support() -> tuple[bool, str]:
    """Whether this CPU does bf16 natively, and the evidence (torch's capability table or /proc/cpuinfo)."""
    caps = getattr(torch.cpu, "get_capabilities", None)
    if caps is not None:
        try:
            table = caps()
        except Exception:  # noqa: BLE001 - an older or odd build: use the next source
            table = None
        if table:
            found = [flag for flag in ("avx512_bf16", "amx_bf16") if table.get(flag)]
            name = table.get("cpu_name") or "CPU"
            if found:
                return True, f"{name} with {' and '.join(found).upper()}"
            return False, f"{name} without AVX512_BF16/AMX_BF16 (torch capability {torch.backends.cpu.get_cpu_capability()})"
    probes = [("AVX512_BF16", "_is_avx512_bf16_supported"), ("AMX", "_is_amx_tile_supported")]
    if all(hasattr(torch.cpu, fn) for _, fn in probes):
        found = [label for label, fn in probes if getattr(torch.cpu, fn)()]
        if found:
            return True, f"CPU with {' and '.join(found)}"
        return False, "CPU without AVX512_BF16/AMX"
    flags = _cpuinfo_flags()
    found = [flag for flag in ("avx512_bf16", "amx_bf16") if flag in flags]
    if found:
        return True, f"CPU with {' and '.join(found).upper()} (/proc/cpuinfo)"
    return False, "CPU without avx512_bf16/amx_bf16 (/proc/cpuinfo)"


def _cpuinfo_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.partition(":")[2].split())
    return set()


def native_bf16(device: torch.device | str) -> tuple[bool, str]:
    """Whether ``device`` does bf16 natively, and why (the text shown with a run)."""
    device = torch.device(device)
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        name = torch.cuda.get_device_name(index)
        if torch.cuda.is_bf16_supported():
            return True, f"CUDA {name} with native bf16"
        return False, f"CUDA {name} without native bf16"
    if device.type == "cpu":
        return cpu_bf16_support()
    return False, f"{device.type} device: bf16 not known to be native"


def choose_precision(requested: str, device: torch.device | str, family=None) -> PrecisionChoice:
    """The precision a run on ``device`` trains in. ``family`` (a ModelFamily) may opt out of bf16 in auto."""
    if requested not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {requested!r}")
    if requested != "auto":
        return PrecisionChoice(requested, "asked for")
    kind = torch.device(device).type
    if family is not None and kind not in getattr(family, "bf16_auto_devices", (kind,)):
        return PrecisionChoice("fp32", f"auto: model {family.name} trains faster in fp32 on {kind} (bf16 measured slower)")
    native, why = native_bf16(device)
    if not native:
        return PrecisionChoice("fp32", f"auto: {why}")
    if family is not None and not getattr(family, "bf16_auto", True):
        return PrecisionChoice("fp32", f"auto: model {family.name} keeps fp32 (bf16 measured worse); {why}")
    return PrecisionChoice("bf16", f"auto: {why}")
