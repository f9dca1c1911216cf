"""LPIPS plumbing with an AlexNet-shaped backbone file (random values: this checks wiring, not LPIPS).

The real ImageNet AlexNet weights are not on this machine; the file here has the same keys, so the
code path that loads *every* backbone layer from the file (never a random backbone) is exercised.
"""

from __future__ import annotations

import pytest
import torch

from cgan_tui.config import RunConfig
from cgan_tui.gan.metrics.engine import evaluate
from cgan_tui.gan.metrics.lpips import build_lpips

from .conftest import ReplayGenerator


@pytest.fixture
def alexnet_file(weights_env, tmp_path):
    g = torch.Generator().manual_seed(0)
    shapes = {0: (64, 3, 11, 11), 3: (192, 64, 5, 5), 6: (384, 192, 3, 3), 8: (256, 384, 3, 3), 10: (256, 256, 3, 3)}
    features = {}  # torchvision alexnet.features' keys and shapes
    for i, shape in shapes.items():
        features[f"features.{i}.weight"] = torch.randn(shape, generator=g) * 0.05
        features[f"features.{i}.bias"] = torch.zeros(shape[0])
    path = tmp_path / "torch" / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth"
    path.parent.mkdir(parents=True)
    torch.save(features, path)
    return path, features


def test_backbone_is_loaded_from_the_file(alexnet_file):
    path, features = alexnet_file
    model = build_lpips(path, torch.device("cpu"))
    assert torch.equal(getattr(model.net.slice1, "0").weight, features["features.0.weight"])
    assert torch.equal(getattr(model.net.slice5, "10").bias, features["features.10.bias"])
    torch.save({k: v for k, v in features.items() if k != "features.10.bias"}, path)
    with pytest.raises(RuntimeError, match="Missing key"):
        build_lpips(path, torch.device("cpu"))


def test_lpips_metrics_run_when_the_weights_exist(alexnet_file, registries, balanced_real):
    same = ReplayGenerator(balanced_real.images, balanced_real.labels)
    flipped = ReplayGenerator(balanced_real.images, balanced_real.labels, transform=lambda x: x.flip(-2))
    cfg = RunConfig(latent_dim=8)
    kw = dict(epoch=1, n=len(balanced_real), device="cpu", metrics=["lpips"], real=balanced_real)
    v_same = {r.key: r.value for r in evaluate(same, cfg, registries, **kw)}
    v_flip = {r.key: r.value for r in evaluate(flipped, cfg, registries, **kw)}
    assert v_same["lpips@lpips"] == pytest.approx(0.0, abs=1e-6)  # each sample is its paired real image
    assert v_flip["lpips@lpips"] > 0.01
    assert v_same["lpips_diversity@lpips"] > 0.01
