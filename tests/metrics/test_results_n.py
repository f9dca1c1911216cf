"""Sample count n is part of a value's identity: one database with the same model evaluated at two n."""

from __future__ import annotations

import pytest

from cgan_tui import formatting
from cgan_tui.results import aggregate, load_results, sample_n, sort_rows

from .conftest import add_run, add_values


def two_n_db(store):
    """A and B evaluated at n=1000; A also at n=100 (worse FID there, as small n gives);
    C only at n=100 with the best-looking FID of all; D with FID at 1000 but LPIPS only at 100."""
    a = add_run(store, loss="bce", embed_dim=10)
    b = add_run(store, loss="hinge", embed_dim=10)
    c = add_run(store, loss="lsgan", embed_dim=10)
    d = add_run(store, loss="wgan-gp", embed_dim=10)
    for run, n, fid in ((a, 1000, 352.94), (a, 100, 380.55), (b, 1000, 300.0), (c, 100, 90.0)):
        add_values(store, run, 30, "inception", n=n, fid=fid, **{"is": 2.0})
        add_values(store, run, 30, "lpips", n=n, lpips=0.4)
    add_values(store, d, 30, "inception", n=1000, fid=200.0, **{"is": 2.0})
    add_values(store, d, 30, "lpips", n=100, lpips=0.4)
    return a, b, c, d


def by_run(rows):
    return {r.run_id: r for r in rows}


def test_a_model_at_two_n_shows_its_value_at_the_reference_n(store):
    a, b, c, d = two_n_db(store)
    rows = load_results(store)
    assert sample_n.reference_n(rows, "fid@inception") == 1000
    row = by_run(rows)[a]
    assert row.values["fid@inception"] == pytest.approx(352.94) and row.n_samples["fid@inception"] == 1000
    assert by_run(rows)[c].n_samples["fid@inception"] == 100


def test_sort_ranks_within_the_reference_n_and_puts_other_n_after(store):
    a, b, c, d = two_n_db(store)
    rows = sort_rows(load_results(store), [("fid@inception", False)])
    # C's 90.0 at n=100 is "best" only because of n: it sorts after every n=1000 value
    assert [r.run_id for r in rows] == [d, b, a, c]
    descending = sort_rows(rows, [("fid@inception", True)])
    assert [r.run_id for r in descending] == [a, b, d, c]


def test_scores_inherit_n_and_refuse_mixed_n_inputs(store):
    a, b, c, d = two_n_db(store)
    rows = by_run(load_results(store))
    assert rows[a].n_samples["combined@inception"] == 1000
    assert rows[c].n_samples["combined@inception"] == 100
    assert rows[d].scores["combined@inception"] is None
    reason = rows[d].why_missing("combined@inception")
    assert "different sample counts" in reason and "fid@inception n=1000" in reason and "lpips@lpips n=100" in reason
    assert rows[d].scores["final@inception"] is None
    assert formatting.missing_text(rows[d], "combined@inception") == formatting.NOT_AVAILABLE


def test_aggregate_never_pools_values_of_different_n(store):
    two_n_db(store)
    rows = load_results(store)
    groups = aggregate(rows, "embed_dim", "fid@inception")
    assert [(g.group, g.sample_n, g.n) for g in groups] == [(10, 1000, 3), (10, 100, 1)]
    assert groups[1].mean == pytest.approx(90.0) and groups[1].std is None
    assert "n = 100, 1000" in sample_n.mixed_n_message(rows, "fid@inception")


def test_table_n_is_the_n_most_models_have(store):
    assert sample_n.table_n(store) is None
    two_n_db(store)
    assert sample_n.table_n(store) == 1000


def test_cells_show_n_compactly_and_mark_other_n(store):
    a, b, c, d = two_n_db(store)
    rows = by_run(load_results(store))
    assert formatting.cell_text(rows[a], "fid@inception", 1000) == "352.94·1k"
    assert formatting.cell_text(rows[c], "fid@inception", 1000) == "90.00·100*"
    assert formatting.cell_text(rows[a], "nope@inception") == formatting.NOT_YET
    assert [formatting.compact_n(n) for n in (17, 1000, 1500, 10_000, 50_000)] == ["17", "1k", "1.5k", "10k", "50k"]
