"""Both architectures with every conditioning scheme: shapes, the DiscOutput contract, seed fidelity."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from cgan_tui.config import RunConfig, resolve
from cgan_tui.gan.models.common import DiscOutput, DiscriminatorConditioner
from cgan_tui.gan.models.seed004 import FEATURE_DIM
from cgan_tui.specs import Conditioning


def build(registries, **kw):
    cfg = resolve(RunConfig(**kw), registries)
    family = registries.models.get(cfg.model)
    g, d = family.build(cfg, registries.conditionings.get(cfg.conditioning), registries.conditionings.get(cfg.d_conditioning))
    return cfg, g, d


@pytest.mark.parametrize("model", ["seed000", "seed004"])
@pytest.mark.parametrize("conditioning", ["embedding", "one-hot"])
@pytest.mark.parametrize("d_conditioning", [None, "embedding", "one-hot", "label-map"])
@pytest.mark.parametrize("embed_dim", [10, 32])
def test_shapes(registries, model, conditioning, d_conditioning, embed_dim):
    if conditioning == "one-hot" and embed_dim == 32 and d_conditioning not in (None, "embedding"):
        pytest.skip("embed_dim does not affect one-hot with these D schemes")
    cfg, g, d = build(registries, model=model, conditioning=conditioning, d_conditioning=d_conditioning, embed_dim=embed_dim)
    labels = torch.tensor([0, 5, 9])
    z = torch.randn(3, cfg.latent_dim)
    images = g(z, labels)
    assert images.shape == (3, 1, 28, 28)
    assert float(images.detach().abs().max()) <= 1.0  # tanh
    out = d(images, labels)
    assert isinstance(out, DiscOutput) and out.score.shape == (3,) and out.class_logits is None
    first_conv = next(m for m in d.trunk if isinstance(m, nn.Conv2d))
    assert first_conv.in_channels == 1 + d.conditioner.extra_channels


def test_seed_specific_wiring(registries):
    cfg, g, d = build(registries, model="seed004", conditioning="one-hot")
    assert cfg.latent_dim == 100 and d.conditioner.extra_channels == 10  # 11 channels in, as in the notebook
    first = next(m for m in g.body if isinstance(m, nn.ConvTranspose2d))
    assert (first.in_channels, first.out_channels, first.kernel_size) == (110, 128, (7, 7))
    cfg, g, d = build(registries, model="seed004", conditioning="embedding", embed_dim=10)
    assert d.conditioner.extra_channels == 10 and isinstance(d.conditioner.embedding, nn.Embedding)
    cfg, g, d = build(registries, model="seed000", conditioning="embedding", embed_dim=32)
    assert cfg.d_conditioning == "label-map" and d.conditioner.extra_channels == 1
    assert g.body[0].in_features == 200 + 32
    bns = [m for m in [*g.modules(), *d.modules()] if isinstance(m, nn.BatchNorm2d)]
    assert bns and all(m.momentum == pytest.approx(0.2) and m.eps == pytest.approx(1e-3) for m in bns)
    assert any(isinstance(m, nn.Dropout2d) and m.p == 0.25 for m in d.modules())


def test_seed004_head_equals_the_notebooks_final_conv(registries):
    """Flatten + Linear(6272, 1) is the notebook's Conv2d(128, 1, 7) over the 7x7 map."""
    _, _, d = build(registries, model="seed004", conditioning="one-hot")
    d.eval()
    conv = nn.Conv2d(128, 1, 7, 1, 0, bias=False)
    conv.weight.data.copy_(d.head.weight.data.view(1, 128, 7, 7))
    x, labels = torch.randn(4, 1, 28, 28), torch.tensor([1, 2, 3, 4])
    with torch.no_grad():
        extra = d.conditioner.channels(labels, 28, 28)
        feats = d.trunk[:-1](torch.cat([x, extra], 1))  # (4, 128, 7, 7) before Flatten
        assert torch.allclose(conv(feats).view(-1), d(x, labels).score, atol=1e-5)
    assert d.head.in_features == FEATURE_DIM


class ProjectionAndClassifier(DiscriminatorConditioner):
    """A plugin-style conditioner: projection term + auxiliary classifier on the trunk features."""

    def __init__(self, num_classes, embed_dim, image_shape, feature_dim):
        super().__init__()
        self.embed = nn.Embedding(num_classes, feature_dim)
        self.cls = nn.Linear(feature_dim, num_classes)

    def projection(self, features, labels):
        return (self.embed(labels) * features).sum(1)

    def classify(self, features):
        return self.cls(features)


@pytest.mark.parametrize("model", ["seed000", "seed004"])
def test_plugin_conditioner_fits_both_families(registries, model):
    cond = Conditioning("proj-ac", discriminator=ProjectionAndClassifier, aux_weight=1.0)
    cfg = resolve(RunConfig(model=model, conditioning="one-hot"), registries)
    family = registries.models.get(model)
    g, d = family.build(cfg, registries.conditionings.get("one-hot"), cond)
    labels = torch.tensor([2, 7])
    out = d(g(torch.randn(2, cfg.latent_dim), labels), labels)
    assert out.score.shape == (2,) and out.class_logits.shape == (2, 10)
