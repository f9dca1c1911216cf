"""A test plugin with losses that misbehave on purpose, and one that lets a test hold a run still.

- ``test-nan``: the D loss is NaN (the run must end ``diverged``);
- ``test-boom``: raises while training (the run must end ``failed``);
- ``test-gate``: an ordinary least-squares loss that, while a *hold file* exists, blocks inside a
  training step until the test removes it. Tests use it to act (cancel, SIGTERM, kill -9) while a run is
  provably mid-step, instead of hoping the run is still going when they act.

Gate protocol (folder ``$CGAN_TEST_GATE``; see ``runner_helpers.Gate``): the hold file ``hold`` holds an
integer K and a token; the K-th D-loss call (one per training step) that a process makes after it first sees this
hold file writes ``arrived`` and blocks until ``hold`` is removed. No hold file: no blocking.

Registered in-process with ``load_plugins(extra=...)`` and in worker subprocesses through
``CGAN_TUI_EXTRA_PLUGINS=cgan_test_losses`` (this folder on PYTHONPATH).
"""

import os
import time
from pathlib import Path

from cgan_tui.hooks import hookimpl
from cgan_tui.specs import Loss

GATE_ENV = "CGAN_TEST_GATE"
GATE_LIMIT_S = 600.0
"""A gate never released (a broken test) fails the run instead of hanging the suite forever."""

_hold_key: str | None = None
_calls = 0


def _nan_d_loss(real_scores, fake_scores):
    return (real_scores.mean() - fake_scores.mean()) * float("nan")


def _g_loss(fake_scores, **_):
    return -fake_scores.mean()


def _boom(real_scores, fake_scores):
    raise RuntimeError("boom from the test loss plugin")


def _wait_at_gate() -> None:
    global _hold_key, _calls
    folder = os.environ.get(GATE_ENV)
    if not folder:
        return
    hold = Path(folder) / "hold"
    try:
        key = hold.read_text().strip()  # "K TOKEN": a fresh token for every hold
        block_at = int(key.split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return
    if key != _hold_key:  # a new hold: count this process's steps from here
        _hold_key, _calls = key, 0
    _calls += 1
    if _calls != block_at:
        return
    arrived = Path(folder) / "arrived"
    tmp = arrived.with_suffix(".tmp")
    tmp.write_text(str(_calls))
    os.replace(tmp, arrived)
    deadline = time.monotonic() + GATE_LIMIT_S
    while hold.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"test gate {folder} was never released")
        time.sleep(0.01)


def _gate_d_loss(real_scores, fake_scores):
    _wait_at_gate()
    return ((real_scores - 1) ** 2).mean() + (fake_scores**2).mean()


def _gate_g_loss(fake_scores, **_):
    return ((fake_scores - 1) ** 2).mean()


@hookimpl
def register_losses():
    return [
        Loss(name="test-nan", d_loss=_nan_d_loss, g_loss=_g_loss, description="D loss is NaN"),
        Loss(name="test-boom", d_loss=_boom, g_loss=_g_loss, description="raises inside training"),
        Loss(name="test-gate", d_loss=_gate_d_loss, g_loss=_gate_g_loss,
             description="least squares; blocks in a step while the test's hold file exists"),
    ]  # fmt: skip
