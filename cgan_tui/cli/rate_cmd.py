"""``cgan-tui rate``: human ratings (1..5 per criterion) of a model's samples, feeding the final score."""

from __future__ import annotations

import argparse

from cgan_tui.cli.shared import add_score_options, open_from_args, registries_from_args, score_args
from cgan_tui.errors import UserError
from cgan_tui.scoring import RATING_CRITERIA, rating_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.shared import add_common

    rate = subparsers.add_parser(
        "rate",
        help=f"rate a model's samples 1..5 ({', '.join(c.replace('_', ' ') for c in RATING_CRITERIA)})",
        description="Human visual ratings feeding the final score (all four criteria are needed for it).",
    )
    rate.add_argument("run_id", type=int, metavar="RUN_ID")
    rate.add_argument("--epoch", type=int, required=True)
    for criterion in RATING_CRITERIA:
        rate.add_argument(rating_flag(criterion), dest=criterion, type=int, metavar="1..5")
    rate.add_argument("--rater", default="me", help="who rates (ratings are averaged over raters)")
    add_score_options(rate)
    add_common(rate)
    rate.set_defaults(func=run_rate)


def run_rate(args: argparse.Namespace) -> int:
    from cgan_tui import results
    from cgan_tui.formatting import missing_text
    from cgan_tui.store import queries as q
    from cgan_tui.store.guard import StoreWriteError

    given = {c: getattr(args, c) for c in RATING_CRITERIA if getattr(args, c) is not None}
    if not given:
        raise UserError(f"give at least one rating: {', '.join(map(rating_flag, RATING_CRITERIA))} (1..5)")
    preset, weights = score_args(args)
    store = open_from_args(args)
    try:
        q.check_rateable(store, args.run_id, args.epoch)
        saved: list[str] = []
        for criterion, value in given.items():
            try:
                q.add_rating(store, args.run_id, args.epoch, criterion, value, rater=args.rater)
            except StoreWriteError as exc:
                done = f" (saved before it: {', '.join(saved)})" if saved else ""
                raise StoreWriteError(exc.kind, f"rating {criterion}={value} not saved: {exc}{done}") from None
            saved.append(f"{criterion}={value}")
        rows = [r for r in results.load_results(store, registries_from_args(args), preset=preset, weights=weights)
                if r.run_id == args.run_id and r.epoch == args.epoch]  # fmt: skip
    finally:
        store.dispose()
    print(f"rated run {args.run_id} epoch {args.epoch}: " + ", ".join(f"{k}={v}" for k, v in given.items()))
    for row in rows:
        finals = {k: v for k, v in row.scores.items() if k.startswith("final@")}
        for key, value in finals.items():
            text = f"{value:.2f}" if value is not None else f"{missing_text(row, key)} ({row.why_missing(key)})"
            print(f"  {key} [{preset}]: {text}")
        if not finals:
            print("  final score: needs an evaluated model (cgan-tui eval RUN_ID) and all four ratings")
    return 0
