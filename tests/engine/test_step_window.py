"""``log_every``: ``auto`` (the default) picks K from the epoch's steps, an explicit K stays exact; a real
2-epoch run with the default records >= 20 points per curve, and ``show`` says the K it used."""

from __future__ import annotations

import argparse

import pytest

from cgan_tui.cli.run_options import config_from_args
from cgan_tui.config import ConfigError, RunConfig, validated
from cgan_tui.formatting import step_window_note
from cgan_tui.gan.step_curves import step_window
from cgan_tui.run_config import AUTO_POINTS


@pytest.mark.parametrize(("steps", "k"), [(1, 1), (8, 1), (20, 1), (50, 1), (51, 2), (100, 2), (469, 10),
                                          (938, 19), (1875, 38)])  # fmt: skip
def test_auto_records_every_step_of_a_short_epoch_and_at_most_50_points_of_a_long_one(steps, k):
    assert step_window("auto", steps) == k
    points = -(-steps // k)
    assert points <= AUTO_POINTS and (points == steps or points > AUTO_POINTS // 2)


def test_an_explicit_k_is_exact_and_old_configs_keep_their_10():
    assert [step_window(k, 8) for k in (0, 1, 3, 10)] == [0, 1, 3, 10]
    assert RunConfig().log_every == "auto"
    old = {**RunConfig().to_dict(), "log_every": 10}  # a run stored before auto: its config says 10
    assert step_window(RunConfig.from_dict(old).log_every, 8) == 10


def test_log_every_is_auto_or_an_integer_from_every_entry_point():
    assert [validated({"log_every": v}).log_every for v in ("auto", 0, 5, "7")] == ["auto", 0, 5, 7]
    assert config_from_args(argparse.Namespace(cfg_log_every="5")).log_every == 5  # --log-every 5
    assert config_from_args(argparse.Namespace(cfg_log_every="auto")).log_every == "auto"
    assert config_from_args(argparse.Namespace(cfg_set=["log_every=auto"])).log_every == "auto"
    for bad in ("often", "-1", -1, True, 2.5):
        with pytest.raises(ConfigError, match=r"^log_every must be auto or an integer K >= 0 \(0: per-epoch values only\), got "):
            validated({"log_every": bad})


def test_the_note_names_the_k_used_and_what_was_asked():
    assert step_window_note("auto", 1) == "step losses: mean of every 1 step (log_every auto: K = ceil(steps per epoch / 50))"
    assert step_window_note(10, 10) == "step losses: mean of every 10 steps (log_every 10)"
    assert step_window_note("auto", None) == "step losses: none recorded (log_every auto: K = ceil(steps per epoch / 50))"
    assert step_window_note(0, None) == "step losses: not recorded (log_every 0: per-epoch values only)"


def test_a_real_two_epoch_run_with_the_default_has_20_points_per_curve(tmp_path, fmnist_dir, registries, capsys):
    """320 images at batch 16: 20 steps an epoch, so ``auto`` records every step (40 points per curve)."""
    from cgan_tui.cli.train_cmd import run_show
    from cgan_tui.runner.execute import execute_run
    from cgan_tui.runner.queue import claim_next, enqueue_grid
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store

    url = f"sqlite:///{tmp_path / 'auto.db'}"
    store = open_store(url)
    cfg = RunConfig(model="seed004", loss="bce", conditioning="one-hot", epochs=2, checkpoint_epochs=(2,),
                    limit_train=320, batch_size=16, seed=1, device="cpu", data_dir=str(fmnist_dir), metrics=())
    assert cfg.log_every == "auto"  # the default: no --log-every
    (run_id,) = enqueue_grid(store, [cfg], registries=registries, experiment="auto")
    assert execute_run(store, claim_next(store, "w").id, registries, worker_id="w").status == "completed"
    curves = queries.step_curves(store, [run_id])[run_id]
    store.dispose()
    assert {name: len(c.values) for name, c in curves.items()} == {"g_loss": 40, "d_loss": 40}
    assert {c.every for c in curves.values()} == {1}

    assert run_show(argparse.Namespace(db=url, run_id=run_id, json=False)) == 0
    out = capsys.readouterr().out
    assert '  log_every = "auto"' in out
    assert "step losses: mean of every 1 step (log_every auto: K = ceil(steps per epoch / 50))" in out
