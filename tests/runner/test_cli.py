"""The CLI in-process: train + show (the issue's acceptance command), queue commands, and bad input
as one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cgan_tui.cli import main
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus


@pytest.mark.slow
def test_train_then_show_lists_grids_and_checkpoints(db_url, fmnist_dir, capsys):
    rc = main(["train", "--loss", "hinge", "--embed-dim", "32", "--epochs", "1", "--limit-train", "128",
               "--data-dir", str(fmnist_dir), "--device", "cpu", "--metrics", "", "--db", db_url])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0, out
    assert "run id(s): 1" in out and "completed" in out
    store = open_store(db_url)
    run = q.get_run(store, 1)
    assert (run.status, run.model, run.loss, run.embed_dim) == (RunStatus.completed, "seed000", "hinge", 32)
    assert q.run_config(run).limit_train == 128
    assert main(["show", "1", "--db", db_url]) == 0
    shown = capsys.readouterr().out
    assert "status completed" in shown and "grids: epoch 1" in shown
    for ckpt in q.checkpoints(store, 1):
        assert ckpt.path in shown
    assert "run.log" in shown and "g_loss" in shown
    assert main(["show", "1", "--json", "--db", db_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["grids"] == [1] and [e["epoch"] for e in data["epochs"]] == [1]
    assert {c["kind"] for c in data["checkpoints"]} == {"last", "milestone"} and data["status"] == "completed"
    store.dispose()


def test_queue_commands(db_url, fmnist_dir, capsys):
    common = ["--model", "seed004", "--epochs", "1", "--data-dir", str(fmnist_dir), "--db", db_url]
    assert main(["queue", "add", "--loss", "bce", "--priority", "2", *common]) == 0
    assert main(["queue", "add", "--loss", "lsgan", "--set", "hflip=false", "--set", "extra.note='x'", *common]) == 0
    assert "queued 1 run(s): 2" in capsys.readouterr().out
    store = open_store(db_url)
    cfg = q.run_config(q.get_run(store, 2))
    assert cfg.hflip is False and cfg.extra == {"note": "x"} and cfg.data_dir == str(Path(fmnist_dir).resolve())
    assert main(["queue", "prio", "2", "7", "--db", db_url]) == 0
    assert main(["queue", "ls", "--db", db_url]) == 0
    listing = [line.split()[:3] for line in capsys.readouterr().out.splitlines() if line.strip()[:1].isdigit()]
    assert listing == [["2", "queued", "7"], ["1", "queued", "2"]]
    assert main(["queue", "cancel", "1", "--db", db_url]) == 0
    assert main(["queue", "requeue", "1", "--db", db_url]) == 0
    assert q.get_run(store, 1).status == RunStatus.queued
    store.dispose()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--loss", "hnge"], "unknown loss 'hnge'; valid: bce, "),
        (["train", "--embed-dim", "0"], "embed_dim must be an integer >= 1, got 0"),
        (["queue", "add", "--model", "seed999"], "unknown model 'seed999'; valid: "),
        (["train", "--set", "colour=blue"], "unknown config key 'colour'; valid: "),
        (["show", "5"], "no run 5; the database has no runs yet"),
        (["queue", "cancel", "3"], "no run 3"),
        (["plugins", "-p", "no:relativstic"], "-p no:relativstic: no plugin named 'relativstic'; plugins: builtin-"),
        (["worker", "--once", "--poll", "-1"], "--poll must be a positive number of seconds, got -1.0"),
        (["worker", "--once", "--address", "auto"], "--address is an option of --executor ray, not of --executor local"),
        (["worker", "--executor", "ray", "--gpus-per-run", "1.5"], "--gpus-per-run above 1 must be a whole number"),
        (["worker", "--executor", "ray", "--address", "nowhere"], "--address must be auto, ray://HOST:PORT or HOST:PORT"),
        (["--executor", "slurm"], "--executor 'slurm' is unknown; valid: local, ray"),
    ],
)
def test_bad_input_is_one_line_exit_2(argv, message, db_url, capsys):
    open_store(db_url).dispose()
    assert main([*argv, "--db", db_url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgan-tui: error: ") and message in err and "\n" not in err


def test_help_shows_readable_metavars(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    for shown in ("--model NAME", "--loss NAME", "--embed-dim N", "--epochs N", "--data-dir DIR", "--lr-g LR"):
        assert shown in text
    assert "CFG_" not in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--data-dir", "{tmp}/nowhere"], "data folder {tmp}/nowhere does not exist"),
        (["train", "--data-dir", "{tmp}"], "no Fashion-MNIST train files in {tmp}"),
        (["train", "--device", "cuda:99"], "device 'cuda:99' requested but this machine has"),
        (["train", "CGAN_TUI_DATA={tmp}/nowhere"], "no Fashion-MNIST train files in {tmp}/nowhere"),
        (["queue", "add", "--data-dir", "{tmp}/nowhere"], "data folder {tmp}/nowhere does not exist"),
        (["queue", "add", "--grid", "{tmp}"], "grid file {tmp} is a folder"),
        (["train", "--grid", "{tmp}/bin.toml"], "grid file {tmp}/bin.toml is not a text TOML file"),
    ],
)
def test_unrunnable_input_stores_nothing(argv, message, tmp_path, capsys, monkeypatch):
    """Checked before anything is stored: no failed run left behind for a typo."""
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "bin.toml").write_bytes(bytes(range(256)))
    db = tmp_path / "experiments.db"
    open_store(str(db)).dispose()
    argv = [a.replace("{tmp}", str(folder)) for a in argv]
    for item in [a for a in argv if a.startswith("CGAN_TUI_DATA=")]:
        monkeypatch.setenv("CGAN_TUI_DATA", item.partition("=")[2])
        argv.remove(item)
    assert main([*argv, "--epochs", "1", "--db", str(db)] if argv[0] == "train" else [*argv, "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgan-tui: error: ") and message.replace("{tmp}", str(folder)) in err and "\n" not in err
    store = open_store(str(db))
    with pytest.raises(Exception, match="no runs yet"):
        q.get_run(store, 1)
    store.dispose()


@pytest.mark.parametrize("kind", ["garbage", "folder"])
def test_unusable_database_is_reported_and_untouched(kind, tmp_path, capsys):
    path = tmp_path / "bad.db"
    if kind == "folder":
        path.mkdir()
    else:
        path.write_bytes(b"this is not sqlite at all" * 10)
    before = path.read_bytes() if kind == "garbage" else None
    assert main(["queue", "ls", "--db", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgan-tui: error: ") and "\n" not in err
    assert ("not a SQLite database" if kind == "garbage" else "is a folder") in err
    if before is not None:
        assert path.read_bytes() == before


def test_resume_refuses_completed_and_options(db_url, capsys):
    store = open_store(db_url)
    from cgan_tui.config import RunConfig

    rid = q.create_run(store, RunConfig(model="seed004", d_conditioning="embedding"), status="completed")
    store.dispose()
    assert main(["train", "--resume", str(rid), "--db", db_url]) == 2
    assert "is completed; --resume takes a queued, failed, diverged, cancelled run" in capsys.readouterr().err
    assert main(["train", "--resume", str(rid), "--epochs", "3", "--db", db_url]) == 2
    assert "do not combine it with --grid or run options" in capsys.readouterr().err


@pytest.mark.slow
def test_ctrl_c_cancels_with_checkpoint_and_resume_finishes(db_url, fmnist_dir, capsys, gate, tmp_path, monkeypatch):
    import signal
    import subprocess
    import sys

    from runner_helpers import HANG_GUARD_S, wait_for

    cmd = [sys.executable, "-m", "cgan_tui", "train", "--model", "seed004", "--loss", "test-gate", "--epochs", "3",
           "--checkpoint-epochs", "3", "--limit-train", "64", "--batch-size", "64", "--device", "cpu", "--metrics", "",
           "--data-dir", str(fmnist_dir), "--db", db_url]  # fmt: skip
    gate.hold(1)  # blocked in epoch 1's only step: Ctrl-C lands mid-epoch
    err_path = tmp_path / "train.err"
    with open(err_path, "w") as err_file:
        proc = subprocess.Popen(cmd, env=gate.env(), stdout=subprocess.DEVNULL, stderr=err_file, text=True)
    try:
        gate.wait_arrived()
        proc.send_signal(signal.SIGINT)
        wait_for(lambda: "stopping at the next step" in err_path.read_text(), timeout=HANG_GUARD_S, what="the Ctrl-C message")
        gate.release()
        proc.wait(timeout=HANG_GUARD_S)
    finally:
        if proc.poll() is None:
            proc.kill()
    err = err_path.read_text()
    assert proc.returncode == 130, err
    store = open_store(db_url)
    run = q.get_run(store, 1)
    assert (run.status, run.current_epoch) == (RunStatus.cancelled, 1)  # the step in flight finished epoch 1
    assert q.latest_checkpoint(store, 1).epoch == 1
    capsys.readouterr()
    monkeypatch.setenv("CGAN_TUI_EXTRA_PLUGINS", "cgan_test_losses")  # the resumed run's loss, in-process
    assert main(["train", "--resume", "1", "--db", db_url]) == 0
    assert "completed" in capsys.readouterr().out
    assert [r.epoch for r in q.epoch_rows(store, 1)] == [1, 2, 3]
    assert "resume from epoch 1" in (Path(q.checkpoints(store, 1)[0].path).parent / "run.log").read_text()
    store.dispose()


def test_worker_on_a_missing_device_fails_no_queued_run(db_url, capsys):
    """A worker started with --device cuda:99 used to claim every queued run and mark it failed."""
    from cgan_tui.config import RunConfig

    store = open_store(db_url)
    rid = q.create_run(store, RunConfig(model="seed004", d_conditioning="embedding"))
    assert main(["worker", "--once", "--device", "cuda:99", "--db", db_url]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgan-tui: error: device 'cuda:99' requested but") and "\n" not in err
    assert q.get_run(store, rid).status == RunStatus.queued
    store.dispose()


def test_train_without_any_data_is_one_error_and_stores_nothing(tmp_path, monkeypatch, capsys):
    from cgan_tui.gan import data

    monkeypatch.delenv("CGAN_TUI_DATA", raising=False)
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "no-debian-package")
    monkeypatch.setenv("CGAN_TUI_CACHE", str(tmp_path / "no-cache"))
    monkeypatch.setattr(data, "_torchvision_download", lambda split: None)  # offline
    db = str(tmp_path / "experiments.db")
    assert main(["train", "--epochs", "1", "--db", db]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgan-tui: error: Fashion-MNIST not found: install it with") and "\n" not in err
    assert "--data-dir DIR" in err and "internet" in err
    store = open_store(db)
    assert q.list_runs(store) == []
    store.dispose()


@pytest.mark.slow
def test_queue_add_grid_prints_the_estimate_and_asks_above_the_threshold(db_url, fmnist_dir, tmp_path, capsys, monkeypatch):
    """A measured probe (cached in the user cache, never beside the data) gives the grid's training time; a long grid is not queued
    without --yes when there is no terminal to ask on."""
    import io

    from cgan_tui.gan.cost import CACHE_NAME

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # no terminal: a script or a pipe
    monkeypatch.setenv("CGAN_TUI_CACHE", str(tmp_path / "cache"))
    small = tmp_path / "small.toml"
    small.write_text(f'[base]\nmodel = "seed004"\nloss = "bce"\nepochs = 1\nlimit_train = 64\ndevice = "cpu"\n'
                     f'data_dir = "{fmnist_dir}"\n[matrix]\nseed = [0, 1]\n')  # fmt: skip
    assert main(["queue", "add", "--grid", str(small), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "estimated training time of 2 run(s) on cpu with 1 worker" in out and "queued 2 run(s)" in out
    cache = json.loads((tmp_path / "cache" / CACHE_NAME).read_text())
    assert not (fmnist_dir / CACHE_NAME).exists()
    assert any("seed004|batch 128|" in key for key in cache)

    monkeypatch.setenv("CGAN_TUI_CONFIRM_ABOVE_S", "0.001")  # any machine: this grid is over the limit
    big = tmp_path / "big.toml"
    big.write_text(f'[base]\nmodel = "seed004"\nloss = "bce"\nepochs = 100\ndevice = "cpu"\ndata_dir = "{fmnist_dir}"\n'
                   f'[matrix]\nseed = [0, 1, 2, 3, 4, 5, 6, 7]\n')  # fmt: skip
    assert main(["queue", "add", "--grid", str(big), "--db", db_url]) == 2
    captured = capsys.readouterr()
    assert "cached probe" in captured.out  # the same family on the same device is not probed again
    assert "nothing queued: add --yes" in captured.err and captured.err.count("\n") == 1
    store = open_store(db_url)
    assert len(q.list_runs(store)) == 2
    store.dispose()
    assert main(["queue", "add", "--grid", str(big), "--yes", "--db", db_url]) == 0
    assert "queued 8 run(s)" in capsys.readouterr().out
