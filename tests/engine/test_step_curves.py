"""Step curves: window means of the values the loop already sums, recorded without changing training."""

from __future__ import annotations

import math

import pytest
import torch

from cgan_tui.gan.step_curves import StepMarks
from cgan_tui.gan.training import TrainCallbacks, train


def test_marks_are_window_means_with_a_short_last_window_and_nan_gaps():
    marks = StepMarks(every=2, steps=5)
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, int] = {}
    for step, (d, g) in enumerate([(1.0, None), (3.0, 2.0), (5.0, None), (7.0, None), (9.0, 4.0)], start=1):
        for name, value in (("d_loss", d), ("g_loss", g)):
            if value is not None:
                sums[name] = sums.get(name, torch.zeros(())) + value  # a new tensor, as the loop does
                counts[name] = counts.get(name, 0) + 1
        marks.after_step(step, sums, counts)
    curves = marks.curves()
    assert (curves.every, curves.steps) == (2, 5)
    assert curves.values["d_loss"] == [2.0, 6.0, 9.0]  # windows 1-2, 3-4, 5
    g = curves.values["g_loss"]
    assert g[0] == 2.0 and math.isnan(g[1]) and g[2] == 4.0


def test_log_every_zero_records_nothing():
    marks = StepMarks(every=0, steps=3)
    marks.after_step(1, {"d_loss": torch.ones(())}, {"d_loss": 1})
    assert marks.curves().values == {}


@pytest.mark.parametrize("log_every", [1, 3])
def test_train_reports_step_curves_matching_the_epoch_means(tiny_config, registries, tmp_path, log_every):
    cfg = tiny_config(epochs=2, limit_train=160, batch_size=16, log_every=log_every)
    ends = []
    train(cfg, registries, tmp_path, TrainCallbacks(on_epoch_end=ends.append))
    assert [e.epoch for e in ends] == [1, 2]
    for end in ends:
        assert end.step_every == log_every and end.epoch_steps == 10
        assert set(end.step_values) == {"g_loss", "d_loss"}
        assert len(end.step_values["d_loss"]) == math.ceil(10 / log_every)
        if log_every == 1:  # every step: the epoch mean is the mean of the points
            assert sum(end.step_values["d_loss"]) / 10 == pytest.approx(end.d_loss, rel=1e-5)


def test_recording_does_not_change_training(tiny_config, registries, tmp_path):
    a = train(tiny_config(log_every=1), registries, tmp_path / "a").last_checkpoint
    b = train(tiny_config(log_every=0), registries, tmp_path / "b").last_checkpoint
    ga, gb = torch.load(a, weights_only=False)["G"], torch.load(b, weights_only=False)["G"]
    assert all(torch.equal(ga[k], gb[k]) for k in ga)
