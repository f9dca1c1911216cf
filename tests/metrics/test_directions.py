"""A value's direction has one home, its metric's spec: tables, aggregates and ``ls`` read it from there."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgan_tui import results
from cgan_tui.cli import main
from cgan_tui.plugins import load_plugins

from .conftest import add_run, add_values

PRECISION_RECALL = Path(__file__).resolve().parents[2] / "plugins" / "cgan-tui-precision-recall"


def test_every_value_direction_is_its_metric_specs():
    """``is_std`` was "higher" in a table of known names while its spec said "lower"; no copy now."""
    regs = load_plugins()
    table = results.directions(regs)
    for metric in regs.metrics:
        for name in list(metric.better_by_value) or [metric.name]:
            assert table[f"{name}@{metric.backend}"] == metric.direction(name), (metric.name, name)
    assert results.direction_of("is_std@inception") == "lower"
    assert results.direction_of("is_std@classifier") == "lower"
    assert results.direction_of("is@classifier") == "higher"
    assert results.direction_of("combined@inception") == "lower"  # a score's direction: its spec's
    assert results.direction_of("sharpness@rating") == "higher"


@pytest.fixture
def precision_recall(monkeypatch):
    """The precision/recall example plugin registered in-process, as the CLI loads it."""
    monkeypatch.syspath_prepend(str(PRECISION_RECALL))
    monkeypatch.setenv("CGAN_TUI_EXTRA_PLUGINS", "cgan_tui_precision_recall")


def test_ls_aggregate_best_uses_plugin_direction(store, db_url, precision_recall, capsys):
    """``ls --aggregate loss --value precision``: best is the highest precision (the plugin says so)."""
    for seed, precision in ((0, 0.2), (1, 0.9)):
        run = add_run(store, loss="hinge", seed=seed, epochs=10, checkpoint_epochs=(10,))
        add_values(store, run, 10, "classifier", precision=precision, recall=0.5)
    (agg,) = results.aggregate(results.load_results(store), "loss", "precision@classifier")
    assert agg.best == 0.9
    assert main(["ls", "--aggregate", "loss", "--value", "precision", "--db", db_url]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "hinge" in line)
    assert row.rstrip(" │|").split()[-1] == "0.900", out


def test_unknown_backend_key_takes_the_bare_name_direction():
    assert results.direction_of("fid@someday") == "lower"
    assert results.direction_of("psnr@someday") == "higher"
    assert results.direction_of("label") is None
