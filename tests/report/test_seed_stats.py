"""Issue 30 item 6: all-pairs Welch with Holm's correction and Hedges' g match scipy on a worked example."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from cgan_tui import stats


def manual_holm(p: list[float]) -> list[float]:
    """Holm-Bonferroni step-down written out: sort, multiply by (m - rank), running maximum, cap at 1."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    out, running = [0.0] * m, 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        out[i] = running
    return out


def test_all_pairs_holm_matches_scipy_on_a_worked_example():
    groups = {
        "bce": [41.2, 43.0, 40.1, 42.4],
        "hinge": [38.9, 37.5, 39.8],
        "lsgan": [45.0, 47.2, 44.1],
        "wgan": [40.0, 44.5],
        "one-seed": [30.0],  # never tested: one seed
    }
    pairs = stats.all_pairs(groups)
    names = [(p.a, p.b) for p in pairs]
    assert names == [("bce", "hinge"), ("bce", "lsgan"), ("bce", "wgan"), ("hinge", "lsgan"), ("hinge", "wgan"),
                     ("lsgan", "wgan")]  # fmt: skip
    raw = [float(sps.ttest_ind(groups[a], groups[b], equal_var=False).pvalue) for a, b in names]
    assert [p.p for p in pairs] == pytest.approx(raw, rel=1e-12)
    assert [p.p_holm for p in pairs] == pytest.approx(manual_holm(raw), rel=1e-12)
    assert [(p.n_a, p.n_b) for p in pairs] == [(len(groups[a]), len(groups[b])) for a, b in names]
    for p in pairs:
        a, b = groups[p.a], groups[p.b]
        na, nb = len(a), len(b)
        pooled = math.sqrt(((na - 1) * sps.tvar(a) + (nb - 1) * sps.tvar(b)) / (na + nb - 2))
        d = (sum(a) / na - sum(b) / nb) / pooled
        assert p.g == pytest.approx(d * (1 - 3 / (4 * (na + nb) - 9)))
        assert p.significant == (p.p_holm < stats.ALPHA)
    # the correction covers exactly the pairs shown: restricting the pairs changes m
    some = stats.all_pairs(groups, lambda a, b: "bce" in (a, b))
    raw3 = [float(sps.ttest_ind(groups[p.a], groups[p.b], equal_var=False).pvalue) for p in some]
    assert len(some) == 3 and [p.p_holm for p in some] == pytest.approx(manual_holm(raw3), rel=1e-12)


def test_pair_texts_name_the_evidence():
    groups = {stats.SettingGroup("s1", 3, 500, (1.0, 2.0, 3.0), (0, 1, 2), "k1", "s1 e3"):
              None, stats.SettingGroup("s2", 3, 500, (4.0, 5.0, 6.5), (0, 1, 2), "k2", "s2 e3"): None}  # fmt: skip
    pairs = stats.all_pairs({g: g.values for g in groups})
    texts = stats.pair_texts(pairs[0])
    assert texts[:3] == ["s1 e3", "s2 e3", "3 vs 3"] and texts[6] == stats.format_p(pairs[0].p_holm)
    caption = stats.pairs_caption("fid@classifier", pairs)
    assert "Holm-corrected across the 1 pair(s) shown" in caption and "Hedges' g" in caption and "≥2 seeds" in caption
    assert "nothing tested" in stats.pairs_caption("fid@classifier", [])
