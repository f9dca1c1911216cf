"""``cgan-tui report [--experiment NAME | RUN_ID ...] -o DIR``: report.html (self-contained) and report.md.

The report package (matplotlib) is imported only when the command runs: ``cgan-tui`` and the TUI
start without it.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from cgan_tui.errors import UserError
from cgan_tui.formatting import count


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.shared import add_common, add_score_options

    p = subparsers.add_parser(
        "report",
        help="write report.html (self-contained) and report.md with figures for a set of runs",
        description="A report a researcher can share: the models table per backend (values with n and network), "
        "ranking by combined next to ranking by human rating, settings across seeds (95%% CI, Welch's test), "
        "figures (losses, metrics per epoch, training time, sample grids, per-class diversity) and every "
        "run's config. report.html embeds everything (opens offline); report.md has its PNGs in report_figures/.",
    )
    p.add_argument("run_ids", nargs="*", type=int, metavar="RUN_ID", help="runs to report (default: all)")
    p.add_argument("--experiment", metavar="NAME", help="the runs of this experiment")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="folder to write into (created if missing)")
    p.add_argument("--figures", default="png", metavar="FORMATS",
                   help="figure formats, comma-separated from png, pdf, svg (default: png; PNGs are always written "
                        "for report.html/md): every figure is also written in the others, and each run's last "
                        "sample grid is written labelled at 300 dpi into print_grids/")  # fmt: skip
    add_score_options(p)
    add_common(p)
    p.set_defaults(func=run_report)


def output_dir(text: str) -> Path:
    """The -o folder, created if missing; a one-line error when it cannot be written."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise UserError(f"-o {text}: is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"-o {text}: cannot create the folder ({exc.strerror or exc})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UserError(f"-o {text}: folder is not writable")
    return path


def run_report(args: argparse.Namespace) -> int:
    from cgan_tui.cli.shared import open_from_args, registries_from_args, score_args

    formats = figure_formats(args.figures)
    preset, weights = score_args(args)
    if weights is not None:
        raise UserError("report uses a named --preset (research, commercial, academic); --weights is for ls")
    started = time.perf_counter()
    registries = registries_from_args(args)
    store = open_from_args(args)
    try:
        from cgan_tui.report import data as report_data

        data = report_data.collect(store, registries, experiment=args.experiment, run_ids=args.run_ids,
                                   preset=preset, database=_db_name(store))  # fmt: skip
    finally:
        store.dispose()
    out = output_dir(args.output)
    from cgan_tui.report import build

    try:
        paths = build.write(data, out, formats)
    except OSError as exc:
        raise UserError(f"cannot write the report into {out}: {exc.strerror or exc}") from None
    seconds = time.perf_counter() - started
    size = paths["html"].stat().st_size
    print(f"{paths['html']} ({size / 1024:.0f} KiB, self-contained), {paths['md']} (figures in "
          f"{paths['figures']}, print grids in {paths['print']}: {', '.join(formats)}); "
          f"{count(len(data.runs), 'run')}, {count(len(data.rows), 'model')} in {seconds:.1f} s")  # fmt: skip
    return 0


FIGURE_FORMATS = ("png", "pdf", "svg")
"""``--figures``' choices: matplotlib writes each (PNG always: report.html embeds it, report.md links it)."""


def figure_formats(text: str) -> tuple[str, ...]:
    """``png,pdf,svg`` -> the formats in order without repeats; a one-line error for an unknown one."""
    chosen = tuple(dict.fromkeys(f.strip().lower().lstrip(".") for f in text.split(",") if f.strip()))
    unknown = [f for f in chosen if f not in FIGURE_FORMATS]
    if unknown or not chosen:
        raise UserError(f"--figures {text!r}: unknown format {', '.join(unknown) or '(none given)'}; "
                        f"valid: {', '.join(FIGURE_FORMATS)} (comma-separated)")  # fmt: skip
    return chosen


def _db_name(store) -> str:
    """The database as a reader should see it: the SQLite file name, else the URL without password."""
    from cgan_tui.store.location import database_label

    return database_label(store.url)  # every secret form redacted (user:pw@, ?password=, ?passfile=)
