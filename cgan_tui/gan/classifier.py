"""The in-project Fashion-MNIST classifier behind the ``classifier`` metric backend.

Seed 000 noted that Inception (ImageNet) does not know fashion; a small CNN trained on
Fashion-MNIST gives domain FID (its 128-d penultimate features), domain IS and class consistency
(does a sample of class c classify as c). Trained deterministically (fixed seed) in about a minute
on a 2-core CPU to ~91-92 % test accuracy; saved in the weights folder with a JSON sidecar holding
its test accuracy. A network with a different architecture version is refused, not misread.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from cgan_tui.gan import weights
from cgan_tui.gan.weights import WeightsUnavailable

ARCH = "fmnist-cnn-v1"
NUM_FEATURES = 128


class FashionClassifier(nn.Module):
    """conv16-pool-conv32-pool -> 128-d features -> 10 logits; input (N,1,28,28) in [-1, 1].

    Deliberately small (~1.2 M multiply-adds per image) so that it trains in minutes on 2 CPU cores.
    """

    num_features = NUM_FEATURES

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(32 * 7 * 7, NUM_FEATURES),
        )  # fmt: skip
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.3), nn.Linear(NUM_FEATURES, num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


@dataclass(frozen=True)
class ClassifierInfo:
    """The JSON sidecar saved next to the weights."""

    arch: str
    test_accuracy: float
    n_train: int
    n_test: int
    epochs: int
    seed: int
    seconds: float
    device: str

    @staticmethod
    def sidecar(path: Path) -> Path:
        return path.with_suffix(".json")


def _to_unit(images_u8: torch.Tensor) -> torch.Tensor:
    return images_u8.float() / 127.5 - 1.0


@torch.no_grad()
def accuracy(model: nn.Module, images_u8: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    """Top-1 accuracy on uint8 images."""
    model.eval()
    correct = 0
    for start in range(0, images_u8.shape[0], batch):
        logits = model(_to_unit(images_u8[start : start + batch]))
        correct += int((logits.argmax(1) == labels[start : start + batch]).sum())
    return correct / max(1, images_u8.shape[0])


def train_classifier(
    data_dir: str | Path | None = None,
    *,
    epochs: int = 4,
    limit_train: int | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    batch_size: int = 128,
    out: Path | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
) -> ClassifierInfo:
    """Train on Fashion-MNIST train, measure test accuracy, save weights + sidecar to ``out``."""
    from cgan_tui.gan.data import load_fashion_mnist

    device = torch.device(device)
    started = time.perf_counter()
    train = load_fashion_mnist(data_dir, "train", device=device, limit=limit_train)
    test = load_fashion_mnist(data_dir, "test", device=device)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = FashionClassifier().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    steps = max(1, (len(train) + batch_size - 1) // batch_size) * epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train), generator=gen).to(device)
        for start in range(0, len(train), batch_size):
            idx = order[start : start + batch_size]
            x = _to_unit(train.images[idx])
            flip = torch.rand(x.shape[0], generator=gen).to(device) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
            loss = F.cross_entropy(model(x), train.labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        if on_epoch is not None:
            on_epoch(epoch + 1, float(loss))
    acc = accuracy(model, test.images, test.labels)
    info = ClassifierInfo(
        arch=ARCH, test_accuracy=acc, n_train=len(train), n_test=len(test), epochs=epochs, seed=seed,
        seconds=time.perf_counter() - started, device=str(device),
    )  # fmt: skip
    save(model.cpu(), info, out or weights.CLASSIFIER.install_path())
    return info


def save(model: FashionClassifier, info: ClassifierInfo, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    torch.save({"arch": ARCH, "state_dict": model.state_dict()}, tmp)
    tmp.replace(path)
    ClassifierInfo.sidecar(path).write_text(json.dumps(asdict(info), indent=2) + "\n")
    return path


def read_info(path: Path) -> ClassifierInfo | None:
    try:
        return ClassifierInfo(**json.loads(ClassifierInfo.sidecar(path).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def load(path: Path | None = None, device: str | torch.device = "cpu") -> FashionClassifier:
    """Load the saved classifier; ``WeightsUnavailable`` when missing or of another architecture."""
    path = path or weights.require("classifier")
    try:
        data = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise WeightsUnavailable(f"classifier weights {path} do not load: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict) or data.get("arch") != ARCH:
        raise WeightsUnavailable(f"classifier weights {path} are not {ARCH}; retrain: cgan-tui weights train-classifier")
    model = FashionClassifier()
    model.load_state_dict(data["state_dict"])
    return model.to(device).eval()


def validate_file(path: Path) -> None:
    load(path)


def extractor(device: str | torch.device = "cpu", *, data_dir: str | Path | None = None, allow_train: bool = False):
    """``ClassifierFeatures`` for the saved classifier, training it first when allowed and missing."""
    from cgan_tui.gan.features import ClassifierFeatures, file_tag

    st = weights.status("classifier")
    if st.path is None:
        if not allow_train:
            raise WeightsUnavailable(st.reason())
        train_classifier(data_dir, device=device)
        st = weights.status("classifier")
    assert st.path is not None
    return ClassifierFeatures(load(st.path, device), device=device, tag=file_tag(st.path))
