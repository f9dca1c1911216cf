"""The in-project Fashion-MNIST classifier behind the ``classifier`` metric backend.

Seed 000 noted that Inception (ImageNet) does not know fashion; a CNN trained on Fashion-MNIST gives
domain FID (its 128-d penultimate features), domain IS, class consistency (does a sample of class c
classify as c) and a domain LPIPS (its conv layers). The network is a fixed, versioned artefact
shipped inside the package (``cgan_tui/gan/assets``, fp16 weights + a JSON sidecar with the training
command, seed, epochs, test accuracy and SHA-256), so FID@classifier from two machines is comparable
and nothing is trained on first use. ``cgan-tui weights train-classifier`` reproduces it; the short
SHA-256 of the file in use is stored with every classifier-backend value (``backbone_hash``). A file
of another architecture version is refused, not misread.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from cgan_tui.atomic import atomic_write_text, atomic_writer
from cgan_tui.gan import weights
from cgan_tui.gan.optim import AdamW
from cgan_tui.gan.weights import WeightsUnavailable

ARCH = "fmnist-cnn3-v2"
NUM_FEATURES = 128
TRAIN_COMMAND = "cgan-tui weights train-classifier --epochs {epochs} --seed {seed}"
"""Recorded in the sidecar: the command that reproduces the file."""
DEFAULT_EPOCHS = 7
SHIFT = 1
"""Training augmentation: random translation by up to this many pixels (plus horizontal flips)."""


def _block(cin: int, cout: int) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class FashionClassifier(nn.Module):
    """[conv32 pool] [conv64 pool] [conv128] (3x3, BN, ReLU) -> 128-d features -> 10 logits.

    Input ``(N, 1, 28, 28)`` in [-1, 1]. ``conv_layers`` returns the three ReLU outputs (28x28x32,
    14x14x64, 7x7x128) that the classifier LPIPS compares. ~8 M multiply-adds per image, so it
    trains in minutes on one CPU core.
    """

    num_features = NUM_FEATURES
    LPIPS_LAYERS = (2, 6, 10)
    """Indices in ``body`` of the ReLUs whose activations LPIPS@classifier compares."""

    def __init__(self, num_classes: int = 10) -> None:
        super().__init__()
        self.body = nn.Sequential(
            *_block(1, 32), nn.MaxPool2d(2),
            *_block(32, 64), nn.MaxPool2d(2),
            *_block(64, 128),
            nn.Flatten(), nn.Linear(128 * 7 * 7, NUM_FEATURES),
        )  # fmt: skip
        self.head = nn.Sequential(nn.ReLU(), nn.Dropout(0.3), nn.Linear(NUM_FEATURES, num_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    def conv_layers(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Activations of the LPIPS layers (stops after the last one)."""
        out = []
        last = self.LPIPS_LAYERS[-1]
        for i, layer in enumerate(self.body):
            x = layer(x)
            if i in self.LPIPS_LAYERS:
                out.append(x)
            if i == last:
                break
        return out


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
    command: str = ""
    sha256: str = ""
    torch_version: str = ""
    threads: int = 0
    cpu: str = ""
    extra: dict = field(default_factory=dict)

    @staticmethod
    def sidecar(path: Path) -> Path:
        return path.with_suffix(".json")


