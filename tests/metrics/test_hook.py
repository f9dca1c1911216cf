"""The runner's evaluation hook: policy, rows written with backend/n, FeatureCache in the database."""

from __future__ import annotations

import pytest

from cgan_tui.config import RunConfig
from cgan_tui.gan.training import EpochEnd
from cgan_tui.runner import evaluate_hook
from cgan_tui.runner.evaluate_hook import StoreFeatureCache, after_epoch, evaluation_enabled
from cgan_tui.store import queries
from cgan_tui.store.tables import FeatureCache

from .conftest import ReplayGenerator


def _event(generator, epoch, checkpoint):
    return EpochEnd(epoch=epoch, g_loss=1.0, d_loss=1.0, seconds=1.0, images_per_s=1.0, images_seen=64,
                    grid_png=b"", grid_rows=10, grid_cols=8, generator=generator, is_checkpoint_epoch=checkpoint)  # fmt: skip


@pytest.mark.parametrize(
    "config,env,expected",
    [
        (RunConfig(), None, True),  # a full run
        (RunConfig(limit_train=512), None, True),  # a debug run: the classifier backend at checkpoints
        (RunConfig(limit_train=512, eval_n=100), None, True),
        (RunConfig(limit_train=512, metrics=("psnr",)), None, True),
        (RunConfig(metrics=()), None, False),
        (RunConfig(), "off", False),
    ],
)
def test_evaluation_policy(config, env, expected, monkeypatch):
    if env:
        monkeypatch.setenv("CGAN_TUI_EVAL", env)
    else:
        monkeypatch.delenv("CGAN_TUI_EVAL", raising=False)
    assert evaluation_enabled(config) is expected


def test_after_epoch_writes_every_epoch_then_full_rows_and_caches_reals(
    store, registries, balanced_real, tiny_classifier, fmnist_dir, monkeypatch
):
    folder, _ = tiny_classifier
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(folder))  # classifier present, no Inception file
    monkeypatch.delenv("CGAN_TUI_EVAL", raising=False)
    cfg = RunConfig(latent_dim=8, eval_n=20, metrics=("classifier", "psnr", "fid"), data_dir=str(fmnist_dir),
                    limit_train=64, epochs=2, checkpoint_epochs=(2,))  # fmt: skip
    run_id = queries.create_run(store, cfg)
    gen = ReplayGenerator(balanced_real.images, balanced_real.labels)

    after_epoch(store, run_id, cfg, _event(gen, 1, False), registries)
    rows = {(m.epoch, m.name, m.backend): m for m in queries.metric_rows(store, [run_id])}
    assert {k[1] for k in rows if k[0] == 1} >= {"class_acc", "fid", "is", "psnr", "mode_collapse"}
    assert ("fid", "inception") not in {(k[1], k[2]) for k in rows}  # not every-epoch
    per_class = [m for m in rows.values() if m.name.startswith("intra_fid_c")]  # stored with their class's n
    assert per_class and all(m.n_samples == 2 for m in per_class)
    assert all(m.n_samples == 20 for m in rows.values() if m.backend != "train" and not m.name.startswith("intra_fid_c"))
    assert rows[(1, "eval_seconds", "train")].value > 0  # the evaluation's cost is stored, not only logged
    assert queries.epoch_rows(store, run_id)[0].eval_seconds == rows[(1, "eval_seconds", "train")].value
    with store.session() as s:
        cached = s.query(FeatureCache).all()
    assert len(cached) == 1 and cached[0].backend.startswith("classifier-") and cached[0].n == 20
    assert {m.backbone for m in rows.values() if m.backend == "classifier"} == {cached[0].backend.split("-", 1)[1]}

    cache_gets = []
    real_get = StoreFeatureCache.get
    monkeypatch.setattr(StoreFeatureCache, "get", lambda self, *a: cache_gets.append(a) or real_get(self, *a))
    after_epoch(store, run_id, cfg, _event(gen, 2, True), registries)
    rows = {(m.epoch, m.name, m.backend): m for m in queries.metric_rows(store, [run_id])}
    assert rows[(2, "class_acc", "classifier")].value == pytest.approx(rows[(1, "class_acc", "classifier")].value)
    fid = rows[(2, "fid", "inception")]
    assert fid.value is None and "default_1.pt" in fid.unavailable and fid.n_samples == 20
    with store.session() as s:  # the reals were not embedded again (the training images were, once: memorisation)
        test_rows = [c for c in s.query(FeatureCache).all() if c.dataset.startswith("fashion-mnist-test:")]
        assert len([c for c in test_rows if ">" not in c.dataset]) == 1
    assert cache_gets  # ... because the cached summary was read


