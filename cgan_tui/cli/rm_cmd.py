"""``cgan-tui rm RUN...``: remove runs with every row and file of theirs, after a confirmation.

Rows first, in one transaction (all or none, never a running run), then the files through the artifact
store (only folders named for these runs): ``store.queries.remove_runs_and_files``, which the app's results
screen uses too. On a terminal it asks; without one it needs ``--yes``.
"""

from __future__ import annotations

import argparse
import sys

from cgan_tui.cli.shared import open_from_args
from cgan_tui.errors import UserError
from cgan_tui.safe_text import visible


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli import add_common

    rm = subparsers.add_parser(
        "rm", help="remove runs: their rows (metrics, grids, ratings, checkpoints, labels) and files",
        description="Removes the runs' rows and their checkpoints and logs (local folder or --artifacts URL). "
        "A running run is refused: cancel it first. Asks on a terminal; elsewhere give --yes. "
        "To hide a run but keep it, use cgan-tui archive.",
    )  # fmt: skip
    rm.add_argument("run_ids", type=int, nargs="+", metavar="RUN")
    rm.add_argument("-y", "--yes", action="store_true", help="remove without asking (needed without a terminal)")
    add_common(rm)
    rm.set_defaults(func=run_rm)


def _confirmed(lines: list[str], yes: bool) -> bool:
    """``--yes``, else the user's "y" on a terminal; without a terminal (and no --yes) a one-line refusal."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UserError("rm asks before removing and there is no terminal to ask on; add --yes to remove "
                        "without asking (nothing was removed)")  # fmt: skip
    print("remove, with every row and file of theirs:")
    print(visible("\n".join(f"  {line}" for line in lines)))
    try:
        answer = input("remove them? [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def run_rm(args: argparse.Namespace) -> int:
    from cgan_tui.store import queries as q

    run_ids = list(dict.fromkeys(args.run_ids))
    store = open_from_args(args)
    try:
        if not _confirmed(q.describe_removal(store, run_ids), args.yes):  # the app's confirm shows the same lines
            print("nothing was removed")
            return 1
        done, failed = q.remove_runs_and_files(store, run_ids)
        for line in done:
            print(line)
    finally:
        store.dispose()
    for line in failed:
        print(visible(f"cgan-tui: could not remove {line} (the run's rows are gone; delete it by hand)"), file=sys.stderr)
    return 1 if failed else 0
