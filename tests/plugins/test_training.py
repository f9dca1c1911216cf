"""The example plugins train for real: relativistic losses, projection and AC-GAN on both seed models."""

from __future__ import annotations

import math
import types
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from cgan_tui.config import RunConfig, resolve
from cgan_tui.gan.training import TrainCallbacks, load_checkpoint, train
from cgan_tui.hooks import hookimpl
from cgan_tui.plugins import load_plugins

ROOT = Path(__file__).resolve().parents[2]


def tiny(fmnist_dir, regs, **overrides) -> RunConfig:
    base = dict(
        model="seed004", loss="bce", conditioning="embedding", epochs=1, checkpoint_epochs=(1,), limit_train=32,
        batch_size=16, device="cpu", data_dir=str(fmnist_dir), grid_columns=2,
    )  # fmt: skip
    base.update(overrides)
    return resolve(RunConfig(**base), regs)


def run(cfg, regs, tmp_path):
    epochs = []
    result = train(cfg, regs, tmp_path / "ck", TrainCallbacks(on_epoch_end=epochs.append))
    assert result.epochs_done == cfg.epochs
    assert all(math.isfinite(e.g_loss) and math.isfinite(e.d_loss) for e in epochs)
    return load_checkpoint(result.last_checkpoint), epochs


def test_cli_trains_and_evaluates_with_installed_plugins(plugin_site, fmnist_dir, tmp_path, subprocess_env, run_cli):
    """`cgan-tui train --loss rsgan --metrics precision_recall`: a loss and a metric from installed packages."""
    evaluating = (ROOT / "cgan_tui" / "runner" / "evaluate_hook.py").exists()
    extra_env = {}
    if evaluating:  # an empty private weights folder: the plugin metric uses the classifier shipped in the package
        extra_env["CGAN_TUI_WEIGHTS"] = str(tmp_path / "weights")
    db = tmp_path / "experiments.db"
    args = ["train", "--db", str(db), "--loss", "rsgan", "--epochs", "1", "--limit-train", "64", "--model", "seed004",
            "--device", "cpu", "--data-dir", str(fmnist_dir)]  # fmt: skip
    args += ["--metrics", "precision_recall", "--eval-n", "100"] if evaluating else ["--metrics="]
    proc = run_cli(*args, env=subprocess_env(plugin_site, **extra_env), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    from cgan_tui.results import columns_for, load_results
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store

    store = open_store(f"sqlite:///{db}", create=False)
    try:
        (run,) = queries.list_runs(store)
        assert run.status == "completed" and queries.run_config(run).loss == "rsgan"
        rows = queries.epoch_rows(store, run.id)
        assert len(rows) == 1 and all(math.isfinite(v) for v in (rows[0].g_loss, rows[0].d_loss))
        assert queries.grid_epochs(store, run.id) == [1]
        if evaluating:
            stored = {m.name: m for m in queries.metric_rows(store, [run.id]) if m.backend == "classifier"}
            assert set(stored) == {"precision", "recall"}
            assert all(m.n_samples == 100 and m.unavailable is None and 0.0 <= m.value <= 1.0 for m in stored.values())
            (result,) = load_results(store)
            assert result.get("precision@classifier") == stored["precision"].value
            assert "recall@classifier" in {c.key for c in columns_for([result])}
    finally:
        store.dispose()

    # without the package on the path the name is refused with the valid ones listed
    proc = run_cli(*args, env=subprocess_env())
    assert proc.returncode == 2 and "unknown loss 'rsgan'; valid:" in proc.stderr and "hinge" in proc.stderr


def test_rahinge_trains(with_plugins, fmnist_dir, tmp_path):
    regs = load_plugins()
    ckpt, epochs = run(tiny(fmnist_dir, regs, loss="rahinge"), regs, tmp_path)
    assert ckpt["config"]["loss"] == "rahinge" and len(epochs) == 1


def rebuild_d(ckpt, regs):
    cfg = RunConfig.from_dict(ckpt["config"])
    family = regs.models.get(cfg.model)
    _, D = family.build(cfg, regs.conditionings.get(cfg.conditioning), regs.conditionings.get(cfg.d_conditioning))
    D.load_state_dict(ckpt["D"])
    return D.eval()


@pytest.mark.parametrize("model", ["seed000", "seed004"])
def test_projection_trains_and_conditions_the_score(model, with_plugins, fmnist_dir, tmp_path):
    regs = load_plugins()
    cfg = tiny(fmnist_dir, regs, model=model, conditioning="projection", d_conditioning="projection", embed_dim=32)
    ckpt, _ = run(cfg, regs, tmp_path)
    D = rebuild_d(ckpt, regs)
    assert type(D.conditioner).__name__ == "ProjectionConditioner" and D.conditioner.extra_channels == 0
    images = torch.rand(6, 1, 28, 28) * 2 - 1
    with torch.no_grad():
        a = D(images, torch.zeros(6, dtype=torch.long))
        b = D(images, torch.full((6,), 7, dtype=torch.long))
    assert a.class_logits is None
    assert not torch.allclose(a.score, b.score)  # the label changes the score only through the projection
    features = D.trunk(images)
    class_vectors = D.conditioner.embedding.weight
    assert torch.allclose(b.score - a.score, ((class_vectors[7] - class_vectors[0]) * features).sum(1), atol=1e-5)


def ac_without_aux(regs) -> types.ModuleType:
    """The same AC modules with aux_weight 0: the classifier then never gets a gradient."""
    plugin = types.ModuleType("ac_off")
    plugin.register_conditionings = hookimpl(lambda: [replace(regs.conditionings.get("ac"), name="ac-off", aux_weight=0.0)])
    return plugin


@pytest.mark.parametrize("model", ["seed000", "seed004"])
def test_ac_trains_with_auxiliary_classifier_loss(model, with_plugins, fmnist_dir, tmp_path):
    regs = load_plugins()
    regs = load_plugins(extra=[("ac-off", ac_without_aux(regs))])
    on, _ = run(tiny(fmnist_dir, regs, model=model, conditioning="ac", d_conditioning="ac"), regs, tmp_path / "on")
    D = rebuild_d(on, regs)
    with torch.no_grad():
        out = D(torch.zeros(4, 1, 28, 28), torch.arange(4))
    assert out.class_logits is not None and out.class_logits.shape == (4, 10)
    if model == "seed004":  # the engine's use of aux_weight, checked once
        off, _ = run(tiny(fmnist_dir, regs, conditioning="ac", d_conditioning="ac-off"), regs, tmp_path / "off")
        # same seed, same initial weights: only the aux cross-entropy can move the class head
        key = "conditioner.classifier.weight"
        assert not torch.equal(on["D"][key], off["D"][key])
