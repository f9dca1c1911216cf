"""Images/s of our training step vs the seed notebook's loop, same model and batch size, one run.

Seed-style: a torchvision-FashionMNIST-like Dataset of PIL images with RandomHorizontalFlip,
ToTensor and Normalize, a shuffling DataLoader (num_workers as the notebook: 2), per-batch
``.to(device)``, ``.item()`` every step -- the notebook's loop written out. Ours: ``train()`` on the
uint8 tensor resident on the device: the default ``auto`` (what it resolved to, and why, is printed),
fp32 and bf16. Steady state only: the first ``--warmup`` steps
of each are not timed.

    .venv/bin/python benchmarks/train_throughput.py [--model seed004] [--steps 60] [--device auto]
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from cgan_tui.config import RunConfig, resolve
from cgan_tui.errors import UserError
from cgan_tui.gan.data import ImageData, load_fashion_mnist
from cgan_tui.gan.device import pick_device
from cgan_tui.gan.precision import choose_precision, native_bf16
from cgan_tui.gan.training import TrainCallbacks, train

sys.path.insert(0, str(Path(__file__).resolve().parent))
import standalone


class PilFashionMNIST(Dataset):
    """What ``torchvision.datasets.FashionMNIST.__getitem__`` does: uint8 -> PIL image -> transform."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform) -> None:
        self.images, self.labels, self.transform = images, labels, transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int):
        return self.transform(Image.fromarray(self.images[i], mode="L")), int(self.labels[i])


def seed_style(cfg: RunConfig, registries, data: ImageData, steps: int, warmup: int, workers: int, device) -> float:
    """The notebook's loop (``criterion(D(x), ones)``...) around the same G and D; returns images/s."""
    torch.manual_seed(cfg.seed)
    family = registries.models.get(cfg.model)
    G, D = family.build(cfg, registries.conditionings.get(cfg.conditioning), registries.conditionings.get(cfg.d_conditioning))
    G, D = G.to(device), D.to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=cfg.lr_g, betas=cfg.betas)
    opt_d = torch.optim.Adam(D.parameters(), lr=cfg.lr_d, betas=cfg.betas)
    tf = transforms.Compose(
        [transforms.RandomHorizontalFlip(), transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))]
    )
    ds = PilFashionMNIST(data.images[:, 0].cpu().numpy(), data.labels.cpu().numpy(), tf)
    loader = DataLoader(ds, batch_size=cfg.batch_size, shuffle=True, num_workers=workers,
                        pin_memory=device.type == "cuda", drop_last=True)  # fmt: skip
    criterion = torch.nn.MSELoss()
    done, images, start = 0, 0, 0.0
    while done < steps + warmup:
        for image, label in loader:
            if done == warmup:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                start, images = time.perf_counter(), 0
            image, label = image.to(device), label.to(device)
            bs = image.size(0)
            real_t, fake_t = torch.ones(bs, 1).to(device), torch.zeros(bs, 1).to(device)
            noise = torch.randn(bs, cfg.latent_dim).to(device)
            D.zero_grad()
            d_real = torch.sigmoid(D(image, label).score).view(-1, 1)
            fake = G(noise, label)
            d_fake = torch.sigmoid(D(fake.detach(), label).score).view(-1, 1)
            d_loss = criterion(d_real, real_t) + criterion(d_fake, fake_t)
            d_loss.backward()
            opt_d.step()
            G.zero_grad()
            g_loss = criterion(torch.sigmoid(D(fake, label).score).view(-1, 1), real_t)
            g_loss.backward()
            opt_g.step()
            _ = g_loss.item() + d_loss.item()
            images += bs
            done += 1
            if done >= steps + warmup:
                break
    return images / (time.perf_counter() - start)


