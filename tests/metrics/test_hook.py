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
        (RunConfig(limit_train=512), None, False),  # a debug run: only when asked
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
    assert all(m.n_samples == 20 for m in rows.values())
    with store.session() as s:
        cached = s.query(FeatureCache).all()
    assert len(cached) == 1 and cached[0].backend.startswith("classifier-") and cached[0].n == 20

    cache_gets = []
    real_get = StoreFeatureCache.get
    monkeypatch.setattr(StoreFeatureCache, "get", lambda self, *a: cache_gets.append(a) or real_get(self, *a))
    after_epoch(store, run_id, cfg, _event(gen, 2, True), registries)
    rows = {(m.epoch, m.name, m.backend): m for m in queries.metric_rows(store, [run_id])}
    assert rows[(2, "class_acc", "classifier")].value == pytest.approx(rows[(1, "class_acc", "classifier")].value)
    fid = rows[(2, "fid", "inception")]
    assert fid.value is None and "default_1.pt" in fid.unavailable and fid.n_samples == 20
    with store.session() as s:
        assert s.query(FeatureCache).count() == 1  # the reals were not embedded again
    assert cache_gets  # ... because the cached summary was read


def test_hook_does_nothing_for_debug_runs(store, registries, balanced_real, monkeypatch):
    monkeypatch.delenv("CGAN_TUI_EVAL", raising=False)
    cfg = RunConfig(latent_dim=8, limit_train=64)
    run_id = queries.create_run(store, cfg)
    after_epoch(store, run_id, cfg, _event(ReplayGenerator(balanced_real.images, balanced_real.labels), 1, True),
                registries)  # fmt: skip
    assert queries.metric_rows(store, [run_id]) == []
    assert evaluate_hook.DEBUG_LIMIT == 10_000
