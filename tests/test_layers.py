"""The layer arrows of DESIGN.md, checked by importing modules in fresh interpreters.

- The UI's world (ui/, store/, builtin/, results, runner.queue, runner.executors, config, plugins,
  specs, ...) never imports torch, not even indirectly: the TUI and ``cgan-tui plugins`` start fast.
- ``cgan_tui.gan`` never imports textual or sqlmodel; ``cgan_tui.runner`` never imports textual.

Modules are imported one by one in a single subprocess per rule; the first import after which a
forbidden package shows up in ``sys.modules`` is the culprit. Listed modules that do not exist yet
are skipped; a module that exists but fails to import fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "cgan_tui"

PROBE = r"""
import importlib, json, sys, traceback
modules, forbidden, call_load_plugins = json.loads(sys.argv[1])
report = {"culprits": {}, "broken": {}, "imported": []}
for name in modules:
    before = {f for f in forbidden if f in sys.modules}
    try:
        importlib.import_module(name)
    except Exception:
        report["broken"][name] = traceback.format_exc(limit=3)
        continue
    report["imported"].append(name)
    new = sorted({f for f in forbidden if f in sys.modules} - before)
    if new:
        report["culprits"][name] = new
if call_load_plugins:
    from cgan_tui.plugins import load_plugins
    before = {f for f in forbidden if f in sys.modules}
    regs = load_plugins()
    new = sorted({f for f in forbidden if f in sys.modules} - before)
    if new:
        report["culprits"]["load_plugins()"] = new
    report["plugins"] = {p.name: p.status for p in regs.plugins}
print(json.dumps(report))
"""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_under(subpackage: str) -> list[str]:
    """Every module file below ``cgan_tui/<subpackage>`` (without importing anything)."""
    folder = PKG / subpackage.replace(".", "/")
    modules = sorted(module_name(p) for p in folder.rglob("*.py"))
    assert modules, f"no modules under {folder}: the layer check would pass vacuously"
    return modules


def probe(modules: list[str], forbidden: list[str], call_load_plugins: bool = False) -> dict:
    env = dict(os.environ)
    env.pop("CGAN_TUI_DISABLE_PLUGINS", None)
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([modules, forbidden, call_load_plugins])],
        capture_output=True, text=True, env=env, cwd=ROOT, timeout=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def assert_clean(report: dict, modules: list[str], forbidden: list[str]) -> None:
    assert not report["broken"], "modules that exist but fail to import:\n" + "\n".join(
        f"{name}:\n{tb}" for name, tb in report["broken"].items()
    )
    assert not report["culprits"], f"imports of {forbidden} where the layers forbid them: {report['culprits']}"
    assert report["imported"] == modules


TORCH_FREE_PACKAGES = ("ui", "store", "builtin")
TORCH_FREE_MODULES = (
    "cgan_tui",
    "cgan_tui.results",
    "cgan_tui.results.sample_n",
    "cgan_tui.formatting",
    "cgan_tui.runner.queue",
    "cgan_tui.runner.executors",
    "cgan_tui.config",
    "cgan_tui.plugins",
    "cgan_tui.specs",
    "cgan_tui.hooks",
    "cgan_tui.lazy",
    "cgan_tui.plugin_calls",
    "cgan_tui.grid_tiles",
    "cgan_tui.errors",
    "cgan_tui.scoring",
    "cgan_tui.cli",
    "cgan_tui.cli.plugins_cmd",
    "cgan_tui.cli.ls_view",
)


def test_ui_side_never_imports_torch():
    modules = list(TORCH_FREE_MODULES) + [m for p in TORCH_FREE_PACKAGES for m in modules_under(p)]
    report = probe(modules, ["torch"], call_load_plugins=True)
    assert_clean(report, modules, ["torch"])
    assert report["plugins"], "load_plugins() found no plugins at all"


def test_engine_never_imports_textual_or_sqlmodel():
    """Nor pydantic: the engine takes ``RunConfig`` (``cgan_tui.run_config``) as plain values."""
    modules = modules_under("gan")
    forbidden = ["textual", "sqlmodel", "sqlalchemy", "pydantic"]
    # torch is watched too (allowed here): proof that the probe does notice an import when one happens
    report = probe(modules, [*forbidden, "torch"])
    torch_importers = [m for m, found in report["culprits"].items() if "torch" in found]
    assert len(torch_importers) == 1, report["culprits"]
    report["culprits"] = {m: [f for f in found if f != "torch"] for m, found in report["culprits"].items()}
    report["culprits"] = {m: found for m, found in report["culprits"].items() if found}
    assert_clean(report, modules, forbidden)


def test_runner_never_imports_textual():
    modules = modules_under("runner")
    assert_clean(probe(modules, ["textual"]), modules, ["textual"])
