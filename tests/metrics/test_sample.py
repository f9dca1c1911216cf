"""``cgan-tui sample`` end to end on a real tiny run (2 epochs, checkpoints at 1 and 2) in a temp database."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from cgan_tui.cli import main
from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from tests.metrics.conftest import add_run, add_values


@pytest.fixture(scope="module")
def trained(fmnist_dir, tmp_path_factory):
    """One 2-epoch seed004 run on 64 images with checkpoints at 1 and 2 (evaluation hook off)."""
    folder = tmp_path_factory.mktemp("sample_db")
    url = f"sqlite:///{folder / 'experiments.db'}"
    rc = main(["train", "--model", "seed004", "--loss", "hinge", "--epochs", "2", "--checkpoint-epochs", "1,2",
               "--limit-train", "64", "--data-dir", str(fmnist_dir), "--db", url, "--metrics="])  # fmt: skip
    assert rc == 0
    return url, 1


def _tiles(path, rows, cols, scale=1):
    """The grid part of a labelled sample PNG: bottom right, class names in a white margin on its left."""
    image = np.asarray(Image.open(path).convert("L"))
    w, h = (cols * 29 - 1) * scale, (rows * 29 - 1) * scale
    assert image.shape[1] > w and image.shape[0] > h  # a margin for the class names and a title line
    margin = image[:, : image.shape[1] - w]
    assert (margin < 128).any() and (margin == 255).mean() > 0.7  # dark text on white
    return image[-h:, -w:]


def test_sample_classes_n_seed_scale(trained, tmp_path, capsys):
    url, run_id = trained
    out = tmp_path / "s.png"
    assert main(["sample", f"{run_id}:1", "--classes", "0,3,7", "-n", "5", "--seed", "3", "-o", str(out),
                 "--scale", "2", "--device", "cpu", "--db", url]) == 0  # fmt: skip
    first = _tiles(out, 3, 5, scale=2)
    assert "epoch 1 (asked for)" in capsys.readouterr().out
    again = tmp_path / "again.png"
    assert main(["sample", f"{run_id}:1", "--classes", "0,3,7", "-n", "5", "--seed", "3", "-o", str(again),
                 "--scale", "2", "--device", "cpu", "--db", url]) == 0  # fmt: skip
    assert np.array_equal(first, _tiles(again, 3, 5, scale=2))  # same seed, same images
    other = tmp_path / "other.png"
    assert main(["sample", f"{run_id}:1", "--classes", "0,3,7", "-n", "5", "--seed", "4", "-o", str(other),
                 "--scale", "2", "--device", "cpu", "--db", url]) == 0  # fmt: skip
    assert not np.array_equal(first, _tiles(other, 3, 5, scale=2))


def test_sample_interpolate_and_default_name(trained, tmp_path, monkeypatch, capsys):
    url, run_id = trained
    monkeypatch.chdir(tmp_path)
    assert main(["sample", str(run_id), "--interpolate", "6", "--classes", "2,9", "--device", "cpu", "--db", url]) == 0
    line = capsys.readouterr().out
    assert "6-step latent walk" in line and "newest checkpoint" in line  # no scores yet: the newest
    _tiles(tmp_path / f"run{run_id}_e2_samples.png", 2, 6)
    assert main(["sample", str(run_id), "--classes", "2,9", "-n", "4", "--no-labels", "-o", "bare.png",
                 "--device", "cpu", "--db", url]) == 0  # fmt: skip
    assert Image.open(tmp_path / "bare.png").size == (4 * 29 - 1, 2 * 29 - 1)


def test_sample_default_is_best_by_default_ranking(trained, tmp_path, capsys):
    url, run_id = trained
    store = open_store(url)
    try:  # epoch 1 scores better (lower FID) than epoch 2 on the offline backend
        for epoch, fid in ((1, 30.0), (2, 80.0)):
            add_values(store, run_id, epoch, "classifier", fid=fid, **{"is": 5.0}, lpips=0.3)
        from cgan_tui import results

        rows = [r for r in results.load_results(store) if r.run_id == run_id]
        backend = results.default_backend(rows)
        key = f"combined@{backend}"
        best = min((r for r in rows if r.get(key) is not None), key=lambda r: r.get(key))
    finally:
        store.dispose()
    out = tmp_path / "best.png"
    assert main(["sample", str(run_id), "-o", str(out), "--device", "cpu", "--db", url]) == 0
    line = capsys.readouterr().out
    assert f"epoch {best.epoch} (best by {key})" in line
    _tiles(out, 10, 8)


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["sample", "99"], "no run 99; ids: 1"),
        (["sample", "1:5"], "run 1 has no checkpoint at epoch 5; epochs with one: 1, 2"),
        (["sample", "1", "--classes", "0,10"], "--classes: '10' is not a class; valid: 0..9"),
        (["sample", "1", "--classes", "a"], "valid: 0..9"),
        (["sample", "1", "--interpolate", "1"], "--interpolate must be 2..64 steps (got 1)"),
        (["sample", "1", "-n", "0"], "-n must be 1..64"),
        (["sample", "1:x"], "expected RUN or RUN:EPOCH"),
        (["sample", "1", "-o", "/nonexistent-dir/x.png"], "folder '/nonexistent-dir' does not exist"),
        (["sample", "1", "-o", "x.jpg"], "-o must name a .png file"),
    ],
)
def test_sample_errors_are_one_line(trained, argv, expected, capsys):
    url, _ = trained
    assert main([*argv, "--db", url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgan-tui: error: ") and expected in err and "\n" not in err


def test_sample_run_without_checkpoint(db_url, capsys):
    store = open_store(db_url)
    try:
        run_id = add_run(store, status="queued")
    finally:
        store.dispose()
    assert main(["sample", str(run_id), "--db", db_url]) == 2
    err = capsys.readouterr().err.strip()
    assert f"run {run_id} has no checkpoint file yet" in err and "\n" not in err


def test_checkpoint_listing_matches_store(trained):
    url, run_id = trained
    store = open_store(url)
    try:
        from cgan_tui.cli.sample_cmd import checkpoint_files

        assert sorted(checkpoint_files(store, run_id)) == sorted({c.epoch for c in queries.checkpoints(store, run_id)})
    finally:
        store.dispose()
