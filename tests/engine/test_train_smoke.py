"""A tiny end-to-end run: train() writes checkpoints, reports epochs and returns its result."""

from __future__ import annotations

import io

from PIL import Image

from cgan_tui.gan.training import TrainCallbacks, load_checkpoint, train


def test_tiny_run_reports_and_checkpoints(tiny_config, registries, tmp_path):
    cfg = tiny_config(epochs=2, checkpoint_epochs=(1,))
    epochs, checkpoints, progress = [], [], []
    cb = TrainCallbacks(
        on_epoch_end=epochs.append, on_checkpoint=checkpoints.append, on_progress=progress.append, progress_every=1
    )
    result = train(cfg, registries, tmp_path / "ck", cb)

    assert result.epochs_done == 2 and not result.stopped and result.device == "cpu"
    assert [e.epoch for e in epochs] == [1, 2]
    assert all(e.images_seen == 64 * e.epoch for e in epochs)
    assert epochs[0].is_checkpoint_epoch and epochs[1].is_checkpoint_epoch  # the last epoch always is
    assert {(c.epoch, c.kind) for c in checkpoints} == {(1, "last"), (1, "milestone"), (2, "last"), (2, "milestone")}
    assert (tmp_path / "ck" / "epoch_001.pt").exists() and result.last_checkpoint == tmp_path / "ck" / "last.pt"
    assert len(progress) == 4 and progress[-1].step == 2 and progress[-1].steps_per_epoch == 2
    img = Image.open(io.BytesIO(epochs[-1].grid_png))
    assert img.size == (4 * 29 - 1, 10 * 29 - 1) and img.mode == "L"
    ckpt = load_checkpoint(result.last_checkpoint)
    assert ckpt["epoch"] == 2 and ckpt["config"]["loss"] == "bce"
