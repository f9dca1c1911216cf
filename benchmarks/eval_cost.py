"""Seconds for one evaluation at N samples, per backend, with cold and warm real-feature caches.

    python benchmarks/eval_cost.py 1000 [--device auto] [--checkpoint FILE] [--backends inception,classifier,pixel]

Without ``--checkpoint`` an untrained seed004 generator is used (the cost does not depend on the
weights). "cold" embeds the real test images (first evaluation ever); "warm" is every later one:
the real statistics come from the feature cache. Prints one line per backend and the classifier's
recorded test accuracy.
"""

from __future__ import annotations

import argparse
import json
import time

import torch

from cgan_tui.config import RunConfig, resolve
from cgan_tui.gan import weights
from cgan_tui.gan.device import pick_device
from cgan_tui.gan.evaluation import MemoryFeatureCache, MetricContext, evaluate
from cgan_tui.plugins import load_plugins


def build_generator(args, registries, device):
    if args.checkpoint:
        from cgan_tui.gan.training import load_generator

        return load_generator(args.checkpoint, registries, device)
    config = resolve(RunConfig(model="seed004", loss="lsgan"), registries)
    family = registries.models.get(config.model)
    G, _ = family.build(config, registries.conditionings.get(config.conditioning),
                        registries.conditionings.get(config.d_conditioning))  # fmt: skip
    return G.to(device).eval(), config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--checkpoint")
    parser.add_argument("--backends", default="inception,classifier,pixel")
    args = parser.parse_args()
    registries = load_plugins()
    device = pick_device(args.device)
    G, config = build_generator(args, registries, device)
    torch.manual_seed(0)
    print(f"n={args.n} device={device} threads={torch.get_num_threads()} generator={config.model}")

    started = time.perf_counter()
    ctx = MetricContext(G, latent_dim=config.latent_dim, n=args.n, device=device)
    ctx.fake  # noqa: B018 - generate once, timed separately
    print(f"{'generate':<12} {time.perf_counter() - started:8.1f} s")

    cache = MemoryFeatureCache()
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        timings = []
        for label in ("cold", "warm"):
            ctx = MetricContext(G, latent_dim=config.latent_dim, n=args.n, device=device, feature_cache=cache)
            ctx.fake  # noqa: B018
            t0 = time.perf_counter()
            results = evaluate(G, config, registries, epoch=0, n=args.n, device=device, metrics=[backend], context=ctx)
            timings.append((label, time.perf_counter() - t0))
            if backend == "pixel":
                break
        values = ", ".join(f"{r.name}={r.value:.4g}" if r.value is not None else f"{r.name}=unavailable" for r in results)
        times = "  ".join(f"{label} {sec:7.1f} s" for label, sec in timings)
        print(f"{backend:<12} {times}   ({values})")

    st = weights.status("classifier")
    if st.path is not None:
        info = json.loads(st.path.with_suffix(".json").read_text())
        print(f"classifier: test accuracy {info['test_accuracy']:.4f} on {info['n_test']} images "
              f"({info['epochs']} epochs, {info['seconds']:.0f} s on {info['device']})")  # fmt: skip


if __name__ == "__main__":
    main()