def test_debug_runs_get_only_the_classifier_backend_at_checkpoint_epochs(store, registries, balanced_real,
                                                                        fmnist_dir, weights_env, monkeypatch):
    """limit_train < 10,000 and no eval settings: nothing between checkpoints; at a checkpoint the
    classifier backend (shipped weights) with its hash, so combined@classifier exists; no Inception."""
    from cgan_tui.gan import backbones
    from cgan_tui.results import load_results

    monkeypatch.delenv("CGAN_TUI_EVAL", raising=False)
    cfg = RunConfig(latent_dim=8, limit_train=64, epochs=2, checkpoint_epochs=(2,), data_dir=str(fmnist_dir))
    run_id = queries.create_run(store, cfg)
    gen = ReplayGenerator(balanced_real.images, balanced_real.labels)
    after_epoch(store, run_id, cfg, _event(gen, 1, False), registries)
    assert queries.metric_rows(store, [run_id]) == []
    after_epoch(store, run_id, cfg, _event(gen, 2, True), registries)
    rows = queries.metric_rows(store, [run_id])
    assert {m.backend for m in rows} == {"classifier", "train"}  # train: the evaluation's eval_seconds
    assert {m.name for m in rows} >= {"fid", "is", "lpips", "lpips_diversity", "class_acc"}
    evaluated = [m for m in rows if m.backend != "train"]
    assert {m.backbone for m in evaluated} == {backbones.current("classifier")}
    assert {m.n_samples for m in evaluated if not m.name.startswith("intra_fid_c")} == {1000}  # the CPU default
    assert {m.n_samples for m in evaluated if m.name.startswith("intra_fid_c")} == {100}  # n per class
    [row] = load_results(store, registries)
    assert row.scores["combined@classifier"] is not None
    assert evaluate_hook.DEBUG_LIMIT == 10_000


def test_eval_progress_is_visible_while_evaluating_and_cleared_after(
    store, registries, balanced_real, tiny_classifier, fmnist_dir, monkeypatch
):
    """The run row says "classifier generated x/y" while a worker's evaluation embeds images (what the
    run detail shows), and nothing once it is done."""
    folder, _ = tiny_classifier
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(folder))
    monkeypatch.delenv("CGAN_TUI_EVAL", raising=False)
    cfg = RunConfig(latent_dim=8, eval_n=20, metrics=("classifier",), data_dir=str(fmnist_dir), limit_train=64,
                    epochs=1, checkpoint_epochs=(1,))  # fmt: skip
    run_id = queries.create_run(store, cfg)
    seen: list[str | None] = []
    real_call = evaluate_hook.ProgressWriter.__call__

    def observed(self, label, done, total):  # the row as the UI would read it right after each write
        real_call(self, label, done, total)
        seen.append(queries.get_run(store, run_id).eval_progress)

    monkeypatch.setattr(evaluate_hook.ProgressWriter, "__call__", observed)
    after_epoch(store, run_id, cfg, _event(ReplayGenerator(balanced_real.images, balanced_real.labels), 1, True), registries)
    assert "classifier generated 20/20" in seen and "classifier real 20/20" in seen
    assert queries.get_run(store, run_id).eval_progress is None
