"""The GAN's training numbers for fixed seeds are pinned: a refactor of the loop must not move one bit.

``golden_gan.json`` holds, for a few small CPU configs, every progress report's and every epoch's
``g_loss``/``d_loss`` (exact float repr), the images counted, the fixed-noise grid, and a SHA-256 of the final checkpoint's
weights, optimiser states and RNG streams. It was recorded before the GAN step became the built-in
``FamilyTrainer`` and must hold after it. CPU kernels differ between instruction sets and torch
versions, so on another machine (or torch) the test says so and skips; rerecord there with
``python -m tests.engine.test_gan_golden`` from a commit you trust.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from cgan_tui.config import RunConfig, resolve
from cgan_tui.gan.training import TrainCallbacks, load_checkpoint, train

GOLDEN = Path(__file__).with_name("golden_gan.json")

CONFIGS: dict[str, dict[str, Any]] = {
    "seed004-lsgan-one-hot": dict(model="seed004", loss="lsgan", conditioning="one-hot", limit_train=128,
                                  batch_size=32),
    "seed000-wgan-gp-embedding-ncritic2": dict(model="seed000", loss="wgan-gp", conditioning="embedding",
                                               limit_train=64, batch_size=16, n_critic=2),
    "seed004-bce-one-hot-bf16": dict(model="seed004", loss="bce", conditioning="one-hot", precision="bf16",
                                     limit_train=64, batch_size=32),
}  # fmt: skip


def digest(value: Any, h: Any = None) -> str:
    """A stable SHA-256 of nested dicts/lists of tensors, arrays and plain values (order-independent keys)."""
    top = h is None
    h = h or hashlib.sha256()
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
    elif isinstance(value, np.ndarray):
        h.update(f"A{value.dtype}{value.shape}".encode() + np.ascontiguousarray(value).tobytes())
    elif isinstance(value, dict):
        for key in sorted(value, key=repr):
            h.update(f"K{key!r}".encode())
            digest(value[key], h)
    elif isinstance(value, (list, tuple)):
        h.update(f"L{len(value)}".encode())
        for item in value:
            digest(item, h)
    else:
        h.update(f"V{value!r}".encode())
    return h.hexdigest() if top else ""


def machine(fmnist_dir: Path) -> dict[str, str]:
    """What the numbers depend on besides the code: torch, the CPU's kernels, the fixture's images
    (real Fashion-MNIST where the Debian data set is installed, synthetic otherwise)."""
    import gzip

    images = gzip.decompress((fmnist_dir / "train-images-idx3-ubyte.gz").read_bytes())
    return {"torch": torch.__version__, "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "data": hashlib.sha256(images).hexdigest()[:16]}  # fmt: skip


def record(name: str, fmnist_dir: Path, registries, checkpoint_dir: Path) -> dict[str, Any]:
    """Train ``CONFIGS[name]`` for 2 epochs on CPU and return its numbers."""
    base = dict(epochs=2, checkpoint_epochs=(2,), device="cpu", data_dir=str(fmnist_dir), grid_columns=2, seed=3)
    cfg = resolve(RunConfig(**{**base, **CONFIGS[name]}), registries)
    epochs, progress = [], []
    cb = TrainCallbacks(on_epoch_end=epochs.append, on_progress=progress.append, progress_every=1)
    previous = torch.get_num_threads()
    torch.set_num_threads(1)  # the reduction order (so every bit) must not depend on the machine's cores
    try:
        result = train(cfg, registries, checkpoint_dir, cb)
    finally:
        torch.set_num_threads(previous)
    ckpt = load_checkpoint(result.last_checkpoint)
    return {
        "epochs": [{"g_loss": repr(e.g_loss), "d_loss": repr(e.d_loss), "images_seen": e.images_seen,
                    "grid": hashlib.sha256(e.grid_png).hexdigest()} for e in epochs],  # fmt: skip
        "steps": [[p.epoch, p.step, repr(p.g_loss), repr(p.d_loss)] for p in progress],
        "checkpoint_keys": sorted(ckpt),
        "format": ckpt["format"],
        "rng_keys": sorted(ckpt["rng"]),
        "hashes": {key: digest(ckpt[key]) for key in ("G", "D", "opt_g", "opt_d", "rng")},
    }


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_gan_training_numbers_match_the_golden_record(name, fmnist_dir, registries, tmp_path):
    golden = json.loads(GOLDEN.read_text())
    here = machine(fmnist_dir)
    if golden["machine"] != here:
        pytest.skip(f"golden record made on {golden['machine']}, this is {here}: rerecord to compare here")
    assert record(name, fmnist_dir, registries, tmp_path) == golden["runs"][name]


if __name__ == "__main__":  # rerecord: python -m tests.engine.test_gan_golden
    import tempfile

    from cgan_tui.plugins import load_plugins
    from tests.conftest import make_fmnist_dir

    with tempfile.TemporaryDirectory() as tmp:
        data = make_fmnist_dir(Path(tmp) / "fmnist")
        regs = load_plugins()
        runs = {name: record(name, data, regs, Path(tmp) / name) for name in sorted(CONFIGS)}
        here = machine(data)
    GOLDEN.write_text(json.dumps({"machine": here, "runs": runs}, indent=1) + "\n")
    sys.stdout.write(f"wrote {GOLDEN}\n")
