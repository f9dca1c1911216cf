"""Sorting 10,000 result rows: ``results.sort_rows`` (what the results screen uses) vs ``DataTable.sort``.

    .venv/bin/python benchmarks/ui_sort.py [--rows 10000] [--repeat 15]

The results screen sorts its full row list with ``cgan_tui.results.sort_rows`` (missing values last,
multi-key) and draws one page; ``DataTable.sort`` on a table holding all 10,000 rows x 8 float columns
is the alternative measured side by side. Prints median milliseconds and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time

from cgan_tui.results import ResultRow, sort_rows

KEYS = ("fid@inception", "is@inception", "lpips@lpips", "kid@inception", "fid@classifier", "class_acc@classifier")


def make_rows(n: int, seed: int = 0) -> list[ResultRow]:
    rng = random.Random(seed)
    losses = ("bce", "hinge", "lsgan", "wgan-gp")
    rows = []
    for i in range(n):
        row = ResultRow(run_id=i // 3 + 1, epoch=(10, 20, 30)[i % 3], model="seed000", loss=losses[i % 4],
                        conditioning="embedding", d_conditioning="label-map", embed_dim=(10, 32)[i % 2],
                        planned_epochs=30, seed=i, status="completed")  # fmt: skip
        for key in KEYS:
            row.values[key] = None if rng.random() < 0.05 else rng.uniform(0, 100)  # 5% missing
        row.scores["combined@inception"] = rng.uniform(30, 120)
        row.scores["final@inception"] = None if rng.random() < 0.5 else rng.uniform(0, 100)
        rows.append(row)
    return rows


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


async def datatable_sort_ms(rows: list[ResultRow], repeat: int) -> tuple[float, float]:
    from textual.app import App
    from textual.widgets import DataTable

    cols = ["combined@inception", "final@inception", *KEYS]

    class Bench(App):
        def compose(self):
            yield DataTable()

    app = Bench()
    async with app.run_test(size=(160, 40)) as pilot:
        table = app.query_one(DataTable)
        for key in cols:
            table.add_column(key, key=key)
        start = time.perf_counter()
        table.add_rows([[r.get(k) if r.get(k) is not None else float("inf") for k in cols] for r in rows])
        add_ms = (time.perf_counter() - start) * 1000
        await pilot.pause()
        sort_ms = timed(lambda: table.sort("fid@inception"), repeat)
    return sort_ms, add_ms


async def screen_sort_ms(rows: list[ResultRow], repeat: int) -> float:
    """What the `f` key costs on the results screen: sort the full list and redraw one page."""
    import tempfile
    from pathlib import Path

    from cgan_tui.ui.app import CganApp
    from cgan_tui.ui.screens.results import ResultsScreen
    from cgan_tui.ui.services import Services

    folder = Path(tempfile.mkdtemp(prefix="cgan-ui-sort-"))
    app = CganApp(Services(f"sqlite:///{folder / 'empty.db'}", image_renderer="halfcell", poll_interval=3600))
    async with app.run_test(size=(200, 50)) as pilot:
        while not (isinstance(app.screen, ResultsScreen) and app.screen.loaded and not app.screen._loading):
            await pilot.pause(0.05)
        screen = app.screen
        screen.rows = rows
        screen.loaded = True
        screen.refresh_view()
        await pilot.pause()
        assert len(screen.view) == len(rows)
        samples = []
        if os.environ.get("CGAN_UI_PROFILE"):
            import cProfile

            cProfile.runctx("screen.set_sort('fid@inception')", globals(), locals(), sort="cumtime")
        for _ in range(repeat):
            start = time.perf_counter()
            screen.set_sort("fid@inception")  # toggles direction each time: a real re-sort
            samples.append(time.perf_counter() - start)
            await pilot.pause()
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    one = timed(lambda: sort_rows(rows, [("fid@inception", False)]), args.repeat)
    two = timed(lambda: sort_rows(rows, [("loss", False), ("combined@inception", False)]), args.repeat)
    final = timed(lambda: sort_rows(rows, [("final@inception", True)]), args.repeat)
    dt_sort, dt_add = asyncio.run(datatable_sort_ms(rows, args.repeat))
    screen = asyncio.run(screen_sort_ms(rows, args.repeat))
    print(f"{args.rows} rows, median of {args.repeat} (ms)")
    print(f"  results.sort_rows  by FID                      {one:8.1f}")
    print(f"  results.sort_rows  by loss, then combined      {two:8.1f}")
    print(f"  results.sort_rows  by final (50% missing)      {final:8.1f}")
    print(f"  DataTable.sort     by FID (8 float columns)    {dt_sort:8.1f}   (add_rows once: {dt_add:.0f} ms)")
    print(f"  ratio DataTable.sort / sort_rows (FID)         {dt_sort / one:8.2f}")
    print(f"  results screen `f`: sort all + draw one page   {screen:8.1f}")


if __name__ == "__main__":
    main()
