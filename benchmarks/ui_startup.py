"""How fast does `cgan-tui` open on a database of 1,000 runs, and does the UI stay torch-free?

    .venv/bin/python benchmarks/ui_startup.py [--runs 1000] [--repeat 5] [--keep DIR] [--baseline DIR]

Builds a database shaped like a finished study: N runs (seed000/seed004, 4 losses, 2 dims), 30
epochs of training statistics each, evaluations (FID/IS/LPIPS/KID, classifier metrics) at epochs
10/20/30 and milestone checkpoints: N x 3 models. Then, side by side:

1. headless: a subprocess starts the app (`CganApp(...).run(headless=True)`) and reports when the
   first frame is drawn (Textual's Ready event) and when the results table holds its rows;
2. tmux: `cgan-tui --db FILE` in a real terminal (tmux), timed (a) by the app itself from the
   process's creation (kernel start time) to the first frame and to the filled table, and (b) from
   outside by polling `tmux capture-pane` until the header / the model count appear (an upper bound:
   tmux start-up and the polling processes themselves are included);
3. `python -X importtime` of the app modules and the child's own `sys.modules`: torch must be absent.

Prints medians over --repeat runs. No timed assertions: this is a measurement, not a test.

``--baseline DIR`` (another checkout, e.g. ``git archive main | tar -x -C DIR``) adds the headless
measurement of that code, alternated run by run with this checkout's, so both see the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
HUNG_AFTER_S = 120.0

CHILD = r"""
import sys, time
t0 = time.perf_counter()
from cgan_tui.ui.app import CganApp
from cgan_tui.ui.services import Services
from cgan_tui.ui.screens.results import ResultsScreen

class Bench(CganApp):
    def on_ready(self):
        print(f"PAINT {time.perf_counter() - t0:.4f}", flush=True)
        self.set_interval(0.005, self._check)
    def _check(self):
        screen = self.screen
        if isinstance(screen, ResultsScreen) and screen.loaded and not getattr(self, "_first", False):
            self._first = True  # the table shows its first screenful
            print(f"FIRST {time.perf_counter() - t0:.4f} rows={len(screen.rows)} shown={len(screen.table.shown)}", flush=True)
        if isinstance(screen, ResultsScreen) and getattr(screen, "complete", screen.loaded):
            print(f"DATA {time.perf_counter() - t0:.4f} rows={len(screen.rows)} shown={len(screen.table.shown)}", flush=True)
            print("TORCH " + str(any(m == "torch" or m.startswith("torch.") for m in sys.modules)), flush=True)
            self.exit()

Bench(Services(sys.argv[1], image_renderer="halfcell")).run(headless=True, size=(200, 50))
"""


TMUX_CHILD = r"""
import os, sys, time

