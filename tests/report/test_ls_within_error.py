"""Issue 30 item 5: ``ls`` marks a model whose value lies within the bootstrap error of its neighbour
above in the sort order (``≈`` beside the lower-ranked value) and says what the mark means in one line."""

from __future__ import annotations

import re

import pytest

from cgan_tui.cli import main
from cgan_tui.cli.ls_view import WITHIN_ERROR_MARK, within_error_of_above
from cgan_tui.plugins import load_plugins
from cgan_tui.results import load_results
from cgan_tui.store.db import open_store

# (fid, fid_se) per run: run 2 is within run 1's error (|0.5| <= 0.4 + 0.3), run 3 is not (|3.0| > 0.3 + 0.2),
# run 4 has no standard error stored (never marked)
VALUES = [(30.0, 0.4), (30.5, 0.3), (33.5, 0.2), (33.6, None)]


@pytest.fixture
def db(tmp_path):
    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.gan import backbones
    from cgan_tui.store import queries

    registries = load_plugins()
    url = f"sqlite:///{tmp_path / 'se.db'}"
    store = open_store(url)
    try:
        for seed, (fid, se) in enumerate(VALUES):
            cfg = resolve(RunConfig(model="seed004", loss="hinge", epochs=1, checkpoint_epochs=(1,), seed=seed), registries)
            (run_id,) = queries.create_runs(store, [cfg], status="completed")
            values = {"fid": fid} if se is None else {"fid": fid, "fid_se": se}
            queries.upsert_metrics(store, run_id, 1, values, backend="classifier", n_samples=1000,
                                   backbone=backbones.current("classifier"))  # fmt: skip
        rows = load_results(store, registries)
    finally:
        store.dispose()
    return url, rows


def test_neighbours_within_error_are_marked_with_a_legend(db, capsys):
    url, rows = db
    assert main(["ls", "--db", url, "--backend", "classifier", "--sort", "fid", "--columns", "run_id,fid"]) == 0
    out = capsys.readouterr().out
    cells = dict(re.findall(r"│\s+(\d+) │\s+(\S+) │", out))
    assert cells == {"1": "30.00·1k", "2": f"{WITHIN_ERROR_MARK}30.50·1k", "3": "33.50·1k", "4": "33.60·1k"}
    legend = [line for line in out.splitlines() if line.startswith(WITHIN_ERROR_MARK)]
    assert len(legend) == 1 and "fid@classifier within the bootstrap error of the model just above" in legend[0]
    assert "fid_se@classifier" in legend[0]
    # the rule on the rows: reversed order marks the pair again (it is symmetric), not the unmarked ones
    ordered = sorted(rows, key=lambda r: r.get("fid@classifier"))
    assert within_error_of_above(ordered, "fid@classifier") == [1]
    assert within_error_of_above(ordered[::-1], "fid@classifier") == [3]


def test_no_mark_and_no_legend_without_a_sort_or_errors(db, capsys):
    url, _ = db
    assert main(["ls", "--db", url, "--backend", "classifier", "--columns", "run_id,fid"]) == 0
    out = capsys.readouterr().out
    assert WITHIN_ERROR_MARK not in out
    assert main(["ls", "--db", url, "--backend", "classifier", "--sort", "run_id", "--columns", "run_id,fid"]) == 0
    assert WITHIN_ERROR_MARK not in capsys.readouterr().out


def test_export_latex_shows_the_standard_error_beside_the_value(db, capsys):
    url, _ = db
    assert main(["export", "--db", url, "--format", "latex"]) == 0
    out = capsys.readouterr().out
    assert "30.0 $\\pm$ 0.4" in out and "30.5 $\\pm$ 0.3" in out and "33.60" in out
    assert "$\\pm$ one bootstrap standard error" in out


def test_an_error_is_only_shown_beside_a_value_of_its_own_n():
    """A model shown at n = 1,000 whose only stored error is of its n = 10,000 value has no error at the
    n shown: ``show``, ``export``, LaTeX and the ``≈`` mark all read it through ``error_of``."""
    from cgan_tui import formatting
    from cgan_tui.results.rows import ResultRow

    row = ResultRow(run_id=1, epoch=10, model="seed004", loss="lsgan", conditioning="one-hot", d_conditioning="",
                    embed_dim=10, planned_epochs=10, seed=1, status="completed", experiment=None, current_epoch=10)  # fmt: skip
    row.values.update({"fid@classifier": 171.06, "fid_se@classifier": 0.76})
    row.n_samples.update({"fid@classifier": 1000, "fid_se@classifier": 10000})
    assert formatting.error_of(row, "fid@classifier") is None
    row.n_samples["fid_se@classifier"] = 1000
    assert formatting.error_of(row, "fid@classifier") == 0.76
