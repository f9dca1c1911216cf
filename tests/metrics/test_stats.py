"""Statistics across seeds: Student-t intervals, Welch's test, settings, and where they show (ls, aggregate)."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from cgan_tui import stats
from cgan_tui.cli import main
from cgan_tui.results import SETTING, aggregate, load_results
from cgan_tui.store.db import open_store

from .conftest import add_run, add_values


def test_ci_matches_scipy_interval():
    xs = [38.2, 41.0, 39.5, 44.1]
    low, high = sps.t.interval(0.95, len(xs) - 1, loc=sum(xs) / len(xs), scale=sps.sem(xs))
    assert stats.ci_half_width(xs) == pytest.approx((high - low) / 2)
    assert stats.ci_half_width([1.0]) is None and stats.ci_half_width([1.0, None]) is None


def test_welch_matches_textbook_example_and_edges():
    # the worked example of the Wikipedia article "Welch's t-test" (example 1): t = -2.46, df = 24.9, p = 0.021
    a, b = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4], \
           [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4]  # fmt: skip
    result = stats.welch(a, b)
    assert result.p == pytest.approx(0.021, abs=1e-3)
    assert result.significant and result.text().endswith("*")
    same = stats.welch([1.0, 2.0, 3.0], [1.5, 2.5, 2.0])
    assert not same.significant and same.text().endswith("n.s.")
    one = stats.welch([1.0], [2.0, 3.0])
    assert one.p is None and "needs ≥2 each" in one.text()
    assert stats.welch([2.0, 2.0], [2.0, 2.0]).p == 1.0  # no spread, same mean: no difference


def test_setting_ignores_seed_and_device_only():
    base = {"loss": "hinge", "lr": 2e-4, "seed": 1, "device": "cpu"}
    assert stats.setting_of(base) == stats.setting_of({**base, "seed": 7, "device": "cuda"})
    assert stats.setting_of(base) != stats.setting_of({**base, "lr": 1e-4})


def _seed_db(store):
    """Two settings (bce, hinge) over three seeds each, one epoch each, FID on the inception backend."""
    fids = {"bce": (40.0, 42.0, 41.0), "hinge": (60.0, 63.0, 61.5)}
    for loss, values in fids.items():
        for seed, fid in enumerate(values):
            run = add_run(store, loss=loss, seed=seed, epochs=10, checkpoint_epochs=(10,))
            add_values(store, run, 10, "inception", fid=fid, **{"is": 2.0})
            add_values(store, run, 10, "lpips", lpips=0.4)
    return fids


def test_aggregate_by_setting_pools_seeds_with_ci(store):
    fids = _seed_db(store)
    rows = load_results(store)
    groups = aggregate(rows, SETTING, "fid@inception")
    assert len(groups) == 2
    for agg in groups:
        loss = "bce" if "BCE" in str(agg.group) else "hinge"
        assert agg.n == 3 and agg.runs == 3
        assert agg.mean == pytest.approx(sum(fids[loss]) / 3)
        assert agg.ci == pytest.approx(stats.ci_half_width(fids[loss]))
    assert len({r.setting for r in rows}) == 2 and len({r.setting_key for r in rows}) == 2


def test_ls_aggregate_shows_ci(db_url, capsys):
    store = open_store(db_url)
    fids = _seed_db(store)
    store.dispose()
    assert main(["ls", "--db", db_url, "--aggregate", "setting", "--value", "fid"]) == 0
    out = capsys.readouterr().out
    lines = [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]
    bce = next(cells for cells in lines if "BCE" in cells[0])
    assert bce[2:4] == ["3", "3"]
    half = stats.ci_half_width(fids["bce"])
    assert bce[5] == f"± {half:.2f}" or bce[5].startswith("± ") and math.isclose(float(bce[5][2:]), half, rel_tol=0.01)
    assert "95% CI: Student-t interval" in out


def test_no_interval_over_epochs_of_one_run(store):
    """Two epochs of one run are not two samples: the group shows its mean and std but no CI."""
    run = add_run(store, loss="bce", epochs=20, checkpoint_epochs=(10, 20))
    for epoch, fid in ((10, 50.0), (20, 40.0)):
        add_values(store, run, epoch, "inception", fid=fid, **{"is": 2.0})
    (agg,) = aggregate(load_results(store), "loss", "fid@inception")
    assert agg.n == 2 and agg.runs == 1 and agg.std is not None and agg.ci is None
