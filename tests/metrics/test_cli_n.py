"""The CLI with sample counts: n beside values, sorting within one n, aggregate split by n, full exports,
``ls`` fitted to 80 columns with each note once, ``eval`` defaulting to the table's n."""

from __future__ import annotations

import csv
import io
import json

from cgan_tui.cli import main
from cgan_tui.store.db import open_store

from .conftest import add_run, add_values
from .test_results_n import two_n_db

WEIGHTS_REASON = "torch-fidelity Inception weights missing (looked in /a/long/path/to/weights)"


def _rows(out):
    return [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]


def test_ls_ranks_within_the_reference_n_and_shows_n(db_url, capsys):
    store = open_store(db_url, create=True)
    a, b, c, d = two_n_db(store)
    store.dispose()
    assert main(["ls", "--db", db_url, "--sort", "fid", "--columns", "label,fid"]) == 0
    out = capsys.readouterr().out
    rows = _rows(out)
    assert [r[0] for r in rows] == ["WGAN_GP_10 e30", "HINGE_10 e30", "BCE_10 e30", "LSGAN_10 e30"]
    assert rows[2][1] == "352.94·1k" and rows[3][1] == "90.00·100*"
    assert "* taken at another sample count n" in out and "fid@inception n=1000" in out


def test_aggregate_splits_by_n_and_says_so(db_url, capsys):
    store = open_store(db_url, create=True)
    two_n_db(store)
    store.dispose()
    assert main(["ls", "--db", db_url, "--aggregate", "embed_dim", "--value", "fid"]) == 0
    out = capsys.readouterr().out
    assert [r[:3] for r in _rows(out)] == [["10", "1k", "3"], ["10", "100", "1"]]
    assert "fid@inception was taken at n = 100, 1000: groups are split by n" in out


def test_csv_export_carries_n_and_why_missing(db_url, capsys):
    store = open_store(db_url, create=True)
    a, b, c, d = two_n_db(store)
    add_values(store, a, 30, "classifier", n=1000, fid=None, **{"is": None},
               unavailable={"fid": "no classifier", "is": "no classifier"})  # fmt: skip
    store.dispose()
    assert main(["export", "--db", db_url]) == 0
    rows = {int(r["run_id"]): r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows[a]["fid@inception"] == "352.94" and rows[a]["fid@inception:n"] == "1000"
    assert rows[c]["fid@inception:n"] == "100" and rows[a]["combined@inception:n"] == "1000"
    assert rows[a]["fid@classifier"] == "n/a" and rows[a]["fid@classifier:unavailable"] == "no classifier"
    assert rows[b]["fid@classifier"] == "—" and rows[b]["fid@classifier:unavailable"] == ""  # not computed yet
    assert rows[d]["combined@inception"] == "n/a" and "different sample counts" in rows[d]["combined@inception:unavailable"]
    assert rows[a]["final@inception"] == "—"  # waits for ratings
    assert main(["export", "--format", "json", "--db", db_url]) == 0
    data = {r["run_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert data[a]["missing"]["fid@classifier"] == "n/a" and data[a]["missing"]["final@inception"] == "—"
    assert data[c]["n_samples"]["fid@inception"] == 100


def wide_db(db_url, runs=6):
    store = open_store(db_url, create=True)
    for k in range(runs):
        run = add_run(store, loss=("bce", "hinge", "lsgan")[k % 3], embed_dim=(10, 32)[k % 2], experiment="seed000-study")
        add_values(store, run, 30, "inception", n=1000, fid=300.0 + k, kid=0.3, kid_std=0.01, **{"is": None},
                   unavailable={"is": WEIGHTS_REASON})  # fmt: skip
        add_values(store, run, 30, "lpips", n=1000, lpips=0.4, lpips_diversity=0.2)
        add_values(store, run, 30, "pixel", n=1000, psnr=7.5)
        add_values(store, run, 30, "classifier", n=1000, fid=12.0, class_acc=0.8, **{"is": 3.1})
        add_values(store, run, 30, "train", n=0, g_loss=1.2, d_loss=0.6)
    store.dispose()


def test_ls_fits_80_columns_keeps_label_and_sort_key_and_says_each_note_once(db_url, capsys):
    wide_db(db_url)
    assert main(["ls", "--db", db_url, "--sort", "fid", "--width", "80", "--backend", "inception"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    header = next(line for line in lines if line.startswith("┃"))
    assert "label" in header and "FID inc" in header and "combined inc" in header
    rows = _rows(out)
    assert rows[0][1] == "BCE_10 e30" and "300.00·1k" in rows[0]  # never narrowed
    words = " ".join(out.split())  # notes wrap at the width
    assert words.count(WEIGHTS_REASON.split(" (looked in")[0]) == 1  # said once, for every key and row it explains
    assert "combined@inception needs is@inception" in words  # the one hint line for the missing score
    assert "more columns fit a wider terminal" in out and "--columns all" in out
    assert len(lines) <= 24, out
    assert main(["ls", "--db", db_url, "--sort", "fid", "--width", "80", "--columns", "all"]) == 0
    assert "kid_std@inception" not in capsys.readouterr().out.splitlines()[-1]  # all: nothing hidden


def test_eval_defaults_to_the_n_of_the_table(fmnist_dir, db_url, capsys):
    assert main(["train", "--model", "seed004", "--loss", "lsgan", "--epochs", "1", "--limit-train", "64", "--metrics", "",
                 "--data-dir", str(fmnist_dir), "--db", db_url]) == 0  # fmt: skip
    store = open_store(db_url)
    for loss in ("bce", "hinge"):
        add_values(store, add_run(store, loss=loss), 30, "inception", n=12, fid=50.0)
    store.dispose()
    capsys.readouterr()
    assert main(["eval", "1", "--metrics", "psnr", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "n=12 (the n most models here have; --n to change)" in out and "(n=12)" in out
