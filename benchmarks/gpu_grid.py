"""How many runs per GPU? images/s of K concurrent seed004 runs, and one seed000 run's wall time.

Part 1: for each K in ``--concurrency`` (default 1,2,4,8), K separate processes each train a seed004
run (one-hot, lsgan-sigmoid, ``train()`` with precision ``--precision``, default auto) on the same GPU.
They load data and warm up, then wait at a barrier and all start the timed steps together; the
table gives per-run images/s, the total images/s of the GPU (all runs' timed images / the span from
the first start to the last end) and each process's peak GPU memory.
Part 2: one seed000 run (embedding 10, bce) for ``--seed000-epochs`` epochs (30 = the seed's run;
scale it down to fit) on all of ``--train-images``, wall time including checkpoints.
Runs without SQLModel/Textual (GPU machines): only ``cgan_tui.gan`` and the plugin registries.

    PYTHONPATH=. python benchmarks/gpu_grid.py --device cuda --data DIR [--steps 300] [--seed000-epochs 30]
    PYTHONPATH=. python benchmarks/gpu_grid.py --device cpu --concurrency 1,2 --steps 5 --warmup 2 \
        --seed000-epochs 1 --train-images 512      # a tiny CPU check of the mechanics
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import standalone

SEED004 = dict(model="seed004", loss="lsgan-sigmoid", conditioning="one-hot", embed_dim=10)
SEED000 = dict(model="seed000", loss="bce", conditioning="embedding", embed_dim=10)
BARRIER_TIMEOUT_S = 600.0


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N (every process uses this one)")
    p.add_argument("--data", default=None, metavar="DIR", help="Fashion-MNIST gzip IDX folder (else $CGAN_TUI_DATA, ...)")
    p.add_argument("--concurrency", default="1,2,4,8", help="comma-separated numbers of concurrent seed004 runs")
    p.add_argument("--steps", type=int, default=300, help="timed training steps per seed004 run (batch 128)")
    p.add_argument("--warmup", type=int, default=20, help="untimed steps before the barrier")
    p.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    p.add_argument("--seed000-epochs", type=int, default=30, help="epochs of the seed000 run (0: skip part 2)")
    p.add_argument("--train-images", type=int, default=None, help="first N training images for the seed000 run")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the figures here")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)  # barrier folder of one concurrent run
    p.add_argument("--child-index", type=int, default=0, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        args.concurrency = [int(k) for k in args.concurrency.split(",") if k.strip()]
    except ValueError:
        p.error(f"--concurrency expects integers like 1,2,4,8, got {args.concurrency!r}")
    if not args.concurrency or min(args.concurrency) < 1 or args.steps < 1 or args.warmup < 1:
        p.error("--concurrency values, --steps and --warmup must be >= 1")
    return args


# ------------------------------------------------------------------------------- one concurrent run
def child(args: argparse.Namespace) -> int:
    """Train seed004 for warmup+steps batches; wait at the barrier after the warm-up; print JSON."""
    import torch

    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.gan.data import load_fashion_mnist
    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.training import TrainCallbacks, train

    folder = Path(args.child)
    registries = standalone.registries()
    device = pick_device(args.device)
    cfg = resolve(RunConfig(**SEED004, epochs=1, checkpoint_epochs=(1,), seed=args.child_index, device=str(device),
                            precision=args.precision), registries)  # fmt: skip
    images = (args.warmup + args.steps) * cfg.batch_size
    data = load_fashion_mnist(None, "train", device, limit=images)
    if len(data) < images:  # fewer images than steps x batch: repeat them (the rate does not care)
        reps = -(-images // len(data))
        data = type(data)(data.images.repeat(reps, 1, 1, 1)[:images], data.labels.repeat(reps)[:images], data.source)
    stamps: dict[str, float] = {}

    def on_progress(p) -> None:
        if p.step == args.warmup:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            (folder / f"ready.{args.child_index}").touch()
            deadline = time.monotonic() + BARRIER_TIMEOUT_S
            while not (folder / "go").exists():
                if time.monotonic() > deadline:
                    raise SystemExit("barrier timed out")
                time.sleep(0.005)
            stamps["start"] = time.time()
        elif p.step == p.steps_per_epoch:
            if device.type == "cuda":
                torch.cuda.synchronize(device)
            stamps["end"] = time.time()

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    with tempfile.TemporaryDirectory() as tmp:
        result = train(cfg, registries, Path(tmp), TrainCallbacks(on_progress=on_progress, progress_every=args.warmup),
                       data=data)  # fmt: skip
    timed = args.steps * cfg.batch_size
    peak = torch.cuda.max_memory_allocated(device) / 2**20 if device.type == "cuda" else None
    print(json.dumps({"start": stamps["start"], "end": stamps["end"], "images": timed, "precision": result.precision,
                      "images_per_s": timed / (stamps["end"] - stamps["start"]), "peak_mib": peak}))  # fmt: skip
    return 0


def concurrent(args: argparse.Namespace, k: int) -> dict:
    """K child processes started together behind one barrier; their figures combined."""
    steps = -(-args.steps // args.warmup) * args.warmup  # progress ticks every `warmup` steps: align the end
    with tempfile.TemporaryDirectory() as folder:
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", folder, "--device", args.device,
               "--steps", str(steps), "--warmup", str(args.warmup), "--precision", args.precision]  # fmt: skip
        procs = [subprocess.Popen([*cmd, "--child-index", str(i)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for i in range(k)]  # fmt: skip
        deadline = time.monotonic() + BARRIER_TIMEOUT_S
        while sum(1 for i in range(k) if Path(folder, f"ready.{i}").exists()) < k:
            failed = [p for p in procs if p.poll() not in (None, 0)]
            if failed or time.monotonic() > deadline:
                for p in procs:
                    p.kill()
                err = failed[0].communicate()[1].strip().splitlines()[-1:] if failed else ["timed out at the barrier"]
                raise SystemExit(f"concurrency {k}: a run failed before the barrier: {err[0] if err else '?'}")
            time.sleep(0.01)
        Path(folder, "go").touch()
        outs = [p.communicate() for p in procs]
    bad = [(p.returncode, err) for p, (_, err) in zip(procs, outs, strict=True) if p.returncode != 0]
    if bad:
        raise SystemExit(f"concurrency {k}: a run exited {bad[0][0]}: {bad[0][1].strip().splitlines()[-1:]}")
    rows = [json.loads(out.strip().splitlines()[-1]) for out, _ in outs]
    span = max(r["end"] for r in rows) - min(r["start"] for r in rows)
    peaks = [r["peak_mib"] for r in rows if r["peak_mib"] is not None]
    return {"k": k, "per_run": [r["images_per_s"] for r in rows], "total": sum(r["images"] for r in rows) / span,
            "peak_mib": max(peaks) if peaks else None, "precision": rows[0]["precision"]}  # fmt: skip


def seed000_run(args: argparse.Namespace, device) -> dict:
    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.gan.data import load_fashion_mnist
    from cgan_tui.gan.training import TrainCallbacks, train

    registries = standalone.registries()
    epochs = args.seed000_epochs
    cfg = resolve(RunConfig(**SEED000, epochs=epochs, checkpoint_epochs=(10, 20, 30), seed=0, device=str(device),
                            precision=args.precision), registries)  # fmt: skip
    data = load_fashion_mnist(None, "train", device, limit=args.train_images)
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = train(cfg, registries, Path(tmp), TrainCallbacks(on_epoch_end=lambda e: seconds.append(e.seconds)),
                       data=data)  # fmt: skip
        wall = time.perf_counter() - start
    return {"epochs": epochs, "images": len(data), "wall_s": wall, "train_s": sum(seconds), "precision": result.precision,
            "per_30_epochs_s": wall / epochs * 30}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    standalone.check_imports()
    args = parse(argv)
    standalone.set_data_dir(args.data)
    if args.child:
        return child(args)
    from cgan_tui.gan.device import pick_device

    device = pick_device(args.device)
    print(f"gpu grid: {standalone.describe_machine(device)}; device {device}; seed004 batch 128, {args.steps} timed "
          f"steps per run after {args.warmup} warm-up, precision {args.precision}", flush=True)  # fmt: skip
    results = []
    for k in args.concurrency:
        r = concurrent(args, k)
        results.append(r)
        print(f"  {k} concurrent: {r['total']:.0f} images/s in total", flush=True)
    lines = [f"{'runs':>4} {'images/s total':>14} {'per run (mean)':>14} {'per run (min-max)':>18} {'x vs 1 run':>10} "
             f"{'peak MiB/run':>12}  precision"]  # fmt: skip
    base = results[0]["total"] / results[0]["k"] if results else 1.0
    for r in results:
        mean = sum(r["per_run"]) / len(r["per_run"])
        peak = f"{r['peak_mib']:.0f}" if r["peak_mib"] is not None else "-"
        lines.append(f"{r['k']:>4} {r['total']:>14.0f} {mean:>14.0f} {min(r['per_run']):>8.0f}-{max(r['per_run']):<9.0f} "
                     f"{r['total'] / base:>10.2f} {peak:>12}  {r['precision']}")  # fmt: skip
    print()
    print("\n".join(lines))
    one = None
    if args.seed000_epochs > 0:
        one = seed000_run(args, device)
        scaled = "" if one["epochs"] == 30 else f" (scaled to 30 epochs: {one['per_30_epochs_s']:.0f} s)"
        print(f"\nseed000 (embedding 10, bce, batch 64) {one['epochs']} epoch(s) on {one['images']} images in "
              f"{one['precision']}: {one['wall_s']:.1f} s wall, {one['train_s']:.1f} s in training steps{scaled}")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": standalone.describe_machine(device), "concurrent": results,
                                               "seed000": one}, indent=2))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
