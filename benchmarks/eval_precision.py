"""Do bf16 features change FID? FID from fp32 vs bf16-autocast features on the same samples, per backend.

Trains a seed004 generator briefly (or loads ``--checkpoint``), draws ``--n`` class-balanced samples
with the fixed evaluation noise and takes ``--n`` real test images, then embeds both sets twice per
backend, fp32 and under bf16 autocast (channels_last both times, as evaluation does), and prints
both FIDs, the relative difference and the seconds. A backend may use bf16 features only where bf16
is native and the difference is below 0.5 % (``cgan_tui.gan.features.BF16_FEATURES_OK``).
Runs without SQLModel/Textual (GPU machines).

    PYTHONPATH=. python benchmarks/eval_precision.py --device cuda --data DIR --n 1000
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import standalone

THRESHOLD = 0.005


def main(argv: list[str] | None = None) -> int:
    standalone.check_imports()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="auto")
    p.add_argument("--data", default=None, metavar="DIR")
    p.add_argument("--n", type=int, default=1000, help="generated and real images per FID")
    p.add_argument("--epochs", type=int, default=2, help="seed004 training epochs for the generator")
    p.add_argument("--train-images", type=int, default=None)
    p.add_argument("--checkpoint", default=None, help="use this generator checkpoint instead of training one")
    p.add_argument("--backends", default="classifier,inception")
    p.add_argument("--json", default=None, metavar="FILE")
    args = p.parse_args(argv)
    standalone.set_data_dir(args.data)
    import torch

    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.gan import classifier
    from cgan_tui.gan import features as feat
    from cgan_tui.gan.data import load_fashion_mnist
    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.metrics.context import generate
    from cgan_tui.gan.metrics.fid import fid_from_summary
    from cgan_tui.gan.precision import native_bf16
    from cgan_tui.gan.training import TrainCallbacks, load_generator, train
    from cgan_tui.gan.weights import WeightsUnavailable

    registries = standalone.registries()
    device = pick_device(args.device)
    if args.checkpoint:
        G, cfg = load_generator(args.checkpoint, registries, device)
        source = args.checkpoint
    else:
        cfg = resolve(RunConfig(model="seed004", loss="lsgan-sigmoid", conditioning="one-hot", epochs=args.epochs,
                                checkpoint_epochs=(args.epochs,), device=str(device), precision="fp32",
                                limit_train=args.train_images), registries)  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            result = train(cfg, registries, Path(tmp), TrainCallbacks())
            G, _ = load_generator(result.last_checkpoint, registries, device)
        source = f"seed004 one-hot lsgan-sigmoid, {args.epochs} epoch(s)"
    fake, _ = generate(G, args.n, int(cfg.latent_dim), device)
    real = load_fashion_mnist(None, "test", "cpu", limit=args.n)
    native, why = native_bf16(device)
    print(f"eval precision: {standalone.describe_machine(device)}; device {device}; bf16 native: {native} ({why}); "
          f"generator {source}; n={args.n} generated vs {len(real)} real", flush=True)  # fmt: skip

    factories = {
        "classifier": lambda: classifier.extractor(device),
        "inception": lambda: feat.InceptionFID(device),
    }
    rows = []
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        try:
            ext = factories[backend]()
        except KeyError:
            print(f"  {backend}: unknown backend; valid: {', '.join(factories)}")
            continue
        except WeightsUnavailable as exc:
            print(f"  {backend}: skipped, weights unavailable: {exc}")
            continue
        out = {"backend": backend}
        for precision in ("fp32", "bf16"):
            feat.BF16_FEATURES_OK[backend] = precision == "bf16"
            ctx = torch.autocast(device.type, dtype=torch.bfloat16) if precision == "bf16" else _null()
            start = time.perf_counter()
            with ctx:  # forced here even where not native, to measure; evaluation itself never does that
                real_f = ext(real.images)
                fake_f = ext(fake)
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            seconds = time.perf_counter() - start
            summary = feat.RealSummary.from_features(real_f, real.labels)
            out[precision] = fid_from_summary(summary, fake_f)
            out[f"{precision}_s"] = seconds
        feat.BF16_FEATURES_OK.pop(backend, None)
        out["rel_diff"] = abs(out["bf16"] - out["fp32"]) / max(abs(out["fp32"]), 1e-12)
        out["ok"] = out["rel_diff"] < THRESHOLD
        rows.append(out)

    print(f"\n{'backend':<11} {'FID fp32':>10} {'FID bf16':>10} {'rel diff':>9} {'fp32 s':>7} {'bf16 s':>7}  verdict")
    for r in rows:
        verdict = ("< 0.5 %: bf16 features allowed where native" if r["ok"] else ">= 0.5 %: keep fp32 features")
        print(f"{r['backend']:<11} {r['fp32']:>10.4f} {r['bf16']:>10.4f} {100 * r['rel_diff']:>8.3f}% "
              f"{r['fp32_s']:>7.2f} {r['bf16_s']:>7.2f}  {verdict}")  # fmt: skip
    print(f"(seconds: embedding {args.n} real + {args.n} generated images on {device}, channels_last)")
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": standalone.describe_machine(device), "n": args.n,
                                               "native_bf16": native, "rows": rows}, indent=2))  # fmt: skip
    return 0


def _null():
    import contextlib

    return contextlib.nullcontext()


if __name__ == "__main__":
    sys.exit(main())
