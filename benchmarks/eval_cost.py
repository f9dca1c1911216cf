"""Seconds for one evaluation at N samples, per backend: today's extractors vs the former settings.

    python benchmarks/eval_cost.py 1000 [--device auto] [--checkpoint FILE] [--backends inception,classifier,pixel] [--cold]
    python benchmarks/eval_cost.py 1000 --new-metrics [--repeats 3]

"after" is the current code (channels_last, Inception batch ``features.INCEPTION_BATCH``); "before"
is the settings until issue 16 (contiguous NCHW, Inception batch 16). Both are warm: the real
statistics come from the feature cache, as in every evaluation after the first, so a row is the cost
of embedding the N generated images plus the metric arithmetic. ``--cold`` adds the first-ever
evaluation (reals embedded too; about twice the warm time). Without ``--checkpoint`` an untrained
seed004 generator is used (the cost does not depend on the weights). On 2 AVX2 cores at n=1,000 it
needs about 4-6 minutes idle (Inception dominates).

``--new-metrics`` (issue 30's acceptance: at most 1.3x): the classifier backend's warm evaluation in one
process, "without" = the metrics it had before issue 30 (FID without its bootstrap SE, IS, LPIPS, LPIPS
diversity, class_acc, diversity) and "with" = today's (plus intra-FID with its SE, precision / recall /
density / coverage, memorised, and FID's SE), alternated ``--repeats`` times on the same samples and
caches (the training subset's features and the test distances cached first, as after the first
evaluation); prints the median of each and the ratio.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import standalone

from cgan_tui.config import RunConfig, resolve
from cgan_tui.gan import features as feat
from cgan_tui.gan import weights
from cgan_tui.gan.device import pick_device
from cgan_tui.gan.metrics.context import MemoryFeatureCache, MetricContext
from cgan_tui.gan.metrics.engine import evaluate
from cgan_tui.gan.metrics.fid import fid_from_summary

BEFORE = {"inception": lambda ctx: feat.InceptionFID(ctx.device, batch=16, channels_last=False)}
"""The extractor settings before issue 16 (the classifier and pixel backends did not change batch)."""


def build_generator(args, registries, device):
    if args.checkpoint:
        from cgan_tui.gan.training import load_generator

        return load_generator(args.checkpoint, registries, device)
    config = resolve(RunConfig(model="seed004", loss="lsgan"), registries)
    family = registries.models.get(config.model)
    G, _ = family.build(config, registries.conditionings.get(config.conditioning),
                        registries.conditionings.get(config.d_conditioning))  # fmt: skip
    return G.to(device).eval(), config


def timed(G, config, registries, device, n, backend, cache, extractors=None) -> tuple[float, list]:
    ctx = MetricContext(G, latent_dim=config.latent_dim, n=n, device=device, feature_cache=cache, extractors=extractors)
    ctx.fake  # noqa: B018 - generation is timed separately
    t0 = time.perf_counter()
    results = evaluate(G, config, registries, epoch=0, n=n, device=device, metrics=[backend], context=ctx)
    return time.perf_counter() - t0, results


NEW_METRICS = ("intra_fid", "prdc", "memorisation")
"""Classifier-backend metrics added by issue 30 (FID's bootstrap SE is the fourth addition, below)."""


def fid_without_se(ctx) -> dict[str, float]:
    """``classifier_fid`` as before issue 30: the value only, no bootstrap standard error."""
    return {"fid": fid_from_summary(ctx.real_summary("classifier"), ctx.fake_features("classifier"))}


def classifier_metric_sets(registries) -> tuple[SimpleNamespace, SimpleNamespace]:
    """(without, with): registries holding the classifier backend's metrics before and after issue 30."""
    today = [m for m in registries.metrics if m.backend == "classifier"]
    before = [dataclasses.replace(m, compute=fid_without_se) if m.name == "classifier_fid" else m
              for m in today if m.name not in NEW_METRICS]  # fmt: skip
    return SimpleNamespace(metrics=before, backends=()), SimpleNamespace(metrics=today, backends=())


def compare_new_metrics(G, config, registries, device, n: int, repeats: int) -> None:
    """Time the classifier backend without and with issue 30's metrics, alternating, same caches."""
    without, with_new = classifier_metric_sets(registries)
    cache = MemoryFeatureCache()
    for regs in (with_new, without):  # warm: weights loaded, real summary / training features / test distances cached
        timed(G, config, regs, device, n, "classifier", cache)
    times: dict[str, list[float]] = {"without": [], "with": []}
    results = {}
    for _ in range(max(1, repeats)):
        for label, regs in (("without", without), ("with", with_new)):
            seconds, results[label] = timed(G, config, regs, device, n, "classifier", cache)
            times[label].append(seconds)
    w, a = statistics.median(times["without"]), statistics.median(times["with"])
    added = sorted({r.key for r in results["with"]} - {r.key for r in results["without"]})
    missing = [r.key for r in results["with"] if r.value is None]
    print(f"classifier n={n}: without issue-30 metrics {w:7.2f} s, with {a:7.2f} s (median of {len(times['with'])}), "
          f"ratio x{a / max(w, 1e-9):.2f} (acceptance: <= 1.30)", flush=True)  # fmt: skip
    print(f"  added values: {len(added)} ({', '.join(k for k in added if '_c' not in k)}, per-class ...)")
    if missing:
        print(f"  unavailable: {', '.join(missing)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--checkpoint")
    parser.add_argument("--backends", default="inception,classifier,pixel")
    parser.add_argument("--cold", action="store_true", help="also time the first evaluation (reals embedded)")
    parser.add_argument("--new-metrics", action="store_true",
                        help="classifier backend without vs with issue 30's metrics (intra-FID, PRDC, memorised, SEs)")
    parser.add_argument("--repeats", type=int, default=3, help="alternated timings per side with --new-metrics")
    args = parser.parse_args()
    registries = standalone.registries()
    device = pick_device(args.device)
    G, config = build_generator(args, registries, device)
    torch.manual_seed(0)
    print(f"n={args.n} device={device} ({standalone.describe_machine(device)}) generator={config.model} "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip

    started = time.perf_counter()
    MetricContext(G, latent_dim=config.latent_dim, n=args.n, device=device).fake  # noqa: B018
    print(f"{'generate':<12} {time.perf_counter() - started:8.1f} s", flush=True)
    if args.new_metrics:
        compare_new_metrics(G, config, registries, device, args.n, args.repeats)
        return

    cache = MemoryFeatureCache()
    total = {"before": 0.0, "after": 0.0}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        cold = ""
        if args.cold:
            seconds, _ = timed(G, config, registries, device, args.n, backend, MemoryFeatureCache())
            cold = f"   cold (after) {seconds:7.1f} s"
        timed(G, config, registries, device, min(args.n, 20), backend, MemoryFeatureCache())  # load weights once
        timed(G, config, registries, device, args.n, backend, cache)  # fill the real-feature cache (not timed)
        before, results_before = timed(G, config, registries, device, args.n, backend, cache, BEFORE)
        after, results = timed(G, config, registries, device, args.n, backend, cache)
        total["before"] += before
        total["after"] += after
        same = all(
            (a.value is None and b.value is None) or (a.value is not None and b.value is not None
                                                      and abs(a.value - b.value) <= 1e-4 * max(1.0, abs(b.value)))
            for a, b in zip(results, results_before, strict=True)
        )  # fmt: skip
        values = ", ".join(f"{r.name}={r.value:.4g}" if r.value is not None else f"{r.name}=unavailable" for r in results)
        print(f"{backend:<12} before {before:7.1f} s  after {after:7.1f} s  x{before / max(after, 1e-9):.2f}"
              f"  same values: {'yes' if same else 'NO'}{cold}   ({values})", flush=True)  # fmt: skip
    print(f"{'all':<12} before {total['before']:7.1f} s  after {total['after']:7.1f} s  "
          f"x{total['before'] / max(total['after'], 1e-9):.2f}  (warm evaluation at n={args.n})")

    st = weights.status("classifier")
    if st.path is not None:
        info = json.loads(st.path.with_suffix(".json").read_text())
        print(f"classifier: test accuracy {info['test_accuracy']:.4f} on {info['n_test']} images "
              f"({info['epochs']} epochs, {info['seconds']:.0f} s on {info['device']})")  # fmt: skip


if __name__ == "__main__":
    main()
