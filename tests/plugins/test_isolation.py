"""A plugin that breaks in any way is reported by name; the app and the other plugins keep working."""

from __future__ import annotations

import textwrap
import types
from pathlib import Path

import pytest

from cgan_tui.hooks import hookimpl
from cgan_tui.plugins import load_plugins
from cgan_tui.specs import Conditioning, Loss, Metric


def _fn(*args, **kwargs):
    return 0.0


def plugin(name: str, **hooks) -> types.ModuleType:
    """An in-process plugin module with the given hook functions (marked with @hookimpl)."""
    module = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        setattr(module, hook_name, hookimpl(fn))
    return module


GOOD = plugin("good", register_losses=lambda: [Loss(name="good-loss", d_loss=_fn, g_loss=_fn)])


def info(regs, name):
    return next(p for p in regs.plugins if p.name == name)


def test_good_plugin_registers_alongside_builtins():
    regs = load_plugins(extra=[("good", GOOD)])
    assert info(regs, "good").status == "ok"
    assert regs.losses.owner("good-loss") == "good"
    assert regs.losses.owner("bce") == "builtin-losses"


def test_duplicate_builtin_name_is_refused_and_builtin_kept():
    fake_bce = Loss(name="bce", d_loss=_fn, g_loss=_fn)
    dup = plugin("dup", register_losses=lambda: [fake_bce, Loss(name="dup-own", d_loss=_fn, g_loss=_fn)])
    regs = load_plugins(extra=[("dup", dup), ("good", GOOD)])
    report = info(regs, "dup")
    assert report.status == "partial"  # its other loss still registered
    assert "duplicate loss name 'bce' from plugin 'dup': already provided by plugin 'builtin-losses'" in report.error
    assert regs.losses.get("bce") is not fake_bce and regs.losses.owner("bce") == "builtin-losses"
    assert regs.losses.owner("dup-own") == "dup" and "good-loss" in regs.losses


@pytest.mark.parametrize(
    "returned, expected",
    [
        ("not a list", "register_losses returned str, expected a list"),
        ([Conditioning(name="x", generator=_fn)], "register_losses returned Conditioning, expected Loss"),
        ([Loss(name="", d_loss=_fn, g_loss=_fn)], "Loss without a name"),
        ([Loss(name="half", d_loss=_fn, g_loss="not callable")], "Loss 'half' refused: g_loss is not callable"),
        ([{"name": "dict"}], "returned dict, expected Loss"),
    ],
)
def test_malformed_return_is_reported(returned, expected):
    regs = load_plugins(extra=[("bad", plugin("bad", register_losses=lambda: returned)), ("good", GOOD)])
    report = info(regs, "bad")
    assert report.status == "failed" and expected in report.error
    assert "good-loss" in regs.losses and "half" not in regs.losses


def test_malformed_metric_direction_is_reported():
    metric = Metric(name="m", backend="pixel", compute=_fn, better="up")  # type: ignore[arg-type]
    regs = load_plugins(extra=[("bad", plugin("bad", register_metrics=lambda: [metric]))])
    assert "better must be 'lower' or 'higher'" in info(regs, "bad").error
    assert "m" not in regs.metrics


def test_raising_hook_is_reported_by_name_and_other_hooks_still_count():
    def boom():
        raise RuntimeError("kaboom in plugin")

    mixed = plugin("mixed", register_losses=boom,
                   register_conditionings=lambda: [Conditioning(name="mixed-cond", generator=_fn)])  # fmt: skip
    regs = load_plugins(extra=[("mixed", mixed), ("good", GOOD)])
    report = info(regs, "mixed")
    assert report.status == "partial"
    assert "register_losses raised RuntimeError: kaboom in plugin (at test_isolation.py:" in report.error
    assert "mixed-cond" in regs.conditionings and "good-loss" in regs.losses


def test_hook_name_typo_and_empty_plugin_are_reported():
    typo = plugin("typo", register_loss=lambda: [Loss(name="t", d_loss=_fn, g_loss=_fn)])
    regs = load_plugins(extra=[("typo", typo), ("empty", types.ModuleType("empty"))])
    assert info(regs, "typo").status == "failed"
    assert "unknown hook(s) register_loss; valid: register_losses" in info(regs, "typo").error
    assert "implements no register_* hook" in info(regs, "empty").error


def test_wrong_hook_arguments_fail_registration_only():
    bad = plugin("args", register_losses=lambda registry: [])
    regs = load_plugins(extra=[("args", bad), ("good", GOOD)])
    assert info(regs, "args").status == "failed" and "register failed" in info(regs, "args").error
    assert "good-loss" in regs.losses


def fake_dist(site: Path, dist: str, version: str, entry: str, module: str, source: str) -> None:
    """A minimal installed distribution (dist-info with entry_points.txt) plus its module."""
    info_dir = site / f"{dist.replace('-', '_')}-{version}.dist-info"
    info_dir.mkdir(parents=True)
    (info_dir / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info_dir / "entry_points.txt").write_text(f"[cgan_tui]\n{entry} = {module}\n")
    (site / f"{module}.py").write_text(textwrap.dedent(source))


def test_entry_point_plugins_cannot_take_builtin_names_and_errors_are_isolated(tmp_path, monkeypatch):
    # "aaa" sorts before every built-in entry point name: discovery order must still favour built-ins
    fake_dist(tmp_path, "aaa-hijack", "1.0", "aaa-hijack", "aaa_hijack", """
        from cgan_tui.hooks import hookimpl
        from cgan_tui.specs import Loss
        @hookimpl
        def register_losses():
            return [Loss(name="hinge", d_loss=abs, g_loss=abs)]
        """)  # fmt: skip
    fake_dist(tmp_path, "exits", "1.0", "exits", "exits_plugin", "import sys; sys.exit(3)")
    fake_dist(tmp_path, "other", "2.0", "other", "other_plugin", """
        from cgan_tui.hooks import hookimpl
        from cgan_tui.specs import Loss
        @hookimpl
        def register_losses():
            return [Loss(name="other-loss", d_loss=abs, g_loss=abs)]
        """)  # fmt: skip
    fake_dist(tmp_path, "clash", "1.0", "other", "zz_clash_plugin", "")  # same name, sorts second
    monkeypatch.syspath_prepend(str(tmp_path))
    regs = load_plugins()
    assert regs.losses.owner("hinge") == "builtin-losses"
    hijack = info(regs, "aaa-hijack")
    assert hijack.status == "failed" and "duplicate loss name 'hinge'" in hijack.error
    assert (hijack.package, hijack.version) == ("aaa-hijack", "1.0")
    assert info(regs, "exits").status == "failed" and "SystemExit: 3" in info(regs, "exits").error
    assert regs.losses.owner("other-loss") == "other"
    clashes = [p for p in regs.plugins if p.name == "other"]
    assert len(clashes) == 2 and "duplicate plugin name 'other'" in clashes[1].error
    assert info(regs, "builtin-losses").status == "ok" and "hinge" in info(regs, "builtin-losses").provides["losses"]


def test_unknown_name_error_points_at_plugins_that_did_not_load():
    from cgan_tui.plugins import UnknownName

    def boom():
        raise RuntimeError("no")

    regs = load_plugins(extra=[("crashy", plugin("crashy", register_losses=boom)), ("off", GOOD)], disabled=["off"])
    with pytest.raises(UnknownName) as err:
        regs.losses.get("good-loss")
    message = str(err.value)
    assert message.startswith("unknown loss 'good-loss'; valid: bce, ")
    assert "plugins not loaded: crashy (failed), off (disabled); see cgan-tui plugins" in message
    assert "\n" not in message
