"""Engine fixtures: loaded plugin registries and a tiny resolved config."""

from __future__ import annotations

from pathlib import Path

import pytest

from cgan_tui.config import RunConfig, resolve
from cgan_tui.plugins import load_plugins


@pytest.fixture(scope="session")
def registries():
    return load_plugins()


@pytest.fixture
def tiny_config(fmnist_dir: Path, registries):
    """seed004 + bce on 64 images, batch 32, 1 epoch, CPU: a couple of seconds at most."""

    def make(**overrides) -> RunConfig:
        base = dict(
            model="seed004", loss="bce", conditioning="one-hot", epochs=1, checkpoint_epochs=(1,),
            limit_train=64, batch_size=32, device="cpu", data_dir=str(fmnist_dir), grid_columns=4,
        )  # fmt: skip
        base.update(overrides)
        return resolve(RunConfig(**base), registries)

    return make


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models on a shared 2-core machine: one intra-op thread avoids oversubscription stalls
    when other test processes run at the same time (restored afterwards for other test folders)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
