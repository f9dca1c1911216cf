"""A report database written through the store API like workers write it, with fixture numbers.

``build(path, settings, seeds, epochs)`` makes ``settings x seeds`` runs of seed004 (losses cycled),
each with per-epoch G/D losses and epoch times (backend ``train``), FID/IS (``inception``) and LPIPS
(``lpips``) at n=``N`` at every checkpoint epoch, a 10 x 8 sample grid per checkpoint epoch (pictures
from a seeded RNG, one class row made constant to show a collapse), and ratings of one run of the first two settings
(the worse-scoring one rated better: a disagreement).
The values are fixture values, not measurements: tests compare the report with what the database
holds, never with numbers written in a test. ``benchmarks/report_cost.py`` uses it for 24 models.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

N = 500
LOSSES = ("bce", "hinge", "lsgan", "wgan-gp")
EMBED = (10, 32)


def grid_png(rng: np.random.Generator, collapsed_class: int | None) -> bytes:
    tiles = rng.integers(0, 256, size=(10, 8, 28, 28), dtype=np.uint8)
    if collapsed_class is not None:
        tiles[collapsed_class] = tiles[collapsed_class, 0]
    grid = np.zeros((10 * 29 - 1, 8 * 29 - 1), dtype=np.uint8)
    for r in range(10):
        for c in range(8):
            grid[r * 29 : r * 29 + 28, c * 29 : c * 29 + 28] = tiles[r, c]
    buf = io.BytesIO()
    Image.fromarray(grid, mode="L").save(buf, format="PNG")
    return buf.getvalue()


def build(path: Path, registries, settings: int = 2, seeds: int = 2, epochs: int = 3,
          checkpoints: tuple[int, ...] = (2, 3), experiment: str = "report-fixture") -> list[int]:  # fmt: skip
    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store

    store = open_store(f"sqlite:///{path}")
    configs = []
    for s in range(settings):
        for seed in range(seeds):
            configs.append(resolve(RunConfig(model="seed004", loss=LOSSES[s % len(LOSSES)], embed_dim=EMBED[(s // 4) % 2],
                                             epochs=epochs, checkpoint_epochs=checkpoints, seed=seed), registries))  # fmt: skip
    ids = queries.create_runs(store, configs, status="completed", experiment=experiment)
    rng = np.random.default_rng(11)
    for k, run_id in enumerate(ids):
        setting = k // seeds
        for epoch in range(1, epochs + 1):
            queries.upsert_metrics(store, run_id, epoch, {
                "g_loss": 2.0 - 0.2 * epoch + 0.05 * k, "d_loss": 0.6 + 0.03 * epoch, "epoch_seconds": 10.0 + k,
            }, backend="train")  # fmt: skip
        for epoch in checkpoints:
            fid = 40.0 + 15.0 * setting - 3.0 * epoch + float(rng.normal(0, 1.5))
            queries.upsert_metrics(store, run_id, epoch, {"fid": fid, "is": 3.0 + 0.2 * epoch - 0.1 * setting},
                                   backend="inception", n_samples=N)  # fmt: skip
            queries.upsert_metrics(store, run_id, epoch, {"lpips": 0.35 + 0.02 * setting}, backend="lpips", n_samples=N)
            queries.save_grid(store, run_id, epoch, grid_png(rng, 3 if setting == 1 else None), rows=10, cols=8)
        queries.update_run(store, run_id, current_epoch=epochs, device="cpu", code_version="0.1.0+fixture",
                             precision="fp32 (auto: fixture CPU without AVX512_BF16/AMX_BF16)")
    rated = [ids[0], ids[seeds]] if settings > 1 else ids[:1]  # the worse setting's run looks better
    for k, run_id in enumerate(rated):
        for criterion in ("sharpness", "structure", "detail", "class_fit"):
            queries.add_rating(store, run_id, checkpoints[-1], criterion, 2 + 2 * k)
    store.dispose()
    return ids
