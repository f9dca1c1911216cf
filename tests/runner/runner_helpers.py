"""Helpers shared by the runner tests (imported by name: this folder is on sys.path under pytest)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
PLUGIN_MODULE = "cgan_test_losses"


def worker_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH", "")]))
    env["CGAN_TUI_EXTRA_PLUGINS"] = PLUGIN_MODULE
    env["CGAN_TUI_EVAL"] = "off"
    env["OMP_NUM_THREADS"] = "1"  # two cores shared by several workers
    return env


HANG_GUARD_S = 300.0
"""Waits return as soon as their condition holds; the bound only turns a hang into a failure."""


def wait_for(predicate: Callable[[], object], timeout: float = HANG_GUARD_S, interval: float = 0.05, what: str = "",
             progress: Callable[[], object] | None = None):  # fmt: skip
    """Poll ``predicate`` until it is true; fail after ``timeout`` s.

    With ``progress`` (a snapshot of the work: claims, epoch rows, actors up) the timeout counts from
    the last change of that snapshot, so a slow machine that keeps moving never fails and only work
    that stopped moving for ``timeout`` s does; the failure names the last snapshot.
    """
    last = progress() if progress else None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
        if progress:
            now = progress()
            if now != last:
                last, deadline = now, time.monotonic() + timeout
    stuck = f"; no progress since: {last!r}" if progress else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}{stuck}")


class Gate:
    """The test side of ``cgan_test_losses``' gate: hold a ``test-gate`` run inside a training step.

    ``gate.hold(k)`` makes a run's k-th training step from now block (one step per epoch with
    ``limit_train=64, batch_size=64``); ``wait_arrived()``
    returns once a run is blocked there; ``release()`` lets it go on. ``env()`` is a worker environment that
    points at this gate (in-process runs read ``os.environ``: use ``monkeypatch.setenv(*gate.env_pair)``).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def env_pair(self) -> tuple[str, str]:
        return ("CGAN_TEST_GATE", str(self.folder))

    def env(self) -> dict[str, str]:
        env = worker_env()
        env[self.env_pair[0]] = self.env_pair[1]
        return env

    def hold(self, step: int = 1) -> None:
        (self.folder / "arrived").unlink(missing_ok=True)
        tmp = self.folder / "hold.tmp"
        tmp.write_text(f"{step} {uuid.uuid4().hex}")  # a new token: the loss counts steps afresh
        os.replace(tmp, self.folder / "hold")

    def wait_arrived(self, timeout: float = HANG_GUARD_S, progress: Callable[[], object] | None = None) -> int:
        arrived = self.folder / "arrived"
        wait_for(arrived.exists, timeout=timeout, interval=0.02, what=f"a run blocked at the gate in {self.folder}",
                 progress=progress)  # fmt: skip
        return int(arrived.read_text())

    def release(self) -> None:
        (self.folder / "hold").unlink(missing_ok=True)
