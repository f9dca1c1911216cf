"""What the GPU benchmarks share: run from a bare source tree (no ``pip install``, no SQLModel/Textual).

A machine that only has torch (+ numpy, pluggy, pillow) and this checkout on ``PYTHONPATH`` has no
``cgan_tui`` entry points, so ``load_plugins()`` would find no models: ``registries()`` then adds the
built-in plugin modules in-process (the same modules pyproject.toml names; a test keeps them equal).
Nothing here may import ``cgan_tui.store``, ``cgan_tui.ui`` or ``cgan_tui.cli``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import platform
import sys

BUILTIN_PLUGINS = {
    "builtin-losses": "cgan_tui.builtin.losses",
    "builtin-conditionings": "cgan_tui.builtin.conditioning",
    "builtin-models": "cgan_tui.builtin.models",
    "builtin-metrics": "cgan_tui.builtin.metrics",
    "builtin-scores": "cgan_tui.builtin.scores",
}
"""pyproject.toml's ``[project.entry-points.cgan_tui]``, for trees that are not installed."""

NEEDED = ("torch", "numpy", "pluggy", "PIL")


def check_imports() -> None:
    """One line naming what is missing (instead of a traceback half-way through a GPU session)."""
    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        sys.exit(f"missing Python package(s) {', '.join(missing)}: pip install them, or put a folder holding them "
                 "on PYTHONPATH (they are pure Python except torch/numpy/pillow)")


def registries():
    """Plugin registries with at least the built-ins, installed or not."""
    from cgan_tui.plugins import load_plugins

    regs = load_plugins()
    if "seed004" in regs.models and "fid" in {m.name for m in regs.metrics}:
        return regs
    extra = [(name, importlib.import_module(module)) for name, module in BUILTIN_PLUGINS.items()]
    return load_plugins(extra=extra)


def set_data_dir(path: str | None) -> None:
    """``--data DIR`` -> ``$CGAN_TUI_DATA``, which every loader in cgan_tui.gan.data reads."""
    if path:
        if not os.path.isdir(path):
            sys.exit(f"--data {path}: no such folder; give the folder holding the 4 Fashion-MNIST gzip IDX files")
        os.environ["CGAN_TUI_DATA"] = os.path.abspath(path)


def describe_machine(device) -> str:
    import torch

    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        what = f"{props.name} ({props.total_memory / 2**30:.0f} GiB)"
    else:
        caps = getattr(torch.cpu, "get_capabilities", lambda: {})()
        what = f"{caps.get('cpu_name') or platform.processor() or 'CPU'} {torch.backends.cpu.get_cpu_capability()}, " \
               f"{os.cpu_count()} cores, torch threads {torch.get_num_threads()}"
    return f"{what}; torch {torch.__version__}, python {platform.python_version()}"
