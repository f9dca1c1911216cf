"""The precision/recall plugin runs inside a real evaluation and becomes a sortable results column."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cgan_tui.config import RunConfig, resolve
from cgan_tui.plugins import load_plugins

pytest.importorskip("torch")
pytest.importorskip("cgan_tui.gan.classifier", reason="the metrics engine has not landed")


class Copycat(nn.Module):
    """A 'generator' that returns one real test image per class: every sample is real (precision 1),
    but only 10 distinct images cover the real set (recall tiny): mode collapse in its purest form."""

    def __init__(self, prototypes: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("prototypes", prototypes.float() / 127.5 - 1.0)

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.prototypes[labels]


class Noise(nn.Module):
    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        gen = torch.Generator().manual_seed(int(z[0, 0].abs().mul(1e6)))
        return torch.rand(z.shape[0], 1, 28, 28, generator=gen) * 2 - 1


def random_classifier(ctx):
    """The classifier in use: here an untrained network of the real architecture, installed by
    ``setting`` as the user's classifier file (so its hash is the current backbone)."""
    from cgan_tui.gan import classifier

    return classifier.extractor(ctx.device)


@pytest.fixture
def setting(with_plugins, fmnist_dir, tmp_path, monkeypatch):
    from cgan_tui.gan import classifier, weights
    from cgan_tui.gan.data import load_fashion_mnist

    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(tmp_path / "weights"))
    (tmp_path / "weights").mkdir()
    torch.manual_seed(0)
    torch.save({"arch": classifier.ARCH, "state_dict": classifier.FashionClassifier().state_dict()},
               weights.CLASSIFIER.install_path())  # an untrained network takes precedence over the shipped one

    regs = load_plugins()
    real = load_fashion_mnist(fmnist_dir, "test", device="cpu", limit=100)
    protos = torch.stack([real.images[(real.labels == c).nonzero()[0, 0]] for c in range(10)])
    cfg = resolve(RunConfig(model="seed004", epochs=1, checkpoint_epochs=(1,), limit_train=32, device="cpu",
                            data_dir=str(fmnist_dir)), regs)  # fmt: skip
    return regs, real, protos, cfg


def evaluate(generator, cfg, regs, real, cache):
    from cgan_tui.gan.metrics.context import MetricContext
    from cgan_tui.gan.metrics.engine import evaluate

    ctx = MetricContext(generator, latent_dim=cfg.latent_dim, n=100, device="cpu", real=real, feature_cache=cache,
                        extractors={"classifier": random_classifier})  # fmt: skip
    results = evaluate(generator, cfg, regs, epoch=1, metrics=["precision_recall"], context=ctx)
    return {r.name: r for r in results}, ctx


def test_metric_in_an_evaluation_with_feature_cache(setting):
    from cgan_tui.gan.metrics.context import MemoryFeatureCache

    regs, real, protos, cfg = setting
    cache = MemoryFeatureCache()
    results, ctx = evaluate(Copycat(protos), cfg, regs, real, cache)
    assert set(results) == {"precision", "recall"}
    assert all(r.backend == "classifier" and r.n_samples == 100 and r.unavailable is None for r in results.values())
    assert results["precision"].value == 1.0  # every sample is a real image
    assert results["recall"].value < 0.2  # 10 distinct images cannot cover 100 reals
    assert ctx.real_extractions == 1

    again, ctx2 = evaluate(Noise(), cfg, regs, real, cache)
    assert ctx2.real_extractions == 0  # real features came from the cache
    assert again["precision"].value < 1.0


def test_metric_becomes_a_sortable_column(setting, db_url):
    from cgan_tui.gan.metrics.context import MemoryFeatureCache
    from cgan_tui.results import columns_for, load_results, sort_rows
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store

    regs, real, protos, cfg = setting
    store = open_store(db_url)
    try:
        cache = MemoryFeatureCache()
        ids = {}
        for name, generator in (("noise", Noise()), ("copycat", Copycat(protos)), ("untrained", None)):
            run_id = queries.create_run(store, cfg, status="completed")
            ids[run_id] = name
            if generator is None:
                continue  # a model not evaluated yet: its values are missing
            results, _ = evaluate(generator, cfg, regs, real, cache)
            for r in results.values():
                queries.upsert_metric(store, run_id, 1, r.name, r.value, backend=r.backend, n_samples=r.n_samples,
                                      backbone=r.backbone)  # as the hook stores it: the classifier's hash
        rows = load_results(store, regs)
        columns = {c.key: c for c in columns_for(rows, regs)}
        assert columns["precision@classifier"].better == "higher"
        assert columns["recall@classifier"].better == "higher"

        ordered = sort_rows(rows, [("precision@classifier", True)])
        values = [r.get("precision@classifier") for r in ordered]
        assert ids[ordered[0].run_id] == "copycat" and values[0] == 1.0
        assert values[-1] is None and ids[ordered[-1].run_id] == "untrained"  # missing sorts last
        present = [v for v in values if v is not None]
        assert present == sorted(present, reverse=True) and len(present) == 2
        ascending = sort_rows(rows, [("precision@classifier", False)])
        assert ids[ascending[0].run_id] == "noise" and ascending[-1].get("precision@classifier") is None
    finally:
        store.dispose()
