"""Helpers shared by the runner tests (imported by name: this folder is on sys.path under pytest)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

HERE = Path(__file__).parent
PLUGIN_MODULE = "cgan_test_losses"


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")]))
    env["CGAN_TUI_EXTRA_PLUGINS"] = PLUGIN_MODULE
    env["CGAN_TUI_EVAL"] = "off"
    env["OMP_NUM_THREADS"] = "1"  # two cores shared by several workers
    return env


def wait_for(predicate: Callable[[], object], timeout: float = 60.0, interval: float = 0.05, what: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
