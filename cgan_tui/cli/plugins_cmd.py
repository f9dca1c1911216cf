"""``cgan-tui plugins [--json]``: every plugin seen, what it provides, where it comes from, its status.

A plugin that failed is a row with its error, not a crash: the command exits 0 whatever it finds,
so it is the place to look when a loss or metric is missing from the other commands.
"""

from __future__ import annotations

import argparse
import json
import sys

from cgan_tui.plugins import PluginInfo, load_plugins
from cgan_tui.safe_text import literal, plain_console
from cgan_tui.specs import HOOKSPEC_VERSION
from cgan_tui.styles import PLUGIN_STATUS_STYLE


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.shared import add_common

    parser = subparsers.add_parser(
        "plugins",
        help="list plugins: name, kinds provided, package, version, status/error",
        description="List every plugin (built-in and installed) with what it provides and its load status. "
        "A failed plugin is reported here and skipped everywhere else.",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    add_common(parser)
    parser.set_defaults(func=run)


def provides_text(info: PluginInfo) -> str:
    """``losses: rahinge, rsgan; metrics: ...`` with a count per kind."""
    parts = [f"{kind} ({len(names)}): {', '.join(names)}" for kind, names in info.provides.items()]
    return "; ".join(parts) or "-"


WIDE = 120
"""Console width from which the listing is a table; narrower, one block per plugin."""


def _status(info: PluginInfo):
    return literal(info.status, PLUGIN_STATUS_STYLE.get(info.status, ""))


def _table(plugins: list[PluginInfo]):
    from rich.table import Table

    table = Table(title=f"cgan-tui plugins (hook spec version {HOOKSPEC_VERSION})", show_lines=False)
    for column in ("name", "package", "version", "status"):
        table.add_column(column, no_wrap=True)
    table.add_column("provides", overflow="fold", ratio=1)
    table.add_column("error", overflow="fold", ratio=1)
    for info in plugins:
        table.add_row(info.name, info.package, info.version, _status(info), provides_text(info), info.error)
    return table


def _print_block(console, info: PluginInfo) -> None:
    """``name  package version  status`` then the provided names and any error, indented."""
    from rich.padding import Padding
    from rich.text import Text

    console.print(Text.assemble(literal(f"{info.name}  {info.package} {info.version}  "), _status(info)))
    console.print(Padding(literal(provides_text(info)), (0, 0, 0, 4), expand=False))
    if info.error:
        console.print(Padding(Text.assemble(("error: ", "red"), literal(info.error)), (0, 0, 0, 4), expand=False))


def run(args: argparse.Namespace) -> int:
    from cgan_tui.cli.shared import disabled_plugins

    registries = load_plugins(disabled=disabled_plugins(args), strict_disabled=True)
    if args.json:
        json.dump([info.to_dict() for info in registries.plugins], sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0

    console = plain_console()
    if console.width >= WIDE:
        console.print(_table(registries.plugins))
    else:  # a table squeezes "provides" to a few letters per line on an 80-column (or piped) output
        console.print(f"cgan-tui plugins (hook spec version {HOOKSPEC_VERSION})", highlight=False)
        for info in registries.plugins:
            _print_block(console, info)
    failed = [i.name for i in registries.plugins if i.status in ("failed", "partial")]
    if failed:
        print(f"{len(failed)} plugin(s) with errors: {', '.join(failed)} (skipped; the rest work)")
    return 0
