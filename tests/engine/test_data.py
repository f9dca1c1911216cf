"""Fashion-MNIST loading: IDX files (gzip or plain), class-balanced limits, the not-found message."""

from __future__ import annotations

import gzip
import shutil

import pytest
import torch

from cgan_tui.errors import UserError
from cgan_tui.gan import data as data_mod
from cgan_tui.gan.data import DataNotFound, load_fashion_mnist


def test_loads_gzip_idx(fmnist_dir):
    train = load_fashion_mnist(fmnist_dir, "train")
    test = load_fashion_mnist(fmnist_dir, "test")
    assert train.images.shape == (640, 1, 28, 28) and train.images.dtype == torch.uint8
    assert train.labels.shape == (640,) and train.labels.dtype == torch.int64
    assert len(test) == 200 and int(train.labels.max()) <= 9
    assert int(train.images.max()) > 100  # real pixel values, not normalised


def test_limit_is_class_balanced_and_deterministic(fmnist_dir):
    a = load_fashion_mnist(fmnist_dir, limit=100)
    b = load_fashion_mnist(fmnist_dir, limit=100)
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    counts = torch.bincount(a.labels, minlength=10)
    assert int(counts.max() - counts.min()) <= 1


def test_accepts_uncompressed_and_torchvision_layout(fmnist_dir, tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for path in fmnist_dir.glob("*.gz"):
        with gzip.open(path, "rb") as src, open(raw / path.stem, "wb") as dst:
            shutil.copyfileobj(src, dst)
    plain = load_fashion_mnist(tmp_path, "test")
    assert torch.equal(plain.images, load_fashion_mnist(fmnist_dir, "test").images)


def test_env_var_is_used(fmnist_dir, monkeypatch):
    monkeypatch.setenv("CGAN_TUI_DATA", str(fmnist_dir))
    assert len(load_fashion_mnist(None, "test")) == 200


def test_explicit_folder_without_files(tmp_path):
    with pytest.raises(DataNotFound, match="t10k-images-idx3-ubyte"):
        load_fashion_mnist(tmp_path, "test")


def test_nothing_anywhere_names_the_three_ways(tmp_path, monkeypatch):
    monkeypatch.delenv("CGAN_TUI_DATA", raising=False)
    monkeypatch.setattr(data_mod, "SYSTEM_DIR", tmp_path / "none")
    monkeypatch.setenv("CGAN_TUI_CACHE", str(tmp_path / "cache"))  # settings().data_cache_dir: an empty cache
    monkeypatch.setattr(data_mod, "_torchvision_download", lambda split: None)
    with pytest.raises(DataNotFound) as info:
        load_fashion_mnist(None, "train")
    message = str(info.value)
    assert isinstance(info.value, UserError) and "\n" not in message
    for way in ("apt-get install dataset-fashion-mnist", "--data-dir", "internet"):
        assert way in message
