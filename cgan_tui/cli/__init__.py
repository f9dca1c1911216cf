"""``cgan-tui``: no arguments opens the TUI; subcommands do the same jobs headless.

Each command group lives in its own module exposing ``register(subparsers)``; the parser is built
from ``COMMAND_MODULES`` so commands are added without touching the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from cgan_tui import __version__
from cgan_tui.cli.shared import add_common, disabled_plugins  # noqa: F401 - disabled_plugins re-exported
from cgan_tui.errors import UserError

COMMAND_MODULES = (
    "cgan_tui.cli.train_cmd",  # train, show
    "cgan_tui.cli.plugins_cmd",  # plugins
    "cgan_tui.cli.ls_cmd",  # ls
    "cgan_tui.cli.eval_cmd",  # eval
    "cgan_tui.cli.rate_cmd",  # rate
    "cgan_tui.cli.export_cmd",  # export
    "cgan_tui.cli.weights_cmd",  # weights
    "cgan_tui.cli.queue_cmd",  # queue, worker
    "cgan_tui.cli.sample_cmd",  # sample
    "cgan_tui.cli.report_cmd",  # report
    "cgan_tui.cli.serve_cmd",  # serve
    "cgan_tui.cli.label_cmd",  # tag, note, archive
    "cgan_tui.cli.rm_cmd",  # rm
    "cgan_tui.cli.diff_cmd",  # diff
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cgan-tui",
        description="Run and compare conditional GAN experiments on Fashion-MNIST. "
        "With no command, opens the terminal app.",
    )
    parser.add_argument("--version", action="version", version=f"cgan-tui {__version__}")
    add_common(parser)
    parser.add_argument(
        "--executor", default=None, metavar="KIND",
        help="what the queue screen's w key starts: local worker processes (default) or ray actors ($RAY_ADDRESS)",
    )  # fmt: skip
    parser.add_argument(
        "--read-only", action="store_true",
        help="open the app read-only: queueing, rating, cancelling and starting workers are refused "
        "(how `cgan-tui serve` starts it for each browser unless --allow-writes)",
    )  # fmt: skip
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _use_artifacts(getattr(args, "artifacts", None))
        if args.command is None:
            from cgan_tui.cli.app_cmd import run_app

            return run_app(args)
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below
        return code
    except UserError as exc:
        from cgan_tui.redact import redact

        print(f"cgan-tui: error: {redact(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cgan-tui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `cgan-tui ls | head`: the reader left; stop quietly like other Unix tools do.
        _silence_stdout()
        return 141


def _use_artifacts(value: str | None) -> None:
    """``--artifacts`` becomes ``$CGAN_TUI_ARTIFACTS`` for this process and every worker it starts
    (subprocesses inherit it, Ray actors get the driver's CGAN_TUI_* variables): one channel, one rule."""
    if value is None:
        return
    import os

    from cgan_tui.artifacts import ArtifactStore
    from cgan_tui.settings import ARTIFACTS_ENV

    os.environ[ARTIFACTS_ENV] = str(ArtifactStore.parse(value))  # validated; a folder becomes absolute


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    sys.exit(main())
