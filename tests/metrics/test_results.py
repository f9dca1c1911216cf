"""The torch-free results read model: which (run, epoch) pairs are models, values, scores, sorting."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from cgan_tui import results, scoring
from cgan_tui.results import ResultRow, aggregate, columns_for, filter_rows, load_results, sort_rows
from cgan_tui.store import queries
from cgan_tui.store.tables import RATING_CRITERIA

from .conftest import add_run, add_values

IS_REASON = "torch-fidelity Inception weights missing (looked in /x)"


def seed_db(store):
    """Three runs: BCE with checkpoint metrics, HINGE with an unavailable IS, one queued."""
    bce = add_run(store, loss="bce", embed_dim=10, experiment="seed000")
    for epoch, fid in ((10, 50.32), (20, 42.18), (30, 38.15)):
        add_values(store, bce, epoch, "inception", fid=fid, **{"is": 2.21})
        add_values(store, bce, epoch, "lpips", lpips=0.431)
        add_values(store, bce, epoch, "classifier", fid=5.0 + epoch / 10, class_acc=0.8)
        add_values(store, bce, epoch, "train", n=0, g_loss=1.0, d_loss=0.5)
    add_values(store, bce, 5, "classifier", fid=9.0, class_acc=0.5)  # every-epoch metric, not a model
    add_values(store, bce, 5, "train", n=0, g_loss=2.0, d_loss=0.7)
    hinge = add_run(store, loss="hinge", embed_dim=32, status="running", experiment="seed000")
    add_values(store, hinge, 10, "inception", fid=51.94, **{"is": None}, unavailable={"is": IS_REASON})
    add_values(store, hinge, 10, "lpips", lpips=0.442)
    queued = add_run(store, loss="lsgan", embed_dim=10, status="queued")
    return bce, hinge, queued


def test_models_are_checkpoint_epochs_with_values_and_runs_without_show_once(store):
    bce, hinge, queued = seed_db(store)
    rows = load_results(store)
    assert [(r.run_id, r.epoch) for r in rows] == [(bce, 10), (bce, 20), (bce, 30), (hinge, 10), (queued, 0)]
    best = rows[2]
    assert best.label == "BCE_10 e30"
    assert best.experiment == "seed000"
    assert best.values["fid@inception"] == pytest.approx(38.15)
    assert best.values["g_loss@train"] == pytest.approx(1.0)
    assert best.n_samples["fid@inception"] == 100
    assert round(best.scores["combined@inception"], 2) == 46.98
    assert rows[4].status == "queued" and rows[4].values == {}


def test_running_run_before_first_checkpoint_shows_latest_epoch(store):
    run = add_run(store, status="running")
    add_values(store, run, 1, "train", n=0, g_loss=1.0)
    add_values(store, run, 2, "train", n=0, g_loss=0.9)
    add_values(store, run, 2, "classifier", class_acc=0.4)
    [row] = load_results(store)
    assert row.epoch == 2 and row.values["class_acc@classifier"] == pytest.approx(0.4)
    queries.update_run(store, run, current_epoch=3, current_step=5)  # epoch 3 in progress: nothing stored yet
    [row] = load_results(store)
    assert row.epoch == 2 and row.values["class_acc@classifier"] == pytest.approx(0.4)  # not an empty epoch 3


def test_missing_score_inputs_explain_themselves(store):
    _, hinge, _ = seed_db(store)
    rows = {(r.run_id, r.epoch): r for r in load_results(store)}
    row = rows[(hinge, 10)]
    assert row.values["is@inception"] is None
    assert row.why_missing("is@inception") == IS_REASON
    assert row.scores["combined@inception"] is None
    assert "is@inception unavailable" in row.why_missing("combined@inception")
    assert IS_REASON in row.why_missing("combined@inception")
    # classifier backend: lpips present, classifier IS not computed -> missing with that reason
    bce_row = next(r for r in rows.values() if r.loss == "bce" and r.epoch == 30)
    assert bce_row.scores["combined@classifier"] is None
    assert "is" in bce_row.why_missing("combined@classifier")
    assert row.why_missing("nope@inception") == "not computed yet"


def test_final_score_follows_preset_and_ratings(store):
    bce, _, _ = seed_db(store)
    queries.save_grid(store, bce, 30, b"png", 10, 8)  # ratings are only for models with samples
    for criterion in RATING_CRITERIA:
        queries.add_rating(store, bce, 30, criterion, 4)
    queries.add_rating(store, bce, 30, "sharpness", 2, rater="other")  # mean over raters: 3
    comb = scoring.combined_score(38.15, 2.21, 0.431)
    qual = ((3 + 4 + 4 + 4) / 4 - 1) / 4 * 100
    for preset, (w1, w2) in (("research", (0.7, 0.3)), ("commercial", (0.4, 0.6))):
        row = next(r for r in load_results(store, preset=preset) if r.run_id == bce and r.epoch == 30)
        assert row.ratings["sharpness"] == pytest.approx(3.0)
        assert row.scores["final@inception"] == pytest.approx(w1 * scoring.quantitative(comb) + w2 * qual)
    custom = next(r for r in load_results(store, weights=(1, 0)) if r.run_id == bce and r.epoch == 30)
    assert custom.scores["final@inception"] == pytest.approx(scoring.quantitative(comb))
    unrated = next(r for r in load_results(store) if r.run_id == bce and r.epoch == 20)
    assert unrated.scores["final@inception"] is None
    assert "ratings of sharpness" in unrated.why_missing("final@inception")


def test_rated_epoch_without_metrics_is_a_model(store):
    run = add_run(store, epochs=3, checkpoint_epochs=(3,))
    add_values(store, run, 2, "train", n=0, g_loss=1.0)
    queries.save_grid(store, run, 2, b"png", 10, 8)  # ratings are only for models with samples
    queries.add_rating(store, run, 2, "detail", 5)
    rows = load_results(store)
    assert [(r.epoch, r.ratings) for r in rows] == [(2, {"detail": 5.0})]


def test_largest_sample_count_wins(store):
    run = add_run(store)
    add_values(store, run, 10, "inception", n=2000, fid=20.0)
    add_values(store, run, 10, "inception", n=200, fid=60.0)
    [row] = load_results(store)
    assert row.values["fid@inception"] == 20.0 and row.n_samples["fid@inception"] == 2000


def test_columns_cover_plugin_metrics_with_directions(store):
    run = add_run(store)
    add_values(store, run, 10, "classifier", precision=0.7, fid=3.0)
    add_values(store, run, 10, "inception", fid=30.0)
    cols = columns_for(load_results(store))
    keys = [c.key for c in cols]
    assert keys[: len(results.BASE_COLUMNS)] == [c.key for c in results.BASE_COLUMNS]
    for key in ("precision@classifier", "fid@inception", "fid@classifier", "combined@inception", "final@inception"):
        assert key in keys
    by_key = {c.key: c for c in cols}
    assert by_key["fid@inception"].better == "lower" and by_key["fid@inception"].title == "FID inc"
    assert by_key["final@classifier"].better == "higher"
    assert by_key["loss"].kind == "text"
    assert keys.index("combined@inception") < keys.index("fid@inception")


def _row(i, loss="bce", fid=None, emb=10, status="completed"):
    row = ResultRow(i, 10, "seed000", loss, "embedding", "label-map", emb, 30, 0, status)
    if fid is not None:
        row.values["fid@inception"] = fid
    return row


def test_sort_missing_last_both_directions_and_multi_key_stable():
    rows = [_row(1, fid=30.0), _row(2), _row(3, "hinge", 10.0), _row(4, "hinge", 30.0), _row(5, "hinge")]
    asc = sort_rows(rows, [("fid@inception", False)])
    assert [r.run_id for r in asc] == [3, 1, 4, 2, 5]
    desc = sort_rows(rows, [("fid@inception", True)])
    assert [r.run_id for r in desc] == [1, 4, 3, 2, 5]  # ties keep input order, missing still last
    multi = sort_rows(rows, [("loss", True), ("fid@inception", False)])
    assert [r.run_id for r in multi] == [3, 4, 5, 1, 2]
    text = sort_rows(rows, [("label", False), ("run_id", True)])
    assert [r.loss for r in text] == ["bce", "bce", "hinge", "hinge", "hinge"]
    assert sort_rows(rows, []) == rows


def test_filter_by_text_and_equality():
    rows = [_row(1, "bce"), _row(2, "hinge", emb=32), _row(3, "hinge", status="running"), _row(4, "wgan-gp")]
    assert [r.run_id for r in filter_rows(rows, "HING")] == [2, 3]
    assert [r.run_id for r in filter_rows(rows, loss="hinge", embed_dim=32)] == [2]
    assert [r.run_id for r in filter_rows(rows, "run")] == [3]
    assert [r.run_id for r in filter_rows(rows, "WGAN_GP")] == [4]  # matches the label
    assert filter_rows(rows, "zzz") == []


def test_aggregate_mean_std_best_with_missing_values():
    rows = [_row(1, fid=40.0), _row(2, fid=50.0, emb=32), _row(3, fid=60.0, emb=32), _row(4, emb=64)]
    agg = {a.group: a for a in aggregate(rows, "embed_dim", "fid@inception")}
    assert list(agg) == [10, 32, 64]
    assert agg[10].n == 1 and agg[10].mean == 40.0 and agg[10].std is None
    assert agg[32].n == 2 and agg[32].mean == 55.0 and agg[32].std == pytest.approx(7.0710678)
    assert agg[32].best == 50.0  # FID: lower is better
    assert agg[64].n == 0 and agg[64].mean is None
    higher = {a.group: a for a in aggregate(rows, "embed_dim", "fid@inception", better="higher")}
    assert higher[32].best == 60.0


def test_sort_10k_rows_correct():
    rng = random.Random(0)
    rows = [_row(i, rng.choice(["bce", "hinge"]), rng.random() * 100 if rng.random() > 0.1 else None) for i in range(10_000)]
    out = sort_rows(rows, [("loss", False), ("fid@inception", True)])
    assert len(out) == 10_000
    keyed = [(r.loss, r.get("fid@inception")) for r in out]
    for loss in ("bce", "hinge"):
        fids = [f for key, f in keyed if key == loss]
        present = [f for f in fids if f is not None]
        assert fids[: len(present)] == sorted(present, reverse=True)


def test_results_module_is_torch_free():
    code = "import sys, cgan_tui.results, cgan_tui.scoring, cgan_tui.builtin.scores; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
