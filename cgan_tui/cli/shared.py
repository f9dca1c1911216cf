"""Helpers the commands share: the options every command accepts (``add_common``), final-score
options, the store, the plugin registries and a console sized for tables. The command modules import
them from here, never from ``cgan_tui.cli`` (which imports the command modules)."""

from __future__ import annotations

import argparse
import shutil
import sys

from cgan_tui.errors import UserError
from cgan_tui.safe_text import plain_console
from cgan_tui.scoring import DEFAULT_PRESET, PRESETS


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options every command accepts (also accepted after the subcommand name)."""
    parser.add_argument(
        "--db",
        default=argparse.SUPPRESS,
        help="database URL or SQLite path (default: $CGAN_TUI_DB or ./experiments.db)",
    )
    parser.add_argument(
        "--artifacts",
        default=argparse.SUPPRESS,
        metavar="URL",
        help="where checkpoints and run logs go: a folder or an fsspec URL such as s3://bucket/prefix "
        "(default: $CGAN_TUI_ARTIFACTS, else beside a SQLite file, else ./cgan_artifacts)",
    )
    parser.add_argument(
        "-p",
        dest="plugin_flags",
        action="append",
        default=argparse.SUPPRESS,
        metavar="no:NAME",
        help="disable plugin NAME (repeatable); also $CGAN_TUI_DISABLE_PLUGINS=a,b",
    )


def disabled_plugins(args: argparse.Namespace) -> list[str]:
    """Plugin names from ``-p no:NAME`` flags; anything else is a clear error."""
    from cgan_tui.plugins import parse_disable_flags

    return parse_disable_flags(getattr(args, "plugin_flags", None) or [])


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
    from cgan_tui.plugins import load_plugins

    return load_plugins(disabled=disabled_plugins(args))


def make_console(width: int | None = None):
    # a terminal gets its own width; a pipe or file gets whole rows, never squashed columns
    if width is None:
        width = shutil.get_terminal_size((200, 40)).columns if sys.stdout.isatty() else 10_000
    return plain_console(width=max(width, 40), soft_wrap=False)  # names and labels print as typed
