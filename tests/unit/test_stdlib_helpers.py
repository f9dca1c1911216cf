"""Where the standard library does the work: score order (graphlib), mean/std (statistics), targets
(pkgutil.resolve_name). The tests pin the behaviour the hand-written versions had."""

from __future__ import annotations

import statistics
from types import SimpleNamespace

import pytest

from cgan_tui.lazy import lazy
from cgan_tui.plugins import PluginError, extra_plugins_from_env
from cgan_tui.results import ResultRow, _ordered_scores, aggregate
from cgan_tui.specs import Score


def score(name: str, *needs: str) -> Score:
    return Score(name=name, compute=lambda v, r, o: None, needs=needs)


def test_scores_come_after_the_scores_they_need():
    regs = SimpleNamespace(scores=[score("final", "combined", "ratings"), score("combined", "fid", "is"),
                                   score("solo", "fid")])  # fmt: skip
    order = [s.name for s in _ordered_scores(regs)]
    assert order.index("combined") < order.index("final") and set(order) == {"final", "combined", "solo"}


def test_a_cycle_keeps_registration_order_instead_of_failing():
    regs = SimpleNamespace(scores=[score("a", "b"), score("b", "a"), score("c")])
    assert [s.name for s in _ordered_scores(regs)] == ["a", "b", "c"]


def test_aggregate_mean_and_sample_std():
    values = [40.0, 42.5, 47.0]
    rows = [ResultRow(run_id=i, epoch=10, model="seed004", loss="bce", conditioning="embedding", d_conditioning="",
                      embed_dim=10, planned_epochs=10, seed=i, status="completed", values={"fid@inception": v},
                      n_samples={"fid@inception": 100}) for i, v in enumerate(values)]  # fmt: skip
    (agg,) = aggregate(rows, "loss", "fid@inception", better="lower")
    assert agg.mean == pytest.approx(statistics.fmean(values)) and agg.std == pytest.approx(statistics.stdev(values))
    assert agg.best == 40.0 and agg.n == 3


def test_lazy_targets_resolve_nested_attributes():
    assert lazy("os.path:join")("a", "b") == "a/b"
    assert lazy("cgan_tui.results:ResultRow.get").resolve() is ResultRow.get


def test_extra_plugin_spec_errors_name_the_spec(monkeypatch):
    monkeypatch.setenv("CGAN_TUI_EXTRA_PLUGINS", "os.path:nope")
    with pytest.raises(PluginError, match=r"^CGAN_TUI_EXTRA_PLUGINS: cannot load 'os.path:nope'"):
        extra_plugins_from_env()
    monkeypatch.setenv("CGAN_TUI_EXTRA_PLUGINS", "os.path, json:dumps")
    assert [name for name, _ in extra_plugins_from_env()] == ["os.path", "json:dumps"]
