"""Values are checked before they are queued (issue 26): the one config model rejects NaN/inf, betas outside
[0, 1), a batch size larger than the training set and checkpoint epochs above ``epochs``, in one line naming
the field and what is valid, alike from ``queue add``, ``train``, a grid file and the app's new-run form;
nothing is stored, and NaN never reaches the stored JSON."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from cgan_tui.cli import main
from cgan_tui.config import RunConfig, load_grid, validated
from cgan_tui.run_config import ConfigError
from cgan_tui.ui.screens.new_run import DEFAULTS, build_configs

# (CLI options, the same as grid [base] TOML, the message's start)
BAD = [
    (["--lr-g", "nan"], "lr_g = nan", "lr_g must be a finite positive number, got nan"),
    (["--lr-d", "inf"], "lr_d = inf", "lr_d must be a finite positive number, got inf"),
    (["--set", "bn_eps=nan"], "bn_eps = nan", "bn_eps must be a finite number >= 0, got nan"),
    (["--set", "extra.scale=nan"], "extra = {scale = nan}", "extra.scale must hold finite numbers (no NaN or infinity)"),
    (["--set", "betas=[5,-1]"], "betas = [5, -1]", "betas must be two numbers in [0, 1) like [0.5, 0.999], got [5, -1]"),
    (["--set", "betas=[0.5,1.0]"], "betas = [0.5, 1.0]", "betas must be two numbers in [0, 1)"),
    (["--batch-size", "1000000000"], "batch_size = 1000000000",
     "batch_size must be at most the training set (60000 images), got 1000000000"),
    (["--batch-size", "100", "--limit-train", "64"], "batch_size = 100\nlimit_train = 64",
     "batch_size must be at most limit_train (64), got 100"),
    (["--checkpoint-epochs", "99", "--epochs", "2"], "checkpoint_epochs = [99]\nepochs = 2",
     "checkpoint epochs must be <= epochs (2), got 99"),
    (["--epochs", "30", "--checkpoint-epochs", "40"], "epochs = 30\ncheckpoint_epochs = [40]",
     "checkpoint epochs must be <= epochs (30), got 40"),  # issue 29: refused, never silently dropped
]  # fmt: skip
IDS = [" ".join(cli) for cli, _, _ in BAD]


def stored_runs(path: Path) -> list[str]:
    if not path.exists():
        return []
    conn = sqlite3.connect(path)
    try:
        return [r[0] for r in conn.execute("SELECT config_json FROM run")]
    finally:
        conn.close()


def one_error_line(err: str, message: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err and len(lines) == 1, err
    assert lines[0].startswith("cgan-tui: error: ") and message in lines[0], lines[0]


@pytest.mark.parametrize("cli, toml, message", BAD, ids=IDS)
@pytest.mark.parametrize("command", ["queue add", "train"])
def test_cli_refuses_before_anything_is_stored(cli, toml, message, command, tmp_path, capsys):
    db = tmp_path / "x.db"
    assert main([*command.split(), "--model", "seed004", *cli, "--db", str(db)]) == 2
    one_error_line(capsys.readouterr().err, message)
    assert stored_runs(db) == []


@pytest.mark.parametrize("cli, toml, message", BAD, ids=IDS)
def test_grid_file_refuses(cli, toml, message, tmp_path, capsys):
    grid = tmp_path / "bad.toml"
    grid.write_text(f'[base]\nmodel = "seed004"\n{toml}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^grid file .*bad\.toml: ") as err:
        load_grid(grid)
    assert message in str(err.value) and "\n" not in str(err.value)
    db = tmp_path / "x.db"
    assert main(["queue", "add", "--grid", str(grid), "--yes", "--db", str(db)]) == 2
    one_error_line(capsys.readouterr().err, message)
    assert stored_runs(db) == []


def test_grid_with_a_bad_option_on_the_command_line_refuses(tmp_path, capsys):
    grid = tmp_path / "ok.toml"
    grid.write_text('[base]\nmodel = "seed004"\nepochs = 2\ncheckpoint_epochs = [1]\n', encoding="utf-8")
    db = tmp_path / "x.db"
    assert main(["queue", "add", "--grid", str(grid), "--lr-g", "nan", "--yes", "--db", str(db)]) == 2
    one_error_line(capsys.readouterr().err, "lr_g must be a finite positive number, got nan")
    assert stored_runs(db) == []


def form_fields(**changes: str) -> dict[str, str]:
    return {**DEFAULTS, **changes}


@pytest.mark.parametrize("fields, message", [
    ({"epochs": "2", "checkpoints": "1,99"}, "checkpoint epochs must be <= epochs (2), got 99"),
    ({"limit_train": "64", "epochs": "1", "checkpoints": "1"}, None),  # the family's batch size is not the user's
])  # fmt: skip
def test_new_run_form_uses_the_same_model(fields, message):
    if message is None:
        assert build_configs("seed004", "bce", "embedding", form_fields(**fields))
        return
    with pytest.raises(ConfigError) as err:
        build_configs("seed004", "bce", "embedding", form_fields(**fields))
    assert str(err.value).startswith(message)


def test_default_milestones_are_cut_to_the_run_not_refused(tmp_path, capsys):
    """``--epochs 2`` alone keeps working: only milestones the user typed must fit. The form shows what it
    queues: its prefilled field follows the epochs (``closed_checkpoints``: 3 epochs -> "3"; the Pilot test
    ``test_results_cleanup`` types the epochs), and a stale "10,20,30" left with 3 epochs is refused, not
    silently cut."""
    db = tmp_path / "x.db"
    assert main(["queue", "add", "--model", "seed004", "--epochs", "2", "--db", str(db)]) == 0
    (config,) = stored_runs(db)
    assert json.loads(config)["checkpoint_epochs"] == [2]
    from cgan_tui.config import closed_checkpoints

    shown = ",".join(map(str, closed_checkpoints((10, 20, 30), 3)))
    assert shown == "3"
    built = build_configs("seed004", "bce", "embedding", form_fields(epochs="3", checkpoints=shown))
    assert [(c.epochs, c.checkpoint_epochs) for c in built] == [(3, (3,))]
    with pytest.raises(ConfigError, match=r"checkpoint epochs must be <= epochs \(3\)"):
        build_configs("seed004", "bce", "embedding", form_fields(epochs="3", checkpoints="10,20,30"))
    capsys.readouterr()


def test_nan_never_reaches_the_stored_json(tmp_path):
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store

    for bad in ({"lr_g": float("nan")}, {"betas": (0.5, float("inf"))}, {"extra": {"x": [1.0, float("nan")]}}):
        with pytest.raises(ConfigError):
            validated(bad)
    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    try:  # a config that went around the model (a plugin, a script) is refused at the store, in one line
        with pytest.raises(ConfigError, match="NaN or infinity"):
            queries.create_runs(store, [RunConfig(lr_g=float("nan"), betas=(0.5, 0.9), batch_size=64, latent_dim=8)])
    finally:
        store.dispose()
    assert stored_runs(tmp_path / "x.db") == []
