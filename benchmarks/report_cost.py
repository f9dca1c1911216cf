"""Size and build time of ``cgan-tui report`` for a database of N models.

usage: PYTHONPATH=. python benchmarks/report_cost.py [--settings 8] [--seeds 1] [--epochs 30] [--db PATH]

Without --db it writes a fixture database (``tests/report/fixture_db.py``: fake metric rows, random
10 x 8 grids, per-epoch losses; the seed 000 shape is 8 settings x checkpoints 10/20/30 = 24 models)
and times ``cgan-tui report`` on it in this process (plugin loading, reading, figures, writing). With
--db it times the report of that database as it is (e.g. the quick-start runs). Random-pixel grids
compress worse than real samples, so the fixture's sizes are an upper bound for its model count.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settings", type=int, default=8)
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--db", help="an existing database to report instead of the fixture")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from cgan_tui.cli import main as cli

    work = Path(tempfile.mkdtemp(prefix="report-cost-"))
    if args.db:
        db = Path(args.db)
    else:
        from cgan_tui.plugins import load_plugins
        from tests.report.fixture_db import build

        db = work / "experiments.db"
        build(db, load_plugins(), settings=args.settings, seeds=args.seeds, epochs=args.epochs,
              checkpoints=(args.epochs // 3, 2 * args.epochs // 3, args.epochs))  # fmt: skip
    times, cpu = [], []
    for i in range(args.repeat):
        out = work / f"out{i}"
        started, cpu_started = time.perf_counter(), time.process_time()
        assert cli(["report", "--db", str(db), "-o", str(out)]) == 0
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    html = (out / "report.html").stat().st_size
    figs = sorted((out / "report_figures").iterdir())
    md = (out / "report.md").stat().st_size + sum(p.stat().st_size for p in figs)
    print(f"report.html {html / 1024:.0f} KiB; report.md + {len(figs)} PNGs {md / 1024:.0f} KiB; "
          f"build {min(times):.2f} s best / {max(times):.2f} s worst of {len(times)} wall, "
          f"{min(cpu):.2f} s CPU best (incl. plugin loading; the first run also imports matplotlib)")  # fmt: skip


if __name__ == "__main__":
    main()
