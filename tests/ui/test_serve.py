"""``cgan-tui serve``: the app in a browser (textual-serve), read-only unless ``--allow-writes``.

The browser test starts the real server on a free local port, opens the page in headless Chromium
and reads the terminal that textual-serve draws (``tests/ui/browser.py``): the results table with the
database's runs, the header saying read-only, and the rate screen refusing. The read-only refusals
of every write are tested on the app itself with Pilot (cheaper than a browser per key).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from cgan_tui.cli import serve_cmd
from cgan_tui.errors import UserError
from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.queue import QueueScreen
from cgan_tui.ui.screens.rate import RateScreen
from cgan_tui.ui.services import READ_ONLY

from .browser import HANG_GUARD_S, Browser, chromium_path
from .conftest import results_loaded, wait_for

ROOT = Path(__file__).resolve().parents[2]
needs_serve = pytest.mark.skipif(importlib.util.find_spec("textual_serve") is None,
                                 reason="textual-serve not installed (pip install -e '.[test]')")  # fmt: skip
needs_chromium = pytest.mark.skipif(chromium_path() is None, reason="chromium not installed (apt-get install -y chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(server: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + HANG_GUARD_S
    while True:
        if server.poll() is not None:
            raise AssertionError(f"cgan-tui serve exited ({server.returncode}):\n{log.read_text()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"cgan-tui serve is not listening on {port}:\n{log.read_text()}") from None
            time.sleep(0.1)


def stop(server: subprocess.Popen) -> None:
    """SIGTERM (textual-serve closes each session, and so its app); the group if anything lingers."""
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    try:
        os.killpg(server.pid, signal.SIGKILL)  # the session's app processes, started in its group
    except ProcessLookupError:
        pass


@needs_serve
@needs_chromium
async def test_serve_shows_the_results_in_headless_chromium_read_only(snapshot_db, tmp_path):
    port = free_port()
    log = tmp_path / "serve.log"
    labels = [f"{run.loss.upper()}_{run.embed_dim}" for run in _runs(snapshot_db.url, snapshot_db.run_ids)]
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "cgan_tui", "serve", "--db", str(snapshot_db.path), "--host", "127.0.0.1",
             "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True,
            env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
        )  # fmt: skip
    try:
        wait_listening(server, port, log)
        said = log.read_text()
        assert f"http://127.0.0.1:{port}" in said and "read-only" in said and "127.0.0.1 only" in said, said
        async with Browser(1100, 700) as browser:
            await browser.open(f"http://127.0.0.1:{port}/")
            text = await browser.wait_for_text(
                lambda t: all(label in t for label in labels) and "read-only" in t, "the results table")
            assert "experiments.db · read-only" in text  # the header: which database, and that it is read-only
            assert "runs completed:3" in text
            shot = await browser.screenshot(tmp_path / "serve.png")
            low, high = Image.open(shot).convert("L").getextrema()
            assert high - low > 100  # the drawn terminal, not a blank page

            await browser.type("r")  # rate the model under the cursor: refused, in one line, on the screen
            text = await browser.wait_for_text(lambda t: "cannot rate: read-only" in t, "the rate screen's refusal")
            assert "--allow-writes" in text
        assert queries.ratings(open_store(snapshot_db.url), snapshot_db.run_ids) == []
    finally:
        stop(server)


def _runs(url: str, ids: list[int]):
    store = open_store(url)
    try:
        return [queries.get_run(store, run_id) for run_id in ids]
    finally:
        store.dispose()


async def test_read_only_app_refuses_every_write_in_one_line(snapshot_db, make_app, registries, tmp_path):
    store = open_store(snapshot_db.url)
    run = queries.get_run(store, snapshot_db.run_ids[0])
    from cgan_tui.config import RunConfig, resolve

    queued = queries.create_runs(store, [resolve(RunConfig(model="seed004", loss="hinge", epochs=2, seed=9),
                                                 registries)], status="queued")[0]  # fmt: skip
    store.dispose()
    app = make_app(snapshot_db.url, read_only=True, export_dir=tmp_path)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await wait_for(pilot, lambda: app.sub_title.endswith("· read-only"), what="the header saying read-only")
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RateScreen) and app.screen.loaded, what="rate screen")
        assert app.screen.refused == READ_ONLY
        await pilot.press("4")
        await wait_for(pilot, lambda: READ_ONLY in [m for _, m in app.notices], what="the rating refused")
        await pilot.press("escape", "2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen) and app.screen.current_id() == queued,
                       what="the queued run")  # fmt: skip
        for key, action in (("x", f"cancel run {queued}"), ("plus", f"run {queued} priority 1"),
                            ("w", "start a local worker")):  # fmt: skip
            await pilot.press(key)
            line = f"{action}: not done: {READ_ONLY}"
            await wait_for(pilot, lambda line=line: line in [m for _, m in app.notices], what=line)
    store = open_store(snapshot_db.url)
    try:
        assert queries.get_run(store, queued).status == "queued" and queries.get_run(store, queued).priority == 0
        assert queries.ratings(store, [run.id]) == []
    finally:
        store.dispose()
    services = app.services
    assert services.workers_running == 0
    writes = [lambda: services.rate(run.id, 1, "sharpness", 4), lambda: services.enqueue([]),
              lambda: services.enqueue_grid(ROOT / "grids" / "none.toml"), lambda: services.cancel(queued),
              lambda: services.reprioritise(queued, 5), lambda: services.requeue(run.id),
              lambda: services.start_workers(1), lambda: services.save_grid_png(run.id, 1, b"png")]  # fmt: skip
    for write in writes:
        with pytest.raises(UserError, match="--allow-writes") as refused:
            write()
        assert "\n" not in str(refused.value)
    assert services.grid_cost(ROOT / "grids" / "none.toml") == {"error": READ_ONLY}
    assert list(tmp_path.glob("*.png")) == []


def _args(**overrides) -> argparse.Namespace:
    values = dict(host="127.0.0.1", port=8000, allow_writes=False, public_url=None, executor=None, plugin_flags=None)
    values.update(overrides)
    return argparse.Namespace(**values)


def test_serve_says_where_it_listens_and_warns_beyond_this_machine():
    local = serve_cmd.banner(_args(), "http://127.0.0.1:8000", "sqlite:////x/experiments.db")
    assert "read-only" in local[0] and "127.0.0.1 only" in local[1] and "warning" not in " ".join(local)
    for host in ("0.0.0.0", "192.168.1.5", "::"):
        lines = serve_cmd.banner(_args(host=host), "http://box:8000", "db")
        assert len(lines) == 2 and lines[1].startswith("cgan-tui serve: warning: listening on")
        assert "anyone who can reach port 8000 sees the results" in lines[1]
    assert "can queue, rate and cancel" in serve_cmd.banner(_args(host="0.0.0.0", allow_writes=True), "u", "db")[1]
    assert all(serve_cmd.is_local(h) for h in ("127.0.0.1", "localhost", "::1", "127.0.0.2"))
    assert serve_cmd.public_url(_args(host="::1", port=9000)) == "http://[::1]:9000"
    assert "0.0.0.0" not in serve_cmd.public_url(_args(host="0.0.0.0"))


def test_each_browser_session_runs_the_app_read_only_unless_writes_are_allowed():
    command = serve_cmd.session_command(_args(plugin_flags=["no:relativistic"]))
    assert command.endswith("-m cgan_tui -p no:relativistic --read-only")
    assert "--read-only" not in serve_cmd.session_command(_args(allow_writes=True))


@needs_serve
def test_serve_refuses_a_missing_database_a_bad_port_and_a_busy_one_in_one_line(snapshot_db, tmp_path, capsys):
    from cgan_tui.cli import main

    assert main(["serve", "--db", str(tmp_path / "none.db")]) == 2
    assert main(["serve", "--port", "70000", "--db", str(tmp_path / "none.db")]) == 2
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["serve", "--db", str(snapshot_db.path), "--port", str(port)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"cgan-tui: error: no database at {tmp_path / 'none.db'}: a read-only server shows an existing one (--db PATH|URL)",
        "cgan-tui: error: --port 70000 is not a port; valid: 1..65535",
        f"cgan-tui: error: cannot listen on 127.0.0.1:{port}: Address already in use",
    ]
    assert captured.out == "" and not (tmp_path / "none.db").exists()
