"""A test plugin with two broken losses: one whose D loss is NaN, one that raises while training.

Registered in-process with ``load_plugins(extra=...)`` and in worker subprocesses through
``CGAN_TUI_EXTRA_PLUGINS=cgan_test_losses`` (this folder on PYTHONPATH).
"""

from cgan_tui.hooks import hookimpl
from cgan_tui.specs import Loss


def _nan_d_loss(real_scores, fake_scores):
    return (real_scores.mean() - fake_scores.mean()) * float("nan")


def _g_loss(fake_scores, **_):
    return -fake_scores.mean()


def _boom(real_scores, fake_scores):
    raise RuntimeError("boom from the test loss plugin")


@hookimpl
def register_losses():
    return [
        Loss(name="test-nan", d_loss=_nan_d_loss, g_loss=_g_loss, description="D loss is NaN"),
        Loss(name="test-boom", d_loss=_boom, g_loss=_g_loss, description="raises inside training"),
    ]
