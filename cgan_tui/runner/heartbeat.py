"""A daemon thread that refreshes ``Run.heartbeat_at`` of the run a process is executing.

Liveness is judged from this timestamp (plus the pid on the same host) by ``queue.requeue_stale``;
it runs in its own thread so that a long epoch or an evaluation never makes a live run look dead.
"""

from __future__ import annotations

import threading

from cgan_tui.store import queries as q
from cgan_tui.store.db import Store

HEARTBEAT_S = 3.0


class Heartbeat:
    """``with Heartbeat(store, worker_id) as hb: hb.watch(run_id) ... hb.watch(None)``."""

    def __init__(self, store: Store, worker_id: str, interval_s: float = HEARTBEAT_S) -> None:
        self.store = store
        self.worker_id = worker_id
        self.interval_s = interval_s
        self._run_id: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"heartbeat-{worker_id}", daemon=True)
        self.failures = 0

    def watch(self, run_id: int | None) -> None:
        with self._lock:
            self._run_id = run_id
        if run_id is not None:
            self.beat()

    def beat(self) -> None:
        with self._lock:
            run_id = self._run_id
        if run_id is None:
            return
        try:
            q.touch_heartbeat(self.store, run_id, self.worker_id)
        except Exception:  # noqa: BLE001 - a missed beat is retried next interval
            self.failures += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.beat()

    def start(self) -> Heartbeat:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.interval_s + 5)

    def __enter__(self) -> Heartbeat:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
