"""Does bf16 autocast hurt the models? fp32 vs bf16, same seeds and epochs, FID@classifier at one n.

Trains the seed004 family (one-hot, lsgan-sigmoid: seed 004's grid) and the seed000 family
(embedding 10, bce: one cell of seed 000's grid), ``--seeds`` seeds each, in fp32 and in bf16, then
scores every final generator with FID@classifier on the same ``--n`` class-balanced samples (fixed
evaluation noise) against the same real test images. The table compares the bf16 - fp32 difference
of the means with the seed-to-seed spread inside each precision: a difference within that spread is
noise. Runs without SQLModel/Textual (GPU machines): only ``cgan_tui.gan`` and the plugin registries.

    PYTHONPATH=. python benchmarks/precision_quality.py --device cuda --data DIR --epochs 5 --n 10000
    PYTHONPATH=. python benchmarks/precision_quality.py --device cpu --precisions fp32 --epochs 1 \
        --train-images 256 --n 100          # a tiny CPU check (bf16 is emulated, 10-15x slow, on AVX2)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import standalone

FAMILIES = {
    "seed004": dict(model="seed004", loss="lsgan-sigmoid", conditioning="one-hot", embed_dim=10),
    "seed000": dict(model="seed000", loss="bce", conditioning="embedding", embed_dim=10),
}


@dataclass
class Trained:
    family: str
    precision: str
    seed: int
    fid: float
    train_s: float
    images_per_s: float


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--data", default=None, metavar="DIR", help="Fashion-MNIST gzip IDX folder (else $CGAN_TUI_DATA, ...)")
    p.add_argument("--epochs", type=int, default=5, help="epochs per run (same for every run)")
    p.add_argument("--n", type=int, default=10_000, help="samples per FID@classifier (same for every run)")
    p.add_argument("--train-images", type=int, default=None, help="first N class-balanced training images (default all)")
    p.add_argument("--seeds", default="0,1", help="comma-separated seeds")
    p.add_argument("--families", default="seed004,seed000", help=f"comma-separated, from {', '.join(FAMILIES)}")
    p.add_argument("--precisions", default="fp32,bf16", help="comma-separated: fp32, bf16")
    p.add_argument("--json", default=None, metavar="FILE", help="also write every run's figures here")
    args = p.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    args.families = [f.strip() for f in args.families.split(",") if f.strip()]
    args.precisions = [x.strip() for x in args.precisions.split(",") if x.strip()]
    bad = [f for f in args.families if f not in FAMILIES] + [x for x in args.precisions if x not in ("fp32", "bf16")]
    if bad:
        p.error(f"unknown family/precision {', '.join(bad)}; families: {', '.join(FAMILIES)}; precisions: fp32, bf16")
    if args.epochs < 1 or args.n < 10:
        p.error("--epochs must be >= 1 and --n >= 10")
    return args


def main(argv: list[str] | None = None) -> int:
    standalone.check_imports()
    args = parse(argv)
    standalone.set_data_dir(args.data)
    import torch

    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.gan.data import load_fashion_mnist
    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.metrics.context import MemoryFeatureCache, MetricContext
    from cgan_tui.gan.metrics.fid import fid_classifier
    from cgan_tui.gan.training import TrainCallbacks, load_generator, train

    registries = standalone.registries()
    device = pick_device(args.device)
    train_data = load_fashion_mnist(None, "train", device, limit=args.train_images)
    real = load_fashion_mnist(None, "test", "cpu", limit=args.n)
    cache = MemoryFeatureCache()  # real statistics: embedded once, shared by every run
    print(f"precision quality: {standalone.describe_machine(device)}; device {device}; {len(train_data)} training "
          f"images; {args.epochs} epoch(s); FID@classifier at n={args.n} vs {len(real)} real test images; "
          f"seeds {args.seeds}", flush=True)  # fmt: skip

    runs: list[Trained] = []
    for family in args.families:
        for precision in args.precisions:
            for seed in args.seeds:
                cfg = resolve(RunConfig(**FAMILIES[family], epochs=args.epochs, checkpoint_epochs=(args.epochs,),
                                        seed=seed, device=str(device), precision=precision), registries)  # fmt: skip
                rates: list[float] = []
                with tempfile.TemporaryDirectory() as tmp:
                    start = time.perf_counter()
                    callbacks = TrainCallbacks(on_epoch_end=lambda e, rates=rates: rates.append(e.images_per_s))
                    result = train(cfg, registries, Path(tmp), callbacks, data=train_data)
                    train_s = time.perf_counter() - start
                    generator, _ = load_generator(result.last_checkpoint, registries, device)
                ctx = MetricContext(generator, latent_dim=int(cfg.latent_dim), n=args.n, device=device, real=real,
                                    feature_cache=cache)  # fmt: skip
                fid = fid_classifier(ctx)["fid"]
                runs.append(Trained(family, result.precision, seed, fid, train_s, statistics.mean(rates)))
                print(f"  {family} {result.precision} seed {seed}: FID@classifier {fid:.3f}  ({train_s:.1f} s training, "
                      f"{statistics.mean(rates):.0f} images/s)", flush=True)  # fmt: skip
                del generator
                if device.type == "cuda":
                    torch.cuda.empty_cache()

    print()
    print(table(runs, args.families, args.precisions))
    if args.json:
        Path(args.json).write_text(json.dumps({"args": {k: v for k, v in vars(args).items() if k != "json"},
                                               "machine": standalone.describe_machine(device),
                                               "runs": [r.__dict__ for r in runs]}, indent=2))  # fmt: skip
    return 0


def spread(values: list[float]) -> float:
    """Seed-to-seed spread: max - min of the per-seed values (0 with one seed)."""
    return max(values) - min(values) if values else 0.0


def table(runs: list[Trained], families: list[str], precisions: list[str]) -> str:
    """One row per family: per-precision mean and per-seed values, the difference and the verdict."""
    head = f"{'family':<8} " + " ".join(f"{p + ' mean':>10} {p + ' per seed':<22}" for p in precisions)
    if len(precisions) == 2:
        head += f" {'bf16-fp32':>10} {'seed spread':>11}  verdict"
    lines = [head, "-" * len(head)]
    for family in families:
        row = f"{family:<8} "
        groups = {}
        for p in precisions:
            values = [r.fid for r in runs if r.family == family and r.precision == p]
            groups[p] = values
            row += f"{statistics.mean(values):>10.3f} {', '.join(f'{v:.2f}' for v in values):<22} "
        if len(precisions) == 2 and all(groups.values()):
            diff = statistics.mean(groups["bf16"]) - statistics.mean(groups["fp32"])
            noise = max(spread(v) for v in groups.values())
            if abs(diff) <= noise:
                verdict = "within seed noise: bf16 ok"
            elif diff > 0:
                verdict = "bf16 WORSE beyond noise: keep fp32 for this family"
            else:
                verdict = "bf16 better beyond noise"
            row += f"{diff:>+10.3f} {noise:>11.3f}  {verdict}"
        lines.append(row.rstrip())
    lines.append("FID@classifier: lower is better; seed spread = largest max-min over seeds within one precision.")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
