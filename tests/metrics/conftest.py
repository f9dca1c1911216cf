"""Fixtures for the metrics tests: an opened temp store and helpers to fill it with real rows."""

from __future__ import annotations

import pytest

from cgan_tui.config import RunConfig
from cgan_tui.store import queries
from cgan_tui.store.db import open_store


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    yield s
    s.dispose()


def add_run(store, status="completed", experiment=None, **config):
    """A run row (config as given, checkpoint epochs 10/20/30 by default); returns its id."""
    cfg = RunConfig(**{"epochs": 30, "checkpoint_epochs": (10, 20, 30), **config})
    return queries.create_run(store, cfg, status=status, experiment=experiment)


def add_values(store, run_id, epoch, backend, n=100, unavailable=None, backbone=None, **values):
    """Values as the evaluation stores them: a versioned backend's carry the current network's hash."""
    from cgan_tui.gan import backbones

    if backbone is None:
        backbone = backbones.current(backend) or ""
    queries.upsert_metrics(store, run_id, epoch, values, backend=backend, n_samples=n, unavailable=unavailable,
                           backbone=backbone)  # fmt: skip


# ------------------------------------------------------------------------ evaluation fixtures

from pathlib import Path  # noqa: E402

import torch  # noqa: E402
from torch import nn  # noqa: E402


class ReplayGenerator(nn.Module):
    """``G(z, labels)`` returning real images of the asked classes (k-th request of class c gets the
    k-th real image of c, cycling), optionally transformed: a stand-in for a perfect generator."""

    def __init__(self, images_u8: torch.Tensor, labels: torch.Tensor, transform=None, repeat_one: bool = False):
        super().__init__()
        self.images = images_u8
        self.labels = labels
        self.transform = transform
        self.repeat_one = repeat_one
        self.anchor = nn.Parameter(torch.zeros(1))  # gives the module a device
        self._seen: dict[int, int] = {}

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        out = []
        for c in labels.tolist():
            pool = torch.nonzero(self.labels == c).flatten()
            k = 0 if self.repeat_one else self._seen.get(c, 0)
            self._seen[c] = self._seen.get(c, 0) + 1
            out.append(self.images[pool[k % len(pool)]])
        x = torch.stack(out).float() / 127.5 - 1.0
        return self.transform(x) if self.transform is not None else x

    def train(self, mode: bool = True):  # sampling switches to eval: restart the replay order
        self._seen = {}
        return super().train(mode)


class RandomNet(nn.Module):
    """A small fixed random conv net with the extractor interface (counts its calls)."""

    backend = "inception"
    num_features = 32

    def __init__(self, name: str = "random-net") -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(
            nn.Conv2d(1, 8, 3, stride=2), nn.Tanh(), nn.Conv2d(8, 16, 3, stride=2), nn.Tanh(),
            nn.Flatten(), nn.Linear(16 * 6 * 6, self.num_features),
        )  # fmt: skip
        self.name = name
        self.device = torch.device("cpu")
        self.batch = 256
        self.calls = 0

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        with torch.no_grad():
            x = images.float() / 127.5 - 1.0 if images.dtype == torch.uint8 else images.float()
            return 10.0 * self.net(x)


@pytest.fixture
def weights_env(tmp_path, monkeypatch):
    """An empty weights folder (nothing found) as $CGAN_TUI_WEIGHTS, and an empty torch hub."""
    folder = tmp_path / "weights"
    folder.mkdir()
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return folder


SHIPPED_CLASSIFIER = Path(__file__).resolve().parents[2] / "cgan_tui" / "gan" / "assets" / "fmnist_classifier.pt"


@pytest.fixture(scope="session")
def tiny_classifier(tmp_path_factory):
    """A weights folder holding a copy of the shipped classifier (user-folder name), and its info.

    (The name is historical: the shipped network replaced the classifier tests once trained.)"""
    import shutil

    from cgan_tui.gan import classifier, weights

    folder = tmp_path_factory.mktemp("clf_weights")
    dest = folder / weights.CLASSIFIER.filename
    shutil.copy(SHIPPED_CLASSIFIER, dest)
    shutil.copy(SHIPPED_CLASSIFIER.with_suffix(".json"), dest.with_suffix(".json"))
    return folder, classifier.read_info(dest)


@pytest.fixture(scope="session")
def test_split(fmnist_dir):
    from cgan_tui.gan.data import load_fashion_mnist

    return load_fashion_mnist(fmnist_dir, "test")


@pytest.fixture(scope="session")
def registries():
    from cgan_tui.plugins import load_plugins

    return load_plugins()



@pytest.fixture(scope="session")
def balanced_real(test_split):
    """The fixture's test images, the same number per class, in class round-robin order."""
    from cgan_tui.gan.data import ImageData, balanced_order

    counts = torch.bincount(test_split.labels, minlength=10)
    per_class = int(counts.min())
    keep = torch.cat([torch.nonzero(test_split.labels == c).flatten()[:per_class] for c in range(10)])
    images, labels = test_split.images[keep], test_split.labels[keep]
    order = torch.as_tensor(balanced_order(labels.numpy()))
    return ImageData(images[order], labels[order], "balanced")
