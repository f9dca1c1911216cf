"""Text captures of the app's screens for docs/tui.md (not a test).

    .venv/bin/python tests/ui/capture.py [OUT_DIR]

Trains the same three tiny real runs as the UI tests (into a temp database), drives the app with
Pilot exactly as a user would, and writes one ``.txt`` file per screen (the screen as plain text;
half-cell pictures become shade characters, see ``tests/ui/shade.py``).
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402

from tests.conftest import make_fmnist_dir  # noqa: E402
from tests.ui import conftest as ui  # noqa: E402
from tests.ui.shade import shade  # noqa: E402


async def shot(pilot) -> str:
    """Let pending layout and repaints finish, then capture."""
    await pilot.pause(0.5)
    pilot.app.screen.refresh(layout=True)
    await pilot.pause(0.3)
    return screen_text(pilot.app)


def screen_text(app) -> str:
    """The current screen as plain text (what export_screenshot draws, without the SVG); pictures shaded."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True, record=True,
                      legacy_windows=False, safe_box=False, color_system="truecolor")  # fmt: skip
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return shade(console.export_text(styles=True))


def build_db() -> tuple[str, list[int], object]:
    """Three tiny real runs plus two queued ones, in a temp database."""
    from cgan_tui.config import RunConfig
    from cgan_tui.plugins import load_plugins
    from cgan_tui.runner.queue import enqueue_grid
    from cgan_tui.store.db import open_store

    tmp = Path(tempfile.mkdtemp(prefix="cgan-tui-capture-"))
    data = make_fmnist_dir(tmp / "fmnist")
    registries = load_plugins()
    url = f"sqlite:///{tmp / 'experiments.db'}"
    ids = ui._train_runs(url, data, registries)
    store = open_store(url)
    enqueue_grid(store, [RunConfig(model="seed000", loss=loss, embed_dim=32) for loss in ("hinge", "wgan-gp")],
                 registries=registries, priority=1)
    store.dispose()
    return url, ids, registries


async def capture(out: Path, url: str, ids: list[int], registries, size=(132, 42)) -> None:
    from cgan_tui.ui.app import CganApp
    from cgan_tui.ui.screens.detail import RunDetailScreen
    from cgan_tui.ui.services import Services

    app = CganApp(Services(url, plugin_loader=lambda: registries, image_renderer="halfcell", poll_interval=0.3,
                           grids_dir=ROOT / "grids"))  # fmt: skip
    shots: dict[str, str] = {}
    async with app.run_test(size=size) as pilot:
        await ui.wait_for(pilot, lambda: ui.results_loaded(app), what="results")
        await pilot.press("c")
        await pilot.pause(0.2)
        shots["results"] = await shot(pilot)
        await pilot.press("a")
        await pilot.pause(0.2)
        shots["aggregate"] = await shot(pilot)
        await pilot.press("escape")
        app.push_screen(RunDetailScreen(ids[0], 2))
        await ui.wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None
                          and app.screen.query_one("SampleGrid").png is not None, what="detail")  # fmt: skip
        await pilot.pause(0.3)
        shots["detail"] = await shot(pilot)
        await pilot.press("z", "down")  # class 1 (trousers) at full resolution
        await pilot.pause(1.0)
        shots["zoom"] = await shot(pilot)
        await pilot.press("escape", "escape")
        await pilot.press("home", "space", "down", "space", "v")
        await pilot.pause(1.5)
        shots["compare"] = await shot(pilot)
        await pilot.press("escape", "r")
        await pilot.pause(0.8)
        await pilot.press("4", "5")
        await pilot.pause(0.3)
        shots["rate"] = await shot(pilot)
        await pilot.press("escape", "2")
        await ui.wait_for(pilot, lambda: len(getattr(app.screen, "rows", [])) == 2, what="queue")
        shots["queue"] = await shot(pilot)
        await pilot.press("n")
        await pilot.pause(0.5)
        shots["new_run"] = await shot(pilot)
        await pilot.press("escape", "3")
        await pilot.pause(0.5)
        shots["plugins"] = await shot(pilot)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in shots.items():
        (out / f"{name}.txt").write_text(text + "\n", encoding="utf-8")
        print(f"wrote {out / (name + '.txt')}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--build"]:
        url, ids, _ = build_db()
        print(json.dumps({"url": url, "ids": ids}))
        sys.exit(0)
    # Build in a child process: after training in-process, DataTable column measuring came out wrong
    # in the captures (seen only here, not in the app), so the capturing process stays torch-free.
    built = json.loads(subprocess.run([sys.executable, __file__, "--build"], check=True, capture_output=True,
                                      text=True).stdout.strip().splitlines()[-1])  # fmt: skip
    from cgan_tui.plugins import load_plugins

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "tui-captures")
    asyncio.run(capture(out, built["url"], built["ids"], load_plugins()))
