"""``cgan-tui`` with no command: open the terminal app on the chosen database."""

from __future__ import annotations

import argparse
import threading
from functools import partial

from cgan_tui.settings import settings


def run_app(args: argparse.Namespace) -> int:
    """Resolve the DB URL, choose the image renderer, build the services and run the app."""
    from cgan_tui.cli.shared import disabled_plugins
    from cgan_tui.ui import renderers
    from cgan_tui.ui.services import Services

    renderers.parse(settings().images)  # a bad value fails here, before any probing
    executor = getattr(args, "executor", None) or "local"
    from cgan_tui.runner.executors import EXECUTORS

    if executor not in EXECUTORS:
        from cgan_tui.errors import UserError

        raise UserError(f"--executor {executor!r} is unknown; valid: {', '.join(sorted(EXECUTORS))}")
    choice: list[renderers.Choice] = []
    # The renderer must be detected (and textual-image must measure the cells) before Textual takes the
    # terminal over. Probing mostly waits for the terminal's answers, so it runs while this thread
    # imports the app.
    probe = threading.Thread(target=lambda: choice.append(_choose(renderers)), name="image-probe", daemon=True)
    probe.start()
    from cgan_tui.ui.app import CganApp

    probe.join()
    services = Services(
        db_url=getattr(args, "db", None),  # resolved and opened in a thread, after the first frame
        plugin_loader=partial(_load_plugins, disabled_plugins(args)),
        image_renderer=choice[0].name if choice else "halfcell",
        image_reason=choice[0].reason if choice else "terminal probe failed",
        executor=executor,
        read_only=bool(getattr(args, "read_only", False)),
    )
    CganApp(services).run()
    return 0


def _choose(renderers):
    choice = renderers.choose(settings().images)
    if renderers.RENDERERS[choice.name].widget_class is not None:
        renderers.graphics_widgets()
    return choice


def _load_plugins(disabled: list[str]):
    from cgan_tui.plugins import load_plugins

    return load_plugins(disabled=disabled)