def since_start():
    # seconds since this process was created (kernel start time), interpreter start-up included
    ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
    return float(open("/proc/uptime").read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK")

import cgan_tui.ui.app as app_module
from cgan_tui.ui.screens.results import ResultsScreen

class Bench(app_module.CganApp):
    def on_ready(self):
        super().on_ready()
        self._paint = since_start()
        self.set_interval(0.005, self._check)
    def _check(self):
        if isinstance(self.screen, ResultsScreen) and self.screen.loaded:
            with open(sys.argv[2], "a") as fh:
                fh.write(f"{self._paint:.3f} {since_start():.3f}\n")
            self.exit()

app_module.CganApp = Bench  # what `cgan-tui` (cli.main -> run_app) will start
from cgan_tui.cli import main
sys.exit(main(["--db", sys.argv[1]]))
"""


def tmux_inside_once(db: Path, renderer: str) -> dict | None:
    """`cgan-tui --db FILE` in a real terminal (tmux), timed by the app itself from process creation."""
    if shutil.which("tmux") is None:
        return None
    out_file = Path(tempfile.mkstemp(suffix=".txt")[1])
    script = Path(tempfile.mkstemp(suffix=".py")[1])
    script.write_text(TMUX_CHILD)
    session = f"cgan-bench-{os.getpid()}-{time.monotonic_ns()}"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "50",
                    f"env COLORTERM=truecolor CGAN_TUI_IMAGES={renderer} {PY} {script} {db} {out_file}"],
                   check=True, capture_output=True)  # fmt: skip
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline and not out_file.read_text().strip():
        time.sleep(0.2)
    subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    text = out_file.read_text().split()
    out_file.unlink()
    script.unlink()
    return {"paint": float(text[0]), "data": float(text[1])} if text else None


def build_db(path: Path, n_runs: int, seed: int = 0) -> None:
    """A realistic finished study, written with the project's own store (runs) and bulk SQL (values)."""
    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.plugins import load_plugins
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store

    rng = random.Random(seed)
    registries = load_plugins()
    losses = [n for n in ("bce", "hinge", "lsgan", "wgan-gp") if n in registries.losses]
    configs = []
    for i in range(n_runs):
        model = "seed000" if i % 2 == 0 else "seed004"
        cfg = RunConfig(model=model, loss=losses[i % len(losses)], embed_dim=(10, 32)[(i // 4) % 2], seed=i, epochs=30)
        configs.append(resolve(cfg, registries))
    store = open_store(f"sqlite:///{path}")
    ids = queries.create_runs(store, configs, status="completed", experiment="bench")
    store.dispose()
    metrics, checkpoints = [], []
    now = "2026-01-01 00:00:00"
    for run_id in ids:
        base = rng.uniform(20, 120)
        for epoch in range(1, 31):
            for name, value in (("g_loss", rng.uniform(0.5, 3)), ("d_loss", rng.uniform(0.2, 1.5)),
                                ("epoch_seconds", rng.uniform(60, 90)), ("images_per_s", rng.uniform(500, 900))):
                metrics.append((run_id, epoch, name, value, "train", 0, None, now))
        for epoch in (10, 20, 30):
            fid = base * (1.4 - epoch / 60)
            for name, value, backend, n in (
                ("fid", fid, "inception", 1000), ("is", rng.uniform(1.8, 2.6), "inception", 1000),
                ("kid", rng.uniform(0.01, 0.05), "inception", 1000), ("lpips", rng.uniform(0.3, 0.5), "lpips", 1000),
                ("fid", fid / 3, "classifier", 10000), ("is", rng.uniform(6, 9), "classifier", 10000),
                ("class_acc", rng.uniform(0.6, 0.95), "classifier", 10000),
            ):  # fmt: skip
                metrics.append((run_id, epoch, name, value, backend, n, None, now))
            checkpoints.append((run_id, epoch, f"run_{run_id:05d}/epoch_{epoch:03d}.pt", "milestone", 0, now))
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO metricvalue (run_id, epoch, name, value, backend, n_samples, unavailable, created_at) "
        "VALUES (?,?,?,?,?,?,?,?)", metrics)  # fmt: skip
    conn.executemany(
        "INSERT INTO checkpoint (run_id, epoch, path, kind, is_best, created_at) VALUES (?,?,?,?,?,?)", checkpoints
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    print(f"database: {n_runs} runs, {len(metrics)} metric rows, {len(checkpoints)} checkpoints -> {path}")


def headless_once(url: str, code: Path = ROOT) -> dict:
    """One headless start of the app of the checkout ``code`` (its ``cgan_tui`` is imported)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    start = time.perf_counter()
    proc = subprocess.Popen([PY, "-c", CHILD, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=code, stdin=subprocess.DEVNULL, env=env)  # fmt: skip
    out = {}
    import threading

    watchdog = threading.Timer(HUNG_AFTER_S, proc.kill)  # a start that never fills the table is reported
    watchdog.start()
    for line in proc.stdout:  # type: ignore[union-attr]
        key, _, rest = line.strip().partition(" ")
        if key in ("PAINT", "FIRST", "DATA"):
            out[key.lower()] = time.perf_counter() - start
            out[key.lower() + "_in_child"] = float(rest.split()[0])
            if key == "DATA":
                out["rows"] = rest.split()[1]
        elif key == "TORCH":
            out["torch_imported"] = rest == "True"
    proc.wait(timeout=60)
    watchdog.cancel()
    if "data" not in out:
        raise RuntimeError(f"app ({code}) did not report data within {HUNG_AFTER_S:g} s (seen: {sorted(out)}): "
                           f"{proc.stderr.read()[-2000:]}")  # type: ignore[union-attr]  # fmt: skip
    return out


def tmux_once(db: Path, renderer: str) -> dict | None:
    if shutil.which("tmux") is None:
        return None
    exe = Path(PY).with_name("cgan-tui")
    session = f"cgan-bench-{os.getpid()}-{time.monotonic_ns()}"
    env = f"COLORTERM=truecolor CGAN_TUI_IMAGES={renderer}"
    start = time.perf_counter()
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "200", "-y", "50",
                    f"env {env} {exe} --db {db}"], check=True, capture_output=True)  # fmt: skip
    out: dict = {}
    try:
        deadline = start + 30
        while time.perf_counter() < deadline and "data" not in out:
            screen = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True,
                                    text=True).stdout  # fmt: skip
            now = time.perf_counter() - start
            if "paint" not in out and "cgan-tui" in screen:
                out["paint"] = now
            if "models │" in screen and "loading" not in screen:
                out["data"] = now
            time.sleep(0.01)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    return out


def importtime() -> tuple[float, bool]:
    """Cumulative import time (s) of the app entry modules and whether torch shows up at all."""
    proc = subprocess.run([PY, "-X", "importtime", "-c", "import cgan_tui.cli.app_cmd, cgan_tui.ui.app, "
                           "cgan_tui.ui.screens.results, cgan_tui.plugins; cgan_tui.plugins.load_plugins()"],
                          capture_output=True, text=True, cwd=ROOT)  # fmt: skip
    lines = proc.stderr.splitlines()
    torch = any(line.rsplit("|", 1)[-1].strip().split(".")[0] == "torch" for line in lines if "|" in line)
    total = 0
    for line in lines:
        parts = line.split("|")
        if len(parts) == 3 and parts[2].startswith(" cgan_tui.ui.app") and parts[2].strip() == "cgan_tui.ui.app":
            total = int(parts[1]) / 1e6
    return total, torch


def median(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:7.0f} ms" if values else "      —"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the database in this folder and keep it")
    parser.add_argument("--headless-only", action="store_true", help="skip the tmux measurements")
    parser.add_argument("--baseline", type=Path, help="another checkout to measure headless beside this one")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cgan-ui-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "experiments.db"
    if not db.exists():
        build_db(db, args.runs)
    url = f"sqlite:///{db}"

    load_before = os.getloadavg()[0]
    headless, baseline = [], []
    for _ in range(args.repeat):  # alternated, so that both see the same load
        if args.baseline:
            baseline.append(headless_once(url, args.baseline.resolve()))
        headless.append(headless_once(url))
    keeper = f"cgan-bench-keeper-{os.getpid()}"
    if shutil.which("tmux") and not args.headless_only:  # one long-lived session keeps the tmux server up between measurements
        subprocess.run(["tmux", "new-session", "-d", "-s", keeper, "sleep 3600"], check=True)
    try:
        tmux_repeat = 0 if args.headless_only else args.repeat
        tmux_half = [r for r in (tmux_once(db, "halfcell") for _ in range(tmux_repeat)) if r]
        tmux_auto = [r for r in (tmux_once(db, "auto") for _ in range(tmux_repeat)) if r]
        inside_half = [r for r in (tmux_inside_once(db, "halfcell") for _ in range(tmux_repeat)) if r]
        inside_auto = [r for r in (tmux_inside_once(db, "auto") for _ in range(tmux_repeat)) if r]
    finally:
        subprocess.run(["tmux", "kill-session", "-t", keeper], capture_output=True)
    app_import, torch_in_import = importtime()

    print(f"\n{args.runs} runs, {headless[0]['rows']} models; medians of {args.repeat} (2-core CPU, shared)")
    print(f"{'':44}{'first paint':>12}{'table filled':>14}{'all rows read':>15}")
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    print(f"CPU {cpu}, {os.cpu_count()} cores; load average {load_before:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} after the headless runs")
    for label, runs in (("baseline: headless (process start ->)", baseline),
                        ("headless subprocess (process start ->)", headless)):
        if runs:
            print(f"{label:44}{median([h['paint'] for h in runs]):>12}"
                  f"{median([h.get('first', h['data']) for h in runs]):>14}{median([h['data'] for h in runs]):>15}")
            after_paint = [h.get("first", h["data"]) - h["paint"] for h in runs]
            print(f"{'  table filled after the first frame':44}{'':>12}{median(after_paint):>14}")
    for label, runs in (("tmux, timed by the app, images half-cell", inside_half),
                        ("tmux, timed by the app, images auto", inside_auto)):
        if runs:
            print(f"{label:44}{median([r['paint'] for r in runs]):>12}{median([r['data'] for r in runs]):>14}")
    if tmux_half:
        print(f"{'tmux, seen by capture-pane, half-cell':44}{median([t['paint'] for t in tmux_half if 'paint' in t]):>12}"
              f"{median([t['data'] for t in tmux_half if 'data' in t]):>14}")  # fmt: skip
    if tmux_auto:
        print(f"{'tmux, seen by capture-pane, auto':44}{median([t['paint'] for t in tmux_auto if 'paint' in t]):>12}"
              f"{median([t['data'] for t in tmux_auto if 'data' in t]):>14}")  # fmt: skip
    print(f"import cgan_tui.ui.app (cumulative, -X importtime): {app_import * 1000:.0f} ms")
    print(f"torch imported: by the app modules {torch_in_import}; inside the running app "
          f"{any(h.get('torch_imported') for h in headless)}")
    print(json.dumps({"headless": headless, "tmux_halfcell": tmux_half, "tmux_auto": tmux_auto}, default=str)[:0])


if __name__ == "__main__":
    main()
