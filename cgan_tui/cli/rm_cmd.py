"""``cgan-tui rm RUN...``: remove runs with every row and file of theirs, after a confirmation.

Rows first, in one transaction (``store.queries.remove_runs``: all or none, never a running run), then the
files through the artifact store (``cgan_tui.artifacts.remove_run_files``: only folders named for these
runs). On a terminal it asks; without one it needs ``--yes``.
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


def _describe(store, run_ids: list[int]) -> list[str]:
    """One line per run: its label, status and how many checkpoint files it has; refuses a running run."""
    from cgan_tui.store import queries as q

    lines, running = [], []
    for run_id in run_ids:
        run = q.get_run(store, run_id)  # NoSuchRun names the ids there are
        status = getattr(run.status, "value", str(run.status))
        if status == "running":
            running.append(run_id)
        files = len(q.checkpoints(store, run_id))
        lines.append(f"  run {run_id} {q.run_config(run).label} ({status}, {files} checkpoint{'' if files == 1 else 's'})")
    if running:
        which = ", ".join(map(str, running))
        raise q.RunIsRunning(f"run {which} is running; cancel it first (cgan-tui queue cancel {which}); nothing was removed")
    return lines


def _confirmed(lines: list[str], yes: bool) -> bool:
    """``--yes``, else the user's "y" on a terminal; without a terminal (and no --yes) a one-line refusal."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UserError("rm asks before removing and there is no terminal to ask on; add --yes to remove "
                        "without asking (nothing was removed)")  # fmt: skip
    print("remove, with every row and file of theirs:")
    print(visible("\n".join(lines)))
    try:
        answer = input("remove them? [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")


def run_rm(args: argparse.Namespace) -> int:
    from cgan_tui.artifacts import remove_run_files
    from cgan_tui.store import queries as q

    run_ids = list(dict.fromkeys(args.run_ids))
    store = open_from_args(args)
    try:
        if not _confirmed(_describe(store, run_ids), args.yes):
            print("nothing was removed")
            return 1
        removed = q.remove_runs(store, run_ids)
        failed: list[str] = []
        for run in removed:
            files, not_removed = remove_run_files(store.artifact_store, run.run_id, run.checkpoint_locations)  # type: ignore[arg-type]
            failed.extend(not_removed)
            paths = f"{len(files)} path{'' if len(files) == 1 else 's'}"
            print(f"removed run {run.run_id} ({run.status}) and its files ({paths})")
    finally:
        store.dispose()
    for line in failed:
        print(visible(f"cgan-tui: could not remove {line} (the run's rows are gone; delete it by hand)"), file=sys.stderr)
    return 1 if failed else 0
