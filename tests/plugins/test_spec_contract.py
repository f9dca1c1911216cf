"""The plugin contract a plugin author can rely on (issue 28, item 5): the package version moves with
the hook spec, a plugin declares the spec it needs (one line when it is newer than the installed one),
"unknown NAME" errors name the plugins that failed to load, ``ConditionedGenerator`` gives the labels
to a body that wants them, and a metric's spec (not its value names) says which columns are hidden."""

from __future__ import annotations

import re
import tomllib
import types
from pathlib import Path

import pytest

import cgan_tui
from cgan_tui import HOOKSPEC_VERSION, Loss, Metric, hookimpl
from cgan_tui.errors import UserError
from cgan_tui.plugins import UnknownName, load_plugins
from cgan_tui.specs import package_version_for

ROOT = Path(__file__).resolve().parents[2]


def test_the_package_version_moves_with_the_hook_spec():
    assert package_version_for(3) == "0.2"
    assert cgan_tui.__version__.startswith(package_version_for(HOOKSPEC_VERSION) + ".")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" in project["project"]["dynamic"]  # one home: cgan_tui.__version__
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cgan_tui.__version__"}


def _loss_plugin(name: str, spec: object = None) -> types.ModuleType:
    module = types.ModuleType(f"cgan_tui_{name}")

    def register_losses():
        return [Loss(name=f"{name}-loss", d_loss=lambda r, f: r, g_loss=lambda f: f)]

    module.register_losses = hookimpl(register_losses)
    if spec is not None:
        module.CGAN_TUI_SPEC = spec
    return module


def test_a_plugin_needing_a_newer_spec_fails_with_one_line():
    newer = HOOKSPEC_VERSION + 1
    regs = load_plugins(extra=[("future", _loss_plugin("future", newer)), ("today", _loss_plugin("today", HOOKSPEC_VERSION)),
                               ("old", _loss_plugin("old", 1)), ("undeclared", _loss_plugin("undeclared"))])  # fmt: skip
    info = {i.name: i for i in regs.plugins}
    assert info["future"].status == "failed"
    assert info["future"].error == (
        f"plugin 'future' needs hook spec {newer} (cgan-tui >= {package_version_for(newer)}); installed cgan-tui "
        f"{package_version_for(HOOKSPEC_VERSION)} has hook spec {HOOKSPEC_VERSION}: upgrade cgan-tui or use an "
        "older release of the plugin"
    )
    assert "\n" not in info["future"].error
    for name in ("today", "old", "undeclared"):  # specs are backward compatible
        assert info[name].status == "ok", info[name].error
        assert f"{name}-loss" in regs.losses
    with pytest.raises(UnknownName, match=r"unknown loss 'future-loss'; valid: .*\(plugins not loaded: future \(failed\)"):
        regs.losses.get("future-loss")


def test_a_malformed_spec_declaration_is_named():
    regs = load_plugins(extra=[("odd", _loss_plugin("odd", "3"))])
    (info,) = [i for i in regs.plugins if i.name == "odd"]
    assert info.status == "failed"
    assert info.error == f"plugin 'odd': CGAN_TUI_SPEC must be a hook spec number like {HOOKSPEC_VERSION}, got '3'"


def test_the_example_packages_declare_what_they_need():
    diffusion = (ROOT / "plugins" / "cgan-tui-diffusion" / "cgan_tui_diffusion" / "__init__.py").read_text(encoding="utf-8")
    assert re.search(r"^CGAN_TUI_SPEC = 3$", diffusion, flags=re.M)


def test_unknown_name_errors_name_the_plugins_that_failed(tmp_path):
    from cgan_tui.cli.ls_cmd import resolve_key
    from cgan_tui.gan.metrics.engine import select_metrics

    regs = load_plugins(extra=[("future", _loss_plugin("future", HOOKSPEC_VERSION + 1))])
    note = regs.note
    assert note == " (plugins not loaded: future (failed); see cgan-tui plugins)"
    with pytest.raises(UserError, match=re.escape(note)):
        resolve_key("precision_x", ["fid@inception"], note=note)
    with pytest.raises(UserError, match=re.escape(note)):
        select_metrics(regs.metrics, ["nope"])
    with pytest.raises(UserError, match=r"-p no:typo: no plugin named 'typo'.*plugins not loaded: future \(failed\)"):
        load_plugins(disabled=["typo"], extra=[("future", _loss_plugin("future", HOOKSPEC_VERSION + 1))],
                     strict_disabled=True)


def test_hidden_columns_come_from_the_metric_spec():
    from cgan_tui.results import hidden_by_default

    module = types.ModuleType("cgan_tui_spread")

    def register_metrics():
        return [Metric(name="spread", backend="pixel", compute=lambda ctx: {}, better="lower",
                       better_by_value={"width_std": "lower", "noise": "lower"}, hidden_values=("noise",))]  # fmt: skip

    module.register_metrics = hookimpl(register_metrics)
    regs = load_plugins(extra=[("spread", module)])
    assert not hidden_by_default("width_std@pixel", regs)  # a name ending in _std is a value like any other
    assert hidden_by_default("noise@pixel", regs)  # declared
    assert hidden_by_default("kid_std@inception", regs) and hidden_by_default("fid_se@classifier", regs)
    assert not hidden_by_default("kid@inception", regs)


def test_conditioned_generator_gives_labels_to_a_body_that_wants_them():
    torch = pytest.importorskip("torch")
    from cgan_tui import ConditionedGenerator, OneHotEncoder

    class LabelBody(torch.nn.Module):
        takes_labels = True

        def forward(self, x, labels):
            return x.sum(dim=1, keepdim=True) + labels.view(-1, 1).float() * 100

    class PlainBody(torch.nn.Module):
        def forward(self, x):
            return x.sum(dim=1, keepdim=True)

    z, labels = torch.zeros(3, 4), torch.tensor([0, 1, 2])
    with_labels = ConditionedGenerator(OneHotEncoder(10), LabelBody(), latent_dim=4)(z, labels)
    assert with_labels.view(-1).tolist() == [1.0, 101.0, 201.0]
    plain = ConditionedGenerator(OneHotEncoder(10), PlainBody(), latent_dim=4)(z, labels)
    assert plain.view(-1).tolist() == [1.0, 1.0, 1.0]
