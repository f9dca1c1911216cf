"""Where the Ray executor's time goes before and during its first runs: Ray's start, the actors'
processes, their worker loops (torch and the plugins imported), the first claim, the first and the
last of N tiny runs. One line per stage, seconds since ``start()``.

Run it once per setting (Ray starts once per process), with the machine as loaded as you want to
know about, e.g. the priority Ray gives its workers by default (nice +15) vs the executor's (+0):

    RAY_worker_niceness=15 PYTHONPATH=. .venv/bin/python benchmarks/ray_startup.py
    PYTHONPATH=. .venv/bin/python benchmarks/ray_startup.py
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--actors", type=int, default=2)
    p.add_argument("--limit-train", type=int, default=32)
    args = p.parse_args()

    from conftest import make_fmnist_dir

    from cgan_tui.config import RunConfig
    from cgan_tui.runner import queue
    from cgan_tui.runner.ray_executor import RayExecutor, start_local_ray
    from cgan_tui.store import queries as q
    from cgan_tui.store.db import open_store

    tmp = Path(tempfile.mkdtemp(prefix="ray_startup_"))
    data = make_fmnist_dir(tmp / "fmnist")
    store = open_store(f"sqlite:///{tmp / 'experiments.db'}")
    configs = [RunConfig(model="seed004", loss="lsgan", epochs=1, checkpoint_epochs=(1,), limit_train=args.limit_train,
                         batch_size=args.limit_train, data_dir=str(data), device="cpu", metrics=(), seed=s)
               for s in range(args.runs)]  # fmt: skip
    ids = queue.enqueue_grid(store, configs)
    t0 = time.monotonic()
    marks: dict[str, float] = {}

    def mark(name: str) -> None:
        marks.setdefault(name, round(time.monotonic() - t0, 1))

    start_local_ray(num_cpus=args.actors)
    mark("ray started")
    env = {"CGAN_TUI_EVAL": "off", "OMP_NUM_THREADS": "1", "PYTHONPATH": os.environ.get("PYTHONPATH", str(ROOT))}
    ex = RayExecutor(store.url, workers=args.actors, cpus_per_run=1, env=env, extra_args=["--poll", "0.2"])
    ex.start()
    while True:
        infos = ex.actor_info()
        if any(infos):
            mark("first actor process up")
        if all(infos):
            mark("all actor processes up")
        ready = ex.wait_ready(timeout=0)
        if ready:
            mark("first worker loop ready")
        if ready == args.actors:
            mark("all worker loops ready")
        runs = [q.get_run(store, rid) for rid in ids]
        if any(r.started_at for r in runs):
            mark("first run claimed")
        done = [r for r in runs if r.status.finished]
        if done:
            mark("first run finished")
        if len(done) == len(runs):
            mark("all runs finished")
            break
        time.sleep(0.2)
    nice = sorted({info["nice"] for info in ex.actor_info() if info})
    ex.stop()
    import ray

    ray.shutdown()
    load = os.getloadavg()[0]
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(json.dumps({"actor_nice": nice, "load1": round(load, 2), "cpu": f"{cpu}, {os.cpu_count()} cores", **marks}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
