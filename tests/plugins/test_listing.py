"""``cgan-tui plugins`` on really installed packages: listed with version, broken ones reported."""

from __future__ import annotations

import json
import subprocess
import sys

from cgan_tui.plugins import load_plugins

EXPECTED = {
    "relativistic": ("cgan-tui-relativistic", {"losses": ["rsgan", "rahinge"]}),
    "projection": ("cgan-tui-projection", {"conditionings": ["projection", "ac"]}),
    "precision-recall": ("cgan-tui-precision-recall", {"metrics": ["precision_recall"]}),
}


def test_cli_lists_installed_packages_and_reports_broken_one(plugin_site, broken_site, subprocess_env, run_cli):
    env = subprocess_env(plugin_site, broken_site)
    proc = run_cli("plugins", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    for name, (package, provides) in EXPECTED.items():
        row = rows[name]
        assert (row["package"], row["version"], row["status"], row["error"]) == (package, "0.1.0", "ok", "")
        assert row["provides"] == provides
    broken = rows["broken"]
    assert broken["status"] == "failed"
    assert broken["package"] == "cgan-tui-broken-pkg" and broken["version"] == "0.0.1"
    assert "import failed" in broken["error"] and "cgan_tui_this_dependency_does_not_exist" in broken["error"]
    # the built-ins are untouched by the broken third party
    assert "bce" in rows["builtin-losses"]["provides"]["losses"]

    table = run_cli("plugins", env=env)
    assert table.returncode == 0, table.stderr
    for name, (package, _) in EXPECTED.items():
        line = next(row for row in table.stdout.splitlines() if f" {name} " in row)
        assert package in line and "0.1.0" in line and "ok" in line
    assert "broken" in table.stdout and "failed" in table.stdout


def test_cli_disables_by_flag_and_env(plugin_site, subprocess_env, run_cli):
    proc = run_cli("plugins", "--json", "-p", "no:relativistic", env=subprocess_env(plugin_site))
    rows = {row["name"]: row for row in json.loads(proc.stdout)}
    assert rows["relativistic"]["status"] == "disabled" and rows["relativistic"]["provides"] == {}
    assert rows["projection"]["status"] == "ok"

    env = subprocess_env(plugin_site, CGAN_TUI_DISABLE_PLUGINS="projection, precision-recall")
    rows = {row["name"]: row for row in json.loads(run_cli("plugins", "--json", env=env).stdout)}
    assert rows["projection"]["status"] == rows["precision-recall"]["status"] == "disabled"
    assert rows["relativistic"]["status"] == "ok"

    bad = run_cli("plugins", "-p", "relativistic", env=subprocess_env(plugin_site))
    assert bad.returncode == 2
    assert bad.stderr.startswith("cgan-tui: error: -p expects no:NAME")


def test_disabled_plugin_names_are_not_valid_choices(with_plugins, monkeypatch):
    regs = load_plugins(disabled=["relativistic"])
    assert "rsgan" not in regs.losses
    monkeypatch.setenv("CGAN_TUI_DISABLE_PLUGINS", "relativistic")
    regs = load_plugins()
    assert "rsgan" not in regs.losses and "projection" in regs.conditionings
    monkeypatch.delenv("CGAN_TUI_DISABLE_PLUGINS")
    regs = load_plugins()
    assert regs.losses.owner("rsgan") == "relativistic"
    assert regs.conditionings.get("ac").aux_weight > 0


def test_listing_plugins_does_not_import_torch(plugin_site, subprocess_env):
    code = (
        "import sys; from cgan_tui.plugins import load_plugins; r = load_plugins(); "
        "assert 'rsgan' in r.losses and 'projection' in r.conditionings and 'precision_recall' in r.metrics; "
        "print('torch' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=subprocess_env(plugin_site))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_narrow_listing_keeps_names_whole(plugin_site, broken_site, subprocess_env, run_cli):
    """On 80 columns (or piped) the table squeezed "provides" to 3 letters a line; now one block per plugin."""
    proc = run_cli("plugins", env=subprocess_env(plugin_site, broken_site, COLUMNS="80"))
    assert proc.returncode == 0, proc.stderr
    lines = [line.rstrip() for line in proc.stdout.splitlines()]
    assert max(len(line) for line in lines) <= 80
    assert "relativistic  cgan-tui-relativistic 0.1.0  ok" in lines
    assert "    losses (2): rsgan, rahinge" in lines
    assert any(line.startswith("    error: ") and "import failed" in line for line in lines)


def test_unknown_disabled_name_is_an_error_only_when_strict():
    """The CLI's -p no:NAME is strict (a typo is an error); the app's background loader is not (no hang)."""
    import pytest

    from cgan_tui.errors import UserError

    assert "bce" in load_plugins(disabled=["nope"]).losses
    with pytest.raises(UserError, match="-p no:nope: no plugin named 'nope'; plugins: .*builtin-losses"):
        load_plugins(disabled=["nope"], strict_disabled=True)