def ours(cfg: RunConfig, registries, data: ImageData, steps: int, warmup: int, precision: str) -> float:
    """``train()`` for one epoch of exactly warmup+steps batches; rate from progress timestamps."""
    stamps: list[tuple[float, int]] = []
    cb = TrainCallbacks(on_progress=lambda p: stamps.append((time.perf_counter(), p.step)), progress_every=warmup)
    run_cfg = RunConfig.from_dict({**cfg.to_dict(), "precision": precision, "epochs": 1, "checkpoint_epochs": [1]})
    subset = ImageData(data.images[: (steps + warmup) * cfg.batch_size], data.labels[: (steps + warmup) * cfg.batch_size])
    with tempfile.TemporaryDirectory() as tmp:
        train(run_cfg, registries, Path(tmp), cb, data=subset)
    (t0, s0), (t1, s1) = stamps[0], stamps[-1]
    return (s1 - s0) * cfg.batch_size / (t1 - t0)


def load_data(data_dir: str | None, need: int) -> tuple[ImageData, str]:
    try:
        data = load_fashion_mnist(data_dir, "train", "cpu")
        source = data.source
    except UserError:
        rng = np.random.default_rng(0)
        data = ImageData(torch.from_numpy(rng.integers(0, 256, (need, 1, 28, 28), dtype=np.uint8)),
                         torch.from_numpy(rng.integers(0, 10, need)), "synthetic")  # fmt: skip
        source = "synthetic noise (Fashion-MNIST not found)"
    return data, source


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="seed004")
    parser.add_argument("--conditioning", default="one-hot")
    parser.add_argument("--batch-size", type=int, default=None, help="default: the model family's")
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2, help="seed loop DataLoader workers (notebook: 2)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--data-dir", "--data", default=None)
    parser.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                        help="a line with bf16 autocast; auto: only where bf16 is native (CUDA with bf16, CPUs with "
                             "AVX512_BF16/AMX; an AVX2-only CPU emulates bf16 10-15x slower than fp32)")  # fmt: skip
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    parser.add_argument("--repeats", type=int, default=1, help="interleaved rounds; the best of each is shown")
    args = parser.parse_args(argv)

    if args.threads:
        torch.set_num_threads(args.threads)
    registries = standalone.registries()
    cfg = resolve(RunConfig(model=args.model, loss="lsgan-sigmoid", conditioning=args.conditioning,
                            batch_size=args.batch_size, device=args.device), registries)  # fmt: skip
    steps = max(args.warmup, math.ceil(args.steps / args.warmup) * args.warmup)  # progress ticks align
    device = pick_device(args.device)
    data, source = load_data(args.data_dir, (steps + args.warmup) * cfg.batch_size)
    print(f"model {cfg.model} ({cfg.conditioning}), loss lsgan-sigmoid, batch {cfg.batch_size}, device {device}, "
          f"torch threads {torch.get_num_threads()}, {steps} timed steps after {args.warmup} warm-up; data: {source}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip

    auto = choose_precision("auto", device, registries.models.get(cfg.model))
    print(f"precision auto (the default) resolves to {auto}")
    runs = [("seed-style loop (DataLoader, PIL transforms, fp32)",
             lambda: seed_style(cfg, registries, data, steps, args.warmup, args.workers, device)),
            (f"ours: train() auto (= {auto.precision}, the default)",
             lambda: ours(cfg, registries, data, steps, args.warmup, "auto")),
            ("ours: train() fp32", lambda: ours(cfg, registries, data, steps, args.warmup, "fp32"))]  # fmt: skip
    if args.bf16 == "on" or (args.bf16 == "auto" and native_bf16(device)[0]):
        runs.append(("ours: train() bf16 autocast", lambda: ours(cfg, registries, data, steps, args.warmup, "bf16")))
    width = max(len(name) for name, _ in runs)
    best: dict[str, float] = {}
    for round_ in range(args.repeats):
        for name, run in runs:
            rate = run()
            best[name] = max(best.get(name, 0.0), rate)
            if args.repeats > 1:
                print(f"  round {round_ + 1}: {name:<{width}}  {rate:9.1f} images/s", flush=True)
    base = best[runs[0][0]]
    for name, _ in runs:
        print(f"{name:<{width}}  {best[name]:9.1f} images/s  x{best[name] / base:.2f}", flush=True)

if __name__ == "__main__":
    main()
