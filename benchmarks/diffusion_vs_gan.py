"""GAN vs diffusion at matched training wall time: seed004 (BCE, embedding) vs ddpm vs ldm.

Each model is a real run in one SQLite database, trained through ``execute_run`` (the worker's path)
until its *training* seconds (sum of epoch seconds: steps only, not grids or evaluation) reach
``--budget``; the epoch in progress then finishes, so every model trains at least ``--budget``
seconds and at most one epoch of ``--limit-train`` images more (the table gives the exact seconds).
Then ``cgan-tui eval RUN --n N --metrics classifier`` evaluates its last epoch, and the table is
read back from the results model (FID@classifier, combined@classifier, at the same n).

    pip install --no-deps ./plugins/cgan-tui-diffusion
    # or, without installing: CGAN_TUI_EXTRA_PLUGINS=cgan_tui_diffusion PYTHONPATH=plugins/cgan-tui-diffusion
    python benchmarks/diffusion_vs_gan.py --db /tmp/dvg.db --budget 120 --n 100 --limit-train 1500 --ddim-steps 20

Prints one JSON line per phase (with the load average, since the machine may be shared) and a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

MODELS = {
    "seed004": dict(model="seed004", loss="bce", conditioning="embedding"),
    "ddpm": dict(model="ddpm"),
    "ldm": dict(model="ldm"),
}


@dataclass
class BudgetStop:
    """Extra TrainCallbacks: stop before the next epoch once the epochs' training seconds reach the budget."""

    budget: float
    trained: float = 0.0
    epochs: int = 0
    images: int = 0
    rates: list = field(default_factory=list)

    def on_progress(self, p) -> None:
        pass

    def on_epoch_end(self, e) -> None:
        self.trained += e.seconds
        self.epochs = e.epoch
        self.images = e.images_seen
        self.rates.append(e.images_per_s)

    def on_checkpoint(self, c) -> None:
        pass

    def should_stop(self) -> bool:
        return self.trained >= self.budget


def cpu_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration, subprocess.SubprocessError):
        return platform.processor() or "?"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="SQLite file to create (must not exist)")
    parser.add_argument("--budget", type=float, default=240.0, help="training seconds per model (default 240)")
    parser.add_argument("--n", type=int, default=200, help="samples per evaluation, same for every model")
    parser.add_argument("--limit-train", type=int, default=3000, help="training images per epoch (class-balanced)")
    parser.add_argument("--models", default="seed004,ddpm,ldm", help="comma-separated, from: " + ", ".join(MODELS))
    parser.add_argument("--ldm-ae-steps", type=int, default=24,
                        help="autoencoder steps of ldm, inside its budget (default 24: two epochs of 1,500 at batch 128)")
    parser.add_argument("--ddim-steps", type=int, default=None, help="DDIM steps of ddpm/ldm (default: theirs, 50)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda or cuda:N")
    args = parser.parse_args()

    from cgan_tui.cli import main as cli
    from cgan_tui.config import RunConfig
    from cgan_tui.plugins import load_plugins
    from cgan_tui.results import load_results
    from cgan_tui.runner import queue
    from cgan_tui.runner.execute import execute_run
    from cgan_tui.store import queries as q
    from cgan_tui.store.db import open_store

    db = Path(args.db)
    if db.exists():
        parser.error(f"{db} exists; give a new file")
    regs = load_plugins()
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    for name in names:
        if name not in MODELS or MODELS[name]["model"] not in regs.models:
            parser.error(f"model {name!r} not available (valid: {', '.join(MODELS)}; ddpm/ldm need "
                         "pip install --no-deps ./plugins/cgan-tui-diffusion, or CGAN_TUI_EXTRA_PLUGINS=cgan_tui_diffusion "
                         "PYTHONPATH=plugins/cgan-tui-diffusion)")  # fmt: skip
    url = f"sqlite:///{db}"
    store = open_store(url)
    import torch

    header = {"cpu": cpu_name(), "cores": os.cpu_count(), "torch_threads": torch.get_num_threads(),
              "capability": torch.backends.cpu.get_cpu_capability(), "budget_s": args.budget, "n": args.n,
              "limit_train": args.limit_train, "ddim_steps": args.ddim_steps or "default (50)", "load": load()}  # fmt: skip
    print(json.dumps({"setup": header}), flush=True)
    runs: dict[str, dict] = {}
    for name in names:
        extra = {"ae_steps": args.ldm_ae_steps} if name == "ldm" else {}
        if args.ddim_steps is not None and name != "seed004":
            extra["ddim_steps"] = args.ddim_steps
        config = RunConfig(**MODELS[name], epochs=10_000, checkpoint_epochs=(), limit_train=args.limit_train,
                           device=args.device, metrics=(), grid_columns=1, seed=args.seed, data_dir=args.data_dir,
                           extra=extra)  # fmt: skip
        rid = queue.enqueue(store, config, registries=regs)
        assert queue.claim_next(store, "bench").id == rid
        stop = BudgetStop(args.budget)
        before, started = load(), time.perf_counter()
        out = execute_run(store, rid, regs, worker_id="bench", extra_callbacks=stop, epoch_hooks=[],
                          stop_status="cancelled")  # fmt: skip
        wall = time.perf_counter() - started
        samples = [r.sample_images_per_s for r in q.epoch_rows(store, rid) if r.sample_images_per_s is not None]
        runs[name] = {"run": rid, "status": out.status, "epochs": stop.epochs, "train_s": round(stop.trained, 1),
                      "images": stop.images, "train_img_s": round(stop.images / max(stop.trained, 1e-9), 1),
                      "sample_img_s": round(statistics.median(samples), 2) if samples else None,
                      "wall_s": round(wall, 1), "load_before": before, "load_after": load()}  # fmt: skip
        print(json.dumps({"trained": name, **runs[name]}), flush=True)
    store.dispose()
    for name in names:
        rid = runs[name]["run"]
        before, started = load(), time.perf_counter()
        code = cli(["eval", "--db", str(db), str(rid), "--n", str(args.n), "--metrics", "classifier", "--device", args.device])
        runs[name].update(eval_s=round(time.perf_counter() - started, 1), eval_load_before=before, eval_load_after=load(),
                          eval_ok=code == 0)  # fmt: skip
        print(json.dumps({"evaluated": name, **runs[name]}), flush=True)

    store = open_store(url)
    rows = load_results(store, regs)
    store.dispose()
    print()
    print(f"CPU: {header['cpu']}, {header['cores']} cores, torch {torch.__version__} ({header['capability']}), "
          f"{header['torch_threads']} threads; budget {args.budget:g} s of training per model; n={args.n}; "
          f"DDIM steps {header['ddim_steps']}")  # fmt: skip
    print("| model | epochs x images | training s | train img/s | FID@classifier | combined@classifier | "
          "sampling img/s | eval s (n) | load avg (train; eval) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name in names:
        r = runs[name]
        row = max((x for x in rows if x.run_id == r["run"]), key=lambda x: x.epoch)
        fid, combined = row.get("fid@classifier"), row.get("combined@classifier")
        print(f"| {name} | {r['epochs']} x {args.limit_train} | {r['train_s']} | {r['train_img_s']} | "
              f"{fid if fid is None else f'{fid:.2f}'} | {combined if combined is None else f'{combined:.2f}'} | "
              f"{r['sample_img_s']} | {r['eval_s']} ({args.n}) | {r['load_before']} -> {r['load_after']}; "
              f"{r['eval_load_before']} -> {r['eval_load_after']} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
