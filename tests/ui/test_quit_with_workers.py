"""Issue 29 item 4: `q` with local workers running asks: y stops them (their runs go back to the queue),
n leaves them running after the app has exited, esc stays. Without workers `q` quits at once.

The waits are on events (a toast, a process state), never on durations; a worker a test leaves running
is stopped by the test itself (by its pid)."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from cgan_tui.ui.screens.confirm import ConfirmScreen
from cgan_tui.ui.screens.queue import QueueScreen

from .conftest import wait_for


def _alive(pid: int) -> bool:
    """Running (not a zombie waiting for its parent, not gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


async def _start_worker(pilot, app) -> int:
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue screen")
    await pilot.press("w")
    await wait_for(pilot, lambda: any("alive: 1" in m for _, m in app.notices), what="the worker to start")
    (worker,) = app.services._pool.status()
    return worker.pid


async def test_q_without_workers_quits_at_once(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        assert not any(isinstance(s, ConfirmScreen) for s in app.screen_stack)
    assert app.return_code == 0


async def test_q_asks_esc_stays_and_y_stops_the_workers(snapshot_db, make_app):
    app = make_app(snapshot_db.url, executor="local")
    async with app.run_test(size=(80, 24)) as pilot:
        pid = await _start_worker(pilot, app)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
        question = str(app.screen.query_one("#confirm-question").render())
        assert question.startswith("1 local worker started here is running.") and "esc: stay" in question
        for part in ("#confirm-question", "#confirm-yes", "#confirm-no", "#confirm-stay"):  # all seen at 80x24
            assert app.screen.region.contains_region(app.screen.query_one(part).region), part
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="back on the queue")
        assert "not quit: the local workers go on" in [m for _, m in app.notices] and _alive(pid)
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question again")
        await pilot.press("y")
        await wait_for(pilot, lambda: not _alive(pid), what="the worker to stop")
    assert app.services.workers_running == 0


async def test_q_n_leaves_the_workers_running_after_the_app_exits(snapshot_db, make_app):
    app = make_app(snapshot_db.url, executor="local")
    pid = None
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            pid = await _start_worker(pilot, app)
            await pilot.press("q")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the question")
            await pilot.press("n")
        # the app has exited (and closed its services): the worker goes on in its own session
        assert _alive(pid) and os.getsid(pid) == pid != os.getsid(0)
        assert app.services.workers_running == 0
    finally:
        if pid is not None and _alive(pid):
            os.kill(pid, signal.SIGTERM)
            try:
                os.waitpid(pid, 0)  # until it has gone (a hang is the suite's timeout)
            except ChildProcessError:  # reaped already by subprocess's own clean-up
                pass
