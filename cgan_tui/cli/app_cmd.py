"""``cgan-tui`` with no command: open the terminal app on the chosen database."""

from __future__ import annotations

import argparse
import os
import threading
from functools import partial


def run_app(args: argparse.Namespace) -> int:
    """Resolve the DB URL, build the services and run the app; plugins load in a background thread."""
    from cgan_tui.cli import disabled_plugins
    from cgan_tui.ui.services import Services

    renderer = os.environ.get("CGAN_TUI_IMAGES", "auto")
    services = Services(
        db_url=getattr(args, "db", None),  # resolved and opened in a thread, after the first frame
        plugin_loader=partial(_load_plugins, disabled_plugins(args)),
        image_renderer=renderer,
    )
    probe = None
    if renderer == "auto":
        # textual-image must probe the terminal before Textual takes it over. The probe mostly waits
        # for the terminal's answers, so it runs in a thread while this one imports the app.
        from cgan_tui.ui.widgets.sample_grid import preload_image_support

        probe = threading.Thread(target=preload_image_support, name="image-probe", daemon=True)
        probe.start()
    from cgan_tui.ui.app import CganApp

    if probe is not None:
        probe.join()
    CganApp(services).run()
    return 0


def _load_plugins(disabled: list[str]):
    from cgan_tui.plugins import load_plugins

    return load_plugins(disabled=disabled)
