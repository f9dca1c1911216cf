"""Fashion-MNIST as one uint8 tensor resident on the training device, batched by index.

No per-item Python transforms: the trainer normalises and flips whole batches on the device.
Search order: an explicit folder (argument or ``$CGAN_TUI_DATA``), the Debian package folder,
torchvision's layout in our cache (downloading it there as a last resort).
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from cgan_tui.classes import CLASS_NAMES  # noqa: F401  (re-exported: gan.data.CLASS_NAMES)
from cgan_tui.errors import UserError
from cgan_tui.settings import settings

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
PREFIX = {"train": "train", "test": "t10k"}


class DataNotFound(UserError):
    """No Fashion-MNIST files anywhere we look."""


@dataclass(frozen=True)
class ImageData:
    """``images``: uint8 ``(N, 1, 28, 28)``; ``labels``: int64 ``(N,)``; both on one device."""

    images: torch.Tensor
    labels: torch.Tensor
    source: str = ""

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def device(self) -> torch.device:
        return self.images.device

    def to(self, device: torch.device | str) -> ImageData:
        return ImageData(self.images.to(device), self.labels.to(device), self.source)

    def subset(self, limit: int | None) -> ImageData:
        if limit is None or limit >= len(self):
            return self
        idx = torch.as_tensor(balanced_order(self.labels.cpu().numpy())[:limit], device=self.device)
        return ImageData(self.images[idx], self.labels[idx], self.source)


def balanced_order(labels: np.ndarray) -> np.ndarray:
    """Indices ordered round-robin over classes (first of each class, then second, ...): any prefix
    is as class-balanced as the data allows, and the order is deterministic."""
    labels = np.asarray(labels)
    rank = np.empty(len(labels), dtype=np.int64)
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        rank[where] = np.arange(len(where))
    return np.lexsort((labels, rank))


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip or plain) as a numpy array of its declared shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    magic = struct.unpack(">I", raw[:4])[0]
    if magic >> 8 != 0x08:
        raise DataNotFound(f"{path} is not a uint8 IDX file (magic {magic:#x})")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, raw[4 : 4 + 4 * ndim])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return data[: int(np.prod(dims))].reshape(dims)


def _find(folder: Path, stem: str) -> Path | None:
    for base in (folder, folder / "FashionMNIST" / "raw", folder / "raw"):
        for name in (stem + ".gz", stem):
            if (base / name).is_file():
                return base / name
    return None


def _pair(folder: Path, split: str) -> tuple[Path, Path] | None:
    prefix = PREFIX[split]
    images = _find(folder, f"{prefix}-images-idx3-ubyte")
    labels = _find(folder, f"{prefix}-labels-idx1-ubyte")
    return (images, labels) if images and labels else None


def _torchvision_download(split: str) -> tuple[Path, Path] | None:
    try:
        from torchvision.datasets import FashionMNIST

        FashionMNIST(str(settings().data_cache_dir), train=split == "train", download=True)
    except Exception:  # noqa: BLE001 - offline, proxy, disk: any failure means "not this way"
        return None
    return _pair(settings().data_cache_dir, split)


def find_files(data_dir: str | Path | None = None, split: str = "train", download: bool = True) -> tuple[Path, Path]:
    """(images, labels) file paths for ``split``; raises DataNotFound naming the three ways to get them."""
    if split not in PREFIX:
        raise UserError(f"unknown split {split!r}; valid: {', '.join(PREFIX)}")
    explicit = data_dir or settings().data_dir
    if explicit:
        found = _pair(Path(explicit).expanduser(), split)
        if found:
            return found
        raise DataNotFound(
            f"no Fashion-MNIST {split} files in {explicit}: it needs {PREFIX[split]}-images-idx3-ubyte[.gz] "
            f"and {PREFIX[split]}-labels-idx1-ubyte[.gz]"
        )
    for folder in (SYSTEM_DIR, settings().data_cache_dir):
        found = _pair(folder, split)
        if found:
            return found
    found = _torchvision_download(split) if download else None
    if found:
        return found
    raise DataNotFound(
        "Fashion-MNIST not found: install it with `apt-get install dataset-fashion-mnist`, or pass "
        "--data-dir DIR holding the 4 IDX files, or allow internet access for torchvision's download"
    )


@lru_cache(maxsize=4)
def _load_arrays(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[0] != labels.shape[0]:
        raise DataNotFound(f"{images_path} and {labels_path} do not match (shapes {images.shape}, {labels.shape})")
    return images, labels


def load_fashion_mnist(
    data_dir: str | Path | None = None,
    split: str = "train",
    device: torch.device | str = "cpu",
    limit: int | None = None,
) -> ImageData:
    """The ``split`` ("train" | "test") as uint8 on ``device``; ``limit`` keeps a class-balanced prefix."""
    images_path, labels_path = find_files(data_dir, split)
    images, labels = _load_arrays(images_path, labels_path)
    data = ImageData(
        torch.from_numpy(images.copy()).unsqueeze(1),
        torch.from_numpy(labels.astype(np.int64)),
        source=str(images_path.parent),
    ).subset(limit)
    return data.to(device)
