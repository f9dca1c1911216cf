"""``cgan-tui tag``, ``note`` and ``archive``: what the researcher says about runs (``cgan_tui.labels``)."""

from __future__ import annotations

import argparse

from cgan_tui.cli.shared import open_from_args
from cgan_tui.errors import UserError
from cgan_tui.safe_text import visible

ARCHIVED_HINT = "hidden from ls and the app's table unless asked: ls --archived, filter archived:yes"


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli import add_common

    tag = subparsers.add_parser(
        "tag", help="add tags to runs (or take them off with --remove); filter with tag:NAME",
        usage="cgan-tui tag RUN [RUN ...] TAG [TAG ...] [--remove]",
        description="Tags are words such as best or baseline-v2: a letter, then letters, digits, _ . or -. "
        "The leading numbers are the runs, the words after them the tags.",
    )  # fmt: skip
    tag.add_argument("items", nargs="+", metavar="RUN... TAG...")
    tag.add_argument("--remove", action="store_true", help="take these tags off the runs")
    add_common(tag)
    tag.set_defaults(func=run_tag)

    note = subparsers.add_parser("note", help="set a run's free-text note (shown by show and the app); "
                                 "no text prints it, --clear removes it")  # fmt: skip
    note.add_argument("run_id", type=int, metavar="RUN")
    note.add_argument("text", nargs="*", metavar="TEXT", help="the note (words are joined with spaces)")
    note.add_argument("--clear", action="store_true", help="remove the note")
    add_common(note)
    note.set_defaults(func=run_note)

    archive = subparsers.add_parser("archive", help=f"archive runs ({ARCHIVED_HINT}); --unarchive brings them back")
    archive.add_argument("run_ids", type=int, nargs="+", metavar="RUN")
    archive.add_argument("--unarchive", action="store_true", help="show the runs again")
    add_common(archive)
    archive.set_defaults(func=run_archive)


def split_runs_and_tags(items: list[str]) -> tuple[list[int], list[str]]:
    """``3 4 best baseline`` -> ([3, 4], ["best", "baseline"]): the leading integers are runs."""
    runs: list[int] = []
    for i, item in enumerate(items):
        if not item.isdigit():
            tags = items[i:]
            break
        runs.append(int(item))
    else:
        tags = []
    if not runs:
        raise UserError(f"tag: give the runs first, then the tags (e.g. cgan-tui tag 3 4 best); got {visible(items[0])!r}")
    if not tags:
        raise UserError("tag: give at least one tag after the runs (e.g. cgan-tui tag 3 best)")
    return runs, tags


def run_tag(args: argparse.Namespace) -> int:
    from cgan_tui.labels import normalise
    from cgan_tui.store import queries as q

    runs, tags = split_runs_and_tags(args.items)
    checked = normalise(tags)  # a bad tag is refused before the database is opened
    store = open_from_args(args)
    try:
        if args.remove:
            q.change_tags(store, runs, remove=checked)
        else:
            q.change_tags(store, runs, add=checked)
        now = q.labels(store, runs)
    finally:
        store.dispose()
    for run_id in dict.fromkeys(runs):
        shown = " ".join(now[run_id].tags) if run_id in now and now[run_id].tags else "(none)"
        print(f"run {run_id}: tags {shown}")
    return 0


def run_note(args: argparse.Namespace) -> int:
    from cgan_tui.labels import check_note
    from cgan_tui.store import queries as q

    text = " ".join(args.text)
    if args.clear and text:
        raise UserError("note: give TEXT or --clear, not both")
    store = open_from_args(args)
    try:
        if not text and not args.clear:
            q.get_run(store, args.run_id)  # an unknown run is an error, not an empty note
            current = q.label(store, args.run_id).note
            print(visible(current) if current else f"run {args.run_id} has no note (cgan-tui note {args.run_id} TEXT)")
            return 0
        q.set_note(store, [args.run_id], "" if args.clear else check_note(text))
    finally:
        store.dispose()
    print(f"run {args.run_id}: note cleared" if args.clear else f"run {args.run_id}: note saved")
    return 0


def run_archive(args: argparse.Namespace) -> int:
    from cgan_tui.store import queries as q

    store = open_from_args(args)
    try:
        q.set_archived(store, args.run_ids, not args.unarchive)
    finally:
        store.dispose()
    ids = ", ".join(map(str, dict.fromkeys(args.run_ids)))
    print(f"unarchived run {ids}" if args.unarchive else f"archived run {ids} ({ARCHIVED_HINT})")
    return 0
