"""Overhead per run of the Ray executor vs LocalPool: the same N tiny queued runs through one local
worker process and through one Ray actor (local Ray instance), on a fresh SQLite database each.

For each executor it prints: start-up (from ``start()`` to the first run's start, including Ray's own
start for Ray), seconds per run in steady state (first run's start to last run's end, / N) and the
difference per run (Ray - LocalPool). Training work is identical, so the difference is what the
executor adds per run (claim, heartbeat, scheduling, logging through Ray).

    PYTHONPATH=. .venv/bin/python benchmarks/executor_overhead.py [--runs 6] [--limit-train 64]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timeline(store, ids) -> tuple[float, float]:
    from cgan_tui.store import queries as q

    runs = [q.get_run(store, rid) for rid in ids]
    assert all(r.status.value == "completed" for r in runs), [(r.id, r.status, r.error) for r in runs]
    first = min(r.started_at for r in runs).timestamp()
    last = max(r.finished_at for r in runs).timestamp()
    return first, last


def measure(kind: str, args, tmp: Path, data_dir: str) -> dict:
    from cgan_tui.config import RunConfig
    from cgan_tui.runner import queue
    from cgan_tui.runner.executors import EXECUTORS
    from cgan_tui.store.db import open_store

    (tmp / kind).mkdir()
    store = open_store(f"sqlite:///{tmp / kind / 'experiments.db'}")
    configs = [RunConfig(model="seed004", loss="lsgan", epochs=1, checkpoint_epochs=(1,), limit_train=args.limit_train,
                         batch_size=min(64, args.limit_train), data_dir=data_dir, device="cpu", metrics=(), seed=s)
               for s in range(args.runs)]  # fmt: skip
    ids = queue.enqueue_grid(store, configs)
    env = {"CGAN_TUI_EVAL": "off", "OMP_NUM_THREADS": "1", "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    extra = ["--poll", "0.2"]
    if kind == "ray":
        executor = EXECUTORS[kind](store.url, workers=1, once=True, cpus_per_run=1, env=env, extra_args=extra, num_cpus=2)
    else:
        executor = EXECUTORS[kind](store.url, workers=1, once=True, env={**os.environ, **env}, extra_args=extra,
                                   log_dir=tmp / kind / "logs")  # fmt: skip
    started = time.time()
    executor.start()
    codes = executor.wait(timeout=1800)
    executor.stop()
    assert codes == [0], codes
    first, last = _timeline(store, ids)
    store.dispose()
    return {"startup": first - started, "per_run": (last - first) / args.runs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--limit-train", type=int, default=64)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="executor_overhead_"))
    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import make_fmnist_dir

    data_dir = str(make_fmnist_dir(tmp / "fmnist", n_train=max(args.limit_train, 640)))
    results = {kind: measure(kind, args, tmp, data_dir) for kind in ("local", "ray")}
    print(f"{args.runs} queued runs (seed004, 1 epoch of {args.limit_train} images, CPU, 1 thread), one worker each")
    print(f"{'executor':<10} {'start-up s':>11} {'s/run':>8}")
    for kind, r in results.items():
        print(f"{kind:<10} {r['startup']:>11.2f} {r['per_run']:>8.3f}")
    diff = results["ray"]["per_run"] - results["local"]["per_run"]
    print(f"Ray overhead per run: {diff:+.3f} s; extra start-up once: {results['ray']['startup'] - results['local']['startup']:+.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
