"""A test metric that lets a test hold a run inside its *evaluation* (as ``test-gate`` does in training).

``test_gate`` (backend ``testgate``) blocks in ``compute`` at the gate of ``cgan_test_losses`` (same
hold file, same counter: with an ordinary loss only this metric counts), then returns 1.0. Kept in its
own module so that runs of other tests never see an extra metric; a test registers it with
``CGAN_TUI_EXTRA_PLUGINS=cgan_test_losses,cgan_test_metrics`` and ``metrics=("test_gate",)``.
"""

from cgan_test_losses import _wait_at_gate

from cgan_tui.hooks import hookimpl
from cgan_tui.specs import Metric

NAME = "test_gate"
BACKEND = "testgate"


def _gate_metric(ctx):
    _wait_at_gate()
    return {NAME: 1.0}


@hookimpl
def register_metrics():
    return [Metric(name=NAME, backend=BACKEND, compute=_gate_metric, better="higher",
                   description="1.0; blocks in evaluation while the test's hold file exists")]  # fmt: skip
