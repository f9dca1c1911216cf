"""``cgan-tui diff RUN RUN...``: the configuration fields that differ between runs (``results.config_diff``)."""

from __future__ import annotations

import argparse
import json

from cgan_tui.cli.shared import make_console, open_from_args
from cgan_tui.errors import UserError
from cgan_tui.safe_text import visible


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli import add_common

    diff = subparsers.add_parser("diff", help="the config fields that differ between runs (compare shows the same)")
    diff.add_argument("run_ids", type=int, nargs="+", metavar="RUN")
    diff.add_argument("--all", action="store_true", help="list the equal fields too")
    diff.add_argument("--json", action="store_true", help="print JSON: differs (field -> values) and same")
    add_common(diff)
    diff.set_defaults(func=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    from rich.table import Table

    from cgan_tui.results.config_diff import config_diff
    from cgan_tui.store import queries as q

    run_ids = list(dict.fromkeys(args.run_ids))
    if len(run_ids) < 2:
        raise UserError("diff needs at least two different runs, e.g. cgan-tui diff 3 7")
    store = open_from_args(args)
    try:
        configs = [(run_id, q.get_run(store, run_id).config) for run_id in run_ids]
    finally:
        store.dispose()
    diff = config_diff(configs)
    if args.json:
        # the stored values as JSON values (numbers, lists, booleans), not their display text; null: absent
        print(json.dumps({"runs": list(diff.run_ids),
                          "differs": {name: list(diff.values[name]) for name, _ in diff.differs},
                          "same": {name: diff.values[name][0] for name, _ in diff.same}},
                         indent=2, default=str))  # fmt: skip
        return 0
    console = make_console()
    if not diff.differs:
        console.print(f"runs {', '.join(map(str, run_ids))}: all {len(diff.same)} config fields are equal")
        return 0
    table = Table(header_style="bold")
    table.add_column("field", no_wrap=True)
    for run_id in diff.run_ids:
        table.add_column(f"run {run_id}", no_wrap=True)
    for name, values in diff.differs:
        table.add_row(visible(name), *(visible(v) for v in values))  # stored text cannot drive the terminal
    console.print(table)
    if args.all:
        console.print("equal:")
        for name, value in diff.same:
            console.print(visible(f"  {name} = {value}"))
    else:
        console.print(f"{len(diff.differs)} fields differ, {len(diff.same)} are equal (--all lists them)")
    return 0
