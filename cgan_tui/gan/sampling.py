"""Fixed-noise sample grids and class-balanced generation.

Noise comes from its own ``torch.Generator`` seeded independently of training, so a run's grids
show the same latent points every epoch and sampling never disturbs the training RNG stream.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

from cgan_tui.classes import NUM_CLASSES

GRID_SEED = 20240607


def fixed_noise(latent_dim: int, rows: int = NUM_CLASSES, cols: int = 8, seed: int = GRID_SEED) -> tuple[torch.Tensor, torch.Tensor]:
    """``(z (rows*cols, latent_dim), labels)`` on CPU; row r holds class r."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(rows * cols, latent_dim, generator=gen)
    labels = torch.arange(rows).repeat_interleave(cols)
    return z, labels


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode + no_grad for the block, restoring the previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats -> uint8 0..255 (same rounding as ToTensor/Normalize inverted)."""
    return ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def sample_grid(
    generator: nn.Module,
    latent_dim: int,
    rows: int = NUM_CLASSES,
    cols: int = 8,
    device: torch.device | str = "cpu",
    seed: int = GRID_SEED,
) -> np.ndarray:
    """uint8 ``(rows*28 + rows-1, cols*28 + cols-1)``: one row per class, 1 px black gaps."""
    z, labels = fixed_noise(latent_dim, rows, cols, seed)
    with eval_mode(generator):
        images = to_uint8(generator(z.to(device), labels.to(device))).cpu().numpy()[:, 0]
    return tile_rows(images, cols)


def png_bytes(array: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array, mode="L").save(buf, format="PNG")
    return buf.getvalue()


def grid_png(generator: nn.Module, latent_dim: int, rows: int = NUM_CLASSES, cols: int = 8,
             device: torch.device | str = "cpu", seed: int = GRID_SEED) -> bytes:  # fmt: skip
    """``sample_grid`` encoded as a grayscale PNG."""
    return png_bytes(sample_grid(generator, latent_dim, rows, cols, device, seed))


def generate(
    generator: nn.Module,
    n: int,
    latent_dim: int,
    device: torch.device | str = "cpu",
    batch: int = 500,
    seed: int = 0,
    as_uint8: bool = True,
    num_classes: int = NUM_CLASSES,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` class-balanced samples (labels ``i % num_classes``) -> ``(images (n,1,28,28), labels (n,))`` on ``device``.

    uint8 0..255 when ``as_uint8`` else float in [-1, 1]. Noise from its own generator seeded with
    ``seed``: the same (G, n, seed) gives the same images regardless of batch size. G runs in eval mode.
    """
    gen = torch.Generator().manual_seed(seed)
    z_all = torch.randn(n, latent_dim, generator=gen)
    labels = torch.arange(n) % num_classes
    out = []
    with eval_mode(generator):
        for start in range(0, n, batch):
            z = z_all[start : start + batch].to(device)
            imgs = generator(z, labels[start : start + batch].to(device))
            out.append(to_uint8(imgs) if as_uint8 else imgs.float())
    return torch.cat(out), labels.to(device)


def tile_rows(images: np.ndarray, cols: int) -> np.ndarray:
    """uint8 ``(k*cols, h, w)`` -> one picture of ``k`` rows x ``cols`` tiles with 1 px black gaps."""
    rows = len(images) // cols
    h, w = images.shape[1:]
    grid = np.zeros((rows * (h + 1) - 1, cols * (w + 1) - 1), dtype=np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        grid[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = img
    return grid


def class_samples(
    generator: nn.Module,
    latent_dim: int,
    classes: list[int],
    n: int,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """A grid with one row per class in ``classes``, ``n`` fresh samples each (noise seeded by ``seed``)."""
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(len(classes) * n, latent_dim, generator=gen)
    labels = torch.as_tensor(classes).repeat_interleave(n)
    with eval_mode(generator):
        images = to_uint8(generator(z.to(device), labels.to(device))).cpu().numpy()[:, 0]
    return tile_rows(images, n)


def latent_walk(
    generator: nn.Module,
    latent_dim: int,
    classes: list[int],
    steps: int,
    seed: int = 0,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """One row per class: ``steps`` images on the straight line between two noise vectors of that class
    (both ends included), so a smooth row means the generator's latent space is smooth there."""
    gen = torch.Generator().manual_seed(seed)
    ends = torch.randn(len(classes), 2, latent_dim, generator=gen)
    t = torch.linspace(0.0, 1.0, steps).view(1, steps, 1)
    z = (ends[:, :1] * (1 - t) + ends[:, 1:] * t).reshape(-1, latent_dim)
    labels = torch.as_tensor(classes).repeat_interleave(steps)
    with eval_mode(generator):
        images = to_uint8(generator(z.to(device), labels.to(device))).cpu().numpy()[:, 0]
    return tile_rows(images, steps)
