"""The public plugin API: ``from cgan_tui import ...`` is all a plugin needs, and it loads no torch.

A plugin whose loss or metric raises or returns the wrong type is named in one line with its hook.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

import cgan_tui
from cgan_tui import Loss, Metric, MetricUnavailable, PluginCallError, hookimpl

ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
import cgan_tui
after_import = "torch" in sys.modules
eager = [n for n in cgan_tui.__all__ if n not in cgan_tui._LAZY]
for name in eager:
    getattr(cgan_tui, name)
after_eager = "torch" in sys.modules
missing = [n for n in cgan_tui.__all__ if getattr(cgan_tui, n, None) is None]
print(json.dumps({"after_import": after_import, "after_eager": after_eager, "eager": eager,
                  "missing": missing, "torch_at_end": "torch" in sys.modules}))
"""


def test_every_public_name_resolves_and_only_lazy_ones_load_torch():
    proc = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, timeout=240,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["after_import"] is False, "import cgan_tui imported torch"
    assert report["after_eager"] is False, f"an eager public name imported torch: {report['eager']}"
    assert report["missing"] == []
    assert report["torch_at_end"] is True  # the lazy names were resolved for real (MetricContext needs torch)
    assert {"hookimpl", "Loss", "Conditioning", "ModelFamily", "Metric", "Score", "lazy", "HOOKSPEC_VERSION",
            "MetricUnavailable", "WeightsUnavailable"} <= set(report["eager"])  # fmt: skip
    assert {"MetricContext", "DiscriminatorConditioner", "LabelEncoder"} <= set(cgan_tui._LAZY)


def test_unknown_public_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        cgan_tui.nope  # noqa: B018 - the attribute access is the test


def test_example_packages_and_guide_import_only_the_public_api():
    """The acceptance check of issue 15 (``grep -rn "cgan_tui\\.gan\\." plugins/ docs/plugins.md``), and more:
    every import of cgan_tui in them is ``from cgan_tui import ...`` of names in ``__all__``."""
    texts = {p: p.read_text(encoding="utf-8") for p in [ROOT / "docs" / "plugins.md", *(ROOT / "plugins").rglob("*.py")]}
    assert not [p for p, text in texts.items() if "cgan_tui.gan." in text]
    for path, text in texts.items():
        assert not re.search(r"^\s*(from|import) cgan_tui\.", text, flags=re.M), f"{path} imports a cgan_tui submodule"
        for names in re.findall(r"^\s*from cgan_tui import ([^\n#]+)", text, flags=re.M):
            for name in (n.strip() for n in names.split(",")):
                assert name in cgan_tui.__all__, f"{path}: {name} is not public"


def test_example_packages_declare_the_supported_cgan_tui_releases():
    for pyproject in (ROOT / "plugins").glob("*/pyproject.toml"):
        assert '"cgan-tui>=0.1,<0.3"' in pyproject.read_text(encoding="utf-8"), pyproject


# ------------------------------------------------------------------ calls into a misbehaving plugin
def _plugin(**hooks) -> types.ModuleType:
    module = types.ModuleType("misbehaving")
    for name, fn in hooks.items():
        setattr(module, name, hookimpl(fn))
    return module


def _raise(*args, **kwargs):
    raise ValueError("bad input to the plugin")


def _float(*args, **kwargs):
    return 0.5


def _unavailable(ctx):
    raise MetricUnavailable("needs a GPU")


@pytest.fixture(scope="module")
def regs():
    from cgan_tui.plugins import load_plugins

    losses = lambda: [Loss(name="raises", d_loss=_raise, g_loss=_raise), Loss(name="floats", d_loss=_float, g_loss=_float)]  # noqa: E731
    metrics = lambda: [  # noqa: E731
        Metric(name="m-raises", backend="pixel", compute=_raise),
        Metric(name="m-list", backend="pixel", compute=lambda ctx: [1.0]),
        Metric(name="m-text", backend="pixel", compute=lambda ctx: {"m-text": "high"}),
        Metric(name="m-ok", backend="pixel", compute=lambda ctx: {"m-ok": 1, "other": None}),
        Metric(name="m-unavailable", backend="pixel", compute=_unavailable),
    ]
    return load_plugins(extra=[("misbehaving", _plugin(register_losses=losses, register_metrics=metrics))])


WHO = "plugin 'misbehaving' (in-process misbehaving)"


def test_a_raising_loss_is_named_with_its_plugin_and_hook(regs):
    torch = pytest.importorskip("torch")
    with pytest.raises(PluginCallError) as caught:
        regs.losses.get("raises").d_loss(torch.zeros(2), torch.zeros(2))
    text = str(caught.value)
    assert text.startswith(f"{WHO} register_losses: loss 'raises' d_loss raised ValueError: bad input to the plugin")
    assert "(at test_public_api.py:" in text and "\n" not in text
    assert isinstance(caught.value.__cause__, ValueError)  # the original stays chained for the run log


def test_a_loss_returning_the_wrong_type_is_named(regs):
    torch = pytest.importorskip("torch")
    with pytest.raises(PluginCallError, match=re.escape(f"{WHO} register_losses: loss 'floats' g_loss returned float, "
                                                        "expected a scalar torch.Tensor")):  # fmt: skip
        regs.losses.get("floats").g_loss(torch.zeros(2))
    builtin = regs.losses.get("bce")
    assert builtin.d_loss(torch.zeros(4), torch.zeros(4)).ndim == 0  # a well-behaved loss is untouched


def test_metric_calls_are_checked_and_unavailable_passes_through(regs):
    compute = {m.name: m.compute for m in regs.metrics}
    with pytest.raises(PluginCallError, match=re.escape(f"{WHO} register_metrics: metric 'm-raises' compute raised ValueError")):
        compute["m-raises"](None)
    with pytest.raises(PluginCallError, match="metric 'm-list' compute returned list, expected a dict"):
        compute["m-list"](None)
    with pytest.raises(PluginCallError, match="metric 'm-text' compute returned str for 'm-text', expected a float"):
        compute["m-text"](None)
    assert compute["m-ok"](None) == {"m-ok": 1, "other": None}
    with pytest.raises(MetricUnavailable, match="needs a GPU") as caught:
        compute["m-unavailable"](None)
    assert not isinstance(caught.value, PluginCallError)


def test_a_raising_metric_is_stored_as_an_error_naming_the_plugin(regs, fmnist_dir):
    """Through the real evaluation: the broken metric's value is an error line naming the plugin and hook,
    the other metrics of the same evaluation are stored as usual."""
    torch = pytest.importorskip("torch")
    from cgan_tui.gan.data import load_fashion_mnist
    from cgan_tui.gan.metrics.engine import evaluate

    class Flat(torch.nn.Module):
        def forward(self, z, labels):
            return torch.zeros(len(labels), 1, 28, 28)

    real = load_fashion_mnist(fmnist_dir, "test")
    config = types.SimpleNamespace(latent_dim=4, data_dir=str(fmnist_dir))
    results = evaluate(Flat(), config, regs, epoch=1, n=20, device="cpu", metrics=["m-raises", "m-ok"], real=real)
    by_name = {r.name: r for r in results}
    assert by_name["m-ok"].value == 1.0
    reason = by_name["m-raises"].unavailable
    assert reason.startswith("error: ") and WHO in reason and "register_metrics" in reason, reason