def _to_unit(images_u8: torch.Tensor) -> torch.Tensor:
    return images_u8.float() / 127.5 - 1.0


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@torch.no_grad()
def accuracy(model: nn.Module, images_u8: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    """Top-1 accuracy on uint8 images."""
    model.eval()
    correct = 0
    for start in range(0, images_u8.shape[0], batch):
        logits = model(_to_unit(images_u8[start : start + batch]))
        correct += int((logits.argmax(1) == labels[start : start + batch]).sum())
    return correct / max(1, images_u8.shape[0])


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random horizontal flip and random translation by up to ``SHIFT`` pixels (zero-padded with -1)."""
    n = x.shape[0]
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip.to(x.device)[:, None, None, None], x.flip(-1), x)
    padded = F.pad(x, (SHIFT, SHIFT, SHIFT, SHIFT), value=-1.0)
    dy = torch.randint(0, 2 * SHIFT + 1, (n,), generator=gen).to(x.device)
    dx = torch.randint(0, 2 * SHIFT + 1, (n,), generator=gen).to(x.device)
    ar = torch.arange(x.shape[-1], device=x.device)
    rows = (ar[None, :] + dy[:, None])[:, :, None]
    cols = (ar[None, :] + dx[:, None])[:, None, :]
    return padded[torch.arange(n, device=x.device)[:, None, None], 0, rows, cols].unsqueeze(1)


def train_classifier(
    data_dir: str | Path | None = None,
    *,
    epochs: int = DEFAULT_EPOCHS,
    limit_train: int | None = None,
    seed: int = 0,
    device: str | torch.device = "cpu",
    batch_size: int = 128,
    threads: int | None = 1,
    out: Path | None = None,
    on_epoch: Callable[[int, float], None] | None = None,
) -> ClassifierInfo:
    """Train on Fashion-MNIST train, measure test accuracy, save fp16 weights + sidecar to ``out``.

    Deterministic for a given seed, device and thread count (fixed generator for order and
    augmentation; one CPU thread by default, which is also the fastest on 2 shared cores); the
    default output is the user weights folder, which takes precedence over the shipped file.
    """
    previous_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        return _train(data_dir, epochs, limit_train, seed, torch.device(device), batch_size, out, on_epoch)
    finally:
        torch.set_num_threads(previous_threads)


def _train(data_dir, epochs, limit_train, seed, device, batch_size, out, on_epoch) -> ClassifierInfo:
    from cgan_tui.gan.data import load_fashion_mnist

    started = time.perf_counter()
    train = load_fashion_mnist(data_dir, "train", device=device, limit=limit_train)
    test = load_fashion_mnist(data_dir, "test", device=device)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model = FashionClassifier().to(device)
    opt = AdamW(model.parameters(), lr=2e-3, weight_decay=5e-4)
    steps = max(1, (len(train) + batch_size - 1) // batch_size) * epochs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=4e-3, total_steps=steps)
    for epoch in range(epochs):
        model.train()
        order = torch.randperm(len(train), generator=gen).to(device)
        for start in range(0, len(train), batch_size):
            idx = order[start : start + batch_size]
            x = augment(_to_unit(train.images[idx]), gen)
            loss = F.cross_entropy(model(x), train.labels[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
        if on_epoch is not None:
            on_epoch(epoch + 1, float(loss.detach()))
    model = model.cpu()
    acc = accuracy(_rounded(model), test.images.cpu(), test.labels.cpu())  # accuracy of what is saved (fp16)
    info = ClassifierInfo(
        arch=ARCH, test_accuracy=acc, n_train=len(train), n_test=len(test), epochs=epochs, seed=seed,
        seconds=time.perf_counter() - started, device=str(device),
        command=TRAIN_COMMAND.format(epochs=epochs, seed=seed) + (f" --limit-train {limit_train}" if limit_train else ""),
        torch_version=torch.__version__, threads=torch.get_num_threads(), cpu=_cpu_name(),
    )  # fmt: skip
    path = save(model, info, out or weights.CLASSIFIER.install_path())
    return read_info(path) or info


def _rounded(model: FashionClassifier) -> FashionClassifier:
    """A copy whose float weights went through fp16, as the saved file holds them."""
    copy = FashionClassifier()
    copy.load_state_dict({k: _from_half(_to_half(v)) for k, v in model.state_dict().items()})
    return copy.eval()


def _to_half(t: torch.Tensor) -> torch.Tensor:
    return t.half() if t.is_floating_point() else t


def _from_half(t: torch.Tensor) -> torch.Tensor:
    return t.float() if t.is_floating_point() else t


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip() + f" ({torch.backends.cpu.get_cpu_capability()})"
    except OSError:
        pass
    return torch.backends.cpu.get_cpu_capability()


def save(model: FashionClassifier, info: ClassifierInfo, path: Path) -> Path:
    """Write fp16 weights atomically and the sidecar (with the file's SHA-256)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: _to_half(v.detach().cpu()) for k, v in model.state_dict().items()}
    with atomic_writer(path) as fh:
        torch.save({"arch": ARCH, "state_dict": state}, fh)
    info = ClassifierInfo(**{**asdict(info), "sha256": file_sha256(path)})
    atomic_write_text(ClassifierInfo.sidecar(path), json.dumps(asdict(info), indent=2) + "\n")
    return path


def read_info(path: Path) -> ClassifierInfo | None:
    try:
        return ClassifierInfo(**json.loads(ClassifierInfo.sidecar(path).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def load(path: Path | None = None, device: str | torch.device = "cpu") -> FashionClassifier:
    """Load the classifier; ``WeightsUnavailable`` when missing or of another architecture."""
    path = path or weights.require("classifier")
    try:
        data = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001
        raise WeightsUnavailable(f"classifier weights {path} do not load: {type(exc).__name__}: {exc}") from None
    if not isinstance(data, dict) or data.get("arch") != ARCH:
        found = data.get("arch") if isinstance(data, dict) else type(data).__name__
        raise WeightsUnavailable(
            f"classifier weights {path} are {found}, not {ARCH}; remove the file to use the shipped one, "
            "or retrain: cgan-tui weights train-classifier"
        )
    model = FashionClassifier()
    model.load_state_dict({k: _from_half(v) for k, v in data["state_dict"].items()})
    return model.to(device).eval()


def validate_file(path: Path) -> None:
    load(path)


def extractor(device: str | torch.device = "cpu"):
    """``ClassifierFeatures`` for the classifier in use (a user-trained file, else the shipped one)."""
    from cgan_tui.gan.backbones import short_sha256
    from cgan_tui.gan.features import ClassifierFeatures

    path = weights.require("classifier")
    return ClassifierFeatures(load(path, device), device=device, tag=short_sha256(path))
