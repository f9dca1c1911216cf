"""The report's conclusions need their evidence (issue 27 item 5): each test is a fixture database the
report before this change got wrong: one rated model claimed the "central finding", a one-seed best
setting made every other setting "untested", and the collapse map (pixel distance of the grid) could
disagree with ``mode_collapse`` (classifier features)."""

from __future__ import annotations

import math
import re

import pytest
from scipy import stats as sp

from cgan_tui import stats
from cgan_tui.classes import CLASS_NAMES, class_diversity_key
from cgan_tui.cli import main
from cgan_tui.plugins import load_plugins

from .fixture_db import N, build


@pytest.fixture(scope="module")
def registries():
    return load_plugins()


def report_text(url: str, out) -> tuple[str, str]:
    assert main(["report", "--db", url, "-o", str(out)]) == 0
    return (out / "report.html").read_text(encoding="utf-8"), (out / "report.md").read_text(encoding="utf-8")


def add_run(url: str, registries, *, loss: str, seed: int, fid: float, classifier: dict | None = None) -> int:
    """One more completed seed004 run with inception/lpips values at checkpoints 2 and 3 (as ``build``)."""
    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.gan import backbones
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store

    store = open_store(url)
    try:
        cfg = resolve(RunConfig(model="seed004", loss=loss, epochs=3, checkpoint_epochs=(2, 3), seed=seed), registries)
        (run_id,) = queries.create_runs(store, [cfg], status="completed", experiment="report-fixture")
        for epoch in (2, 3):
            queries.upsert_metrics(store, run_id, epoch, {"fid": fid - epoch, "is": 3.5}, backend="inception", n_samples=N)
            queries.upsert_metrics(store, run_id, epoch, {"lpips": 0.3}, backend="lpips", n_samples=N)
            if classifier:
                queries.upsert_metrics(store, run_id, epoch, classifier, backend="classifier", n_samples=N,
                                       backbone=backbones.current("classifier"))  # as evaluation stores them
        queries.update_run(store, run_id, current_epoch=3)
    finally:
        store.dispose()
    return run_id


def test_one_rated_model_gives_no_central_finding(tmp_path, registries):
    path = tmp_path / "one.db"
    build(path, registries, settings=1, seeds=2)  # settings=1: exactly one model rated
    html, md = report_text(f"sqlite:///{path}", tmp_path / "out")
    assert "central finding" not in html and "looks best" not in html
    assert "No conclusion on scores vs eyes: 1 of 4 models rated (4 ratings)" in html
    assert "at least 2 rated models" in md


def test_two_rated_models_state_their_evidence_and_spearman_needs_three(tmp_path, registries):
    path = tmp_path / "two.db"
    build(path, registries, settings=2, seeds=2)
    html, _ = report_text(f"sqlite:///{path}", tmp_path / "out")
    assert "Evidence: 2 of 8 models rated (8 ratings)" in html
    assert "rank correlation needs ≥ 3 rated models" in html


def test_a_one_seed_best_setting_does_not_leave_every_testable_pair_untested(tmp_path, registries):
    path = tmp_path / "best1.db"
    build(path, registries, settings=2, seeds=2)  # two settings x 2 seeds
    url = f"sqlite:///{path}"
    add_run(url, registries, loss="lsgan", seed=0, fid=5.0)  # a far better setting with a single seed
    html, md = report_text(url, tmp_path / "out")
    assert "reference (best testable mean at this epoch)" in html
    assert html.count("untested: 1 seed") == 2  # the one-seed setting at epochs 2 and 3, nothing else
    # one testable pair per epoch (the two 2-seed settings), Holm across the 2 pairs shown
    assert "Holm-corrected across the 2 pair(s) shown" in html
    pair_rows = re.findall(r"\| (seed004 \S+ #\w+) \| (seed004 \S+ #\w+) \| ([23]) \| 2 vs 2 \|", md)
    assert len(pair_rows) == 2 and all("LSGAN" not in a + b for a, b, _ in pair_rows)


def test_collapse_map_marks_exactly_the_classes_mode_collapse_counts(tmp_path, registries):
    path = tmp_path / "collapse.db"
    build(path, registries, settings=1, seeds=2)
    url = f"sqlite:///{path}"
    per_class = {class_diversity_key(c): 0.9 for c in range(10)}
    per_class[class_diversity_key(3)] = 0.2  # Dress collapsed
    per_class[class_diversity_key(7)] = 0.45  # Sneaker collapsed
    values = {**per_class, "mode_collapse": 2.0, "diversity": sum(per_class.values()) / 10, "class_acc": 0.9}
    run_id = add_run(url, registries, loss="hinge", seed=5, fid=30.0, classifier=values)
    html, _ = report_text(url, tmp_path / "out")
    line = re.search(r"Collapsed classes \(the ones <code>mode_collapse@classifier</code> counts\): (.*?)\.(?: |</p>)", html)
    assert line, "the collapsed classes are named"
    named = line.group(1)
    assert named.count(f"r{run_id} ") == 2  # both evaluated epochs
    for part in named.split("; "):
        classes = part.split(": ", 1)[1].split(", ")
        assert classes == [CLASS_NAMES[3], CLASS_NAMES[7]] and len(classes) == values["mode_collapse"]
    assert "have no per-class values stored and are not in the map" in html  # the fixture's other 4 models


def test_holm_hedges_spearman_match_references():
    # Holm worked example: p = .01 .04 .03 .005 (m = 4) -> .03 .06 .06 .02
    assert stats.holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    a, b = [10.0, 12.0, 11.5], [14.0, 15.5, 13.0, 16.0]
    na, nb = len(a), len(b)
    sp_pooled = math.sqrt(((na - 1) * sp.tvar(a) + (nb - 1) * sp.tvar(b)) / (na + nb - 2))
    d = (sum(a) / na - sum(b) / nb) / sp_pooled
    assert stats.hedges_g(a, b) == pytest.approx(d * (1 - 3 / (4 * (na + nb) - 9)))
    x, y = [1.0, 2.0, 3.0, 4.0, 5.0], [2.0, 1.0, 4.0, 3.0, 5.0]
    rho, n = stats.spearman(x, y)
    assert n == 5 and rho == pytest.approx(sp.spearmanr(x, y).statistic)
    assert stats.spearman([1.0, 2.0], [2.0, 1.0]) == (None, 2)
    # all_pairs: Welch p from scipy, Holm over exactly the pairs that are testable and pairable
    groups = {"A": [1.0, 2.0, 3.0], "B": [4.0, 5.0, 6.5], "C": [1.5, 2.5], "D": [9.0]}
    pairs = stats.all_pairs(groups)
    assert {(p.a, p.b) for p in pairs} == {("A", "B"), ("A", "C"), ("B", "C")}
    raw = [sp.ttest_ind(groups[p.a], groups[p.b], equal_var=False).pvalue for p in pairs]
    assert [p.p for p in pairs] == pytest.approx(raw)
    assert [p.p_holm for p in pairs] == pytest.approx(stats.holm(raw))
