"""Helpers the results commands (``ls``, ``eval``, ``rate``, ``export``, ``sample``, ``report``) share:
final-score options, the store, the plugin registries and a console sized for tables."""

from __future__ import annotations

import argparse
import shutil
import sys

from cgan_tui.errors import UserError
from cgan_tui.safe_text import plain_console
from cgan_tui.scoring import DEFAULT_PRESET, PRESETS


def add_score_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default=DEFAULT_PRESET,
                        help=f"final-score weights: {', '.join([*PRESETS, 'custom'])} (default {DEFAULT_PRESET})")
    parser.add_argument("--weights", metavar="W1,W2", help="custom final-score weights (quantitative, qualitative)")


def score_args(args: argparse.Namespace) -> tuple[str, tuple[float, float] | None]:
    if not getattr(args, "weights", None):
        return args.preset, None
    try:
        w = tuple(float(x) for x in args.weights.split(","))
    except ValueError:
        raise UserError(f"--weights expects two numbers like 0.6,0.4, got {args.weights!r}") from None
    if len(w) != 2:
        raise UserError(f"--weights expects two numbers like 0.6,0.4, got {args.weights!r}")
    return "custom", w  # type: ignore[return-value]


def open_from_args(args: argparse.Namespace, create: bool = False):
    from cgan_tui.store.db import open_store

    return open_store(getattr(args, "db", None), create=create)


def registries_from_args(args: argparse.Namespace):
    from cgan_tui.cli import disabled_plugins
    from cgan_tui.plugins import load_plugins

    return load_plugins(disabled=disabled_plugins(args))


def make_console(width: int | None = None):
    # a terminal gets its own width; a pipe or file gets whole rows, never squashed columns
    if width is None:
        width = shutil.get_terminal_size((200, 40)).columns if sys.stdout.isatty() else 10_000
    return plain_console(width=max(width, 40), soft_wrap=False)  # names and labels print as typed
