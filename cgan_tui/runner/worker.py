"""Worker process: ``python -m cgan_tui.runner.worker --db URL [--once] [--worker-id ID] [--device D]``.

Loop: requeue stale runs, claim the next queued run, execute it (rows, grids, checkpoints and
metrics written as they come), repeat; with ``--once`` exit when the queue is empty, else poll.
A heartbeat thread refreshes the run's ``heartbeat_at`` every few seconds. SIGTERM/SIGINT set a stop
event: the current run stops at its next step, goes back to ``queued`` (it resumes later from its
last checkpoint) and the process exits 0.

A database the worker cannot write (read-only, full, gone, or locked longer than
``$CGAN_TUI_LOCK_WAIT_S``) makes it give up: one log line, exit status 3 (see docs/queue.md). The
run it held stays ``running`` until the stale sweep of another worker requeues it; it resumes from
its last complete checkpoint.

``$CGAN_TUI_EXTRA_PLUGINS=module[:attr],...`` registers extra in-process plugins (tests, embedding;
read by ``plugins.load_plugins`` for every command).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Sequence

from cgan_tui.errors import UserError

POLL_S = 2.0
EXIT_CANNOT_WRITE = 3
"""Exit status of a worker that gave up because the database cannot take its writes."""

log = logging.getLogger("cgan_tui.worker")


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


@dataclass
class Worker:
    """One worker's loop; ``run()`` returns how many runs it executed."""

    store: object  # cgan_tui.store.db.Store
    registries: object
    worker_id: str = field(default_factory=default_worker_id)
    device: str | None = None
    once: bool = False
    poll_s: float = POLL_S
    stale_after_s: float | None = None
    heartbeat_s: float | None = None
    max_runs: int | None = None
    stop_event: threading.Event = field(default_factory=threading.Event)
    gave_up: str | None = None
    """Why the worker stopped early: the one-line ``StoreWriteError`` (None: it did not)."""

    def run(self) -> int:
        from cgan_tui.runner.execute import execute_run
        from cgan_tui.runner.heartbeat import HEARTBEAT_S, Heartbeat
        from cgan_tui.runner.queue import STALE_AFTER_S, claim_next, requeue_stale
        from cgan_tui.store.guard import StoreWriteError, abort_waits_on, check_writable

        abort_waits_on(self.stop_event)  # SIGTERM also ends a wait for a database lock
        try:
            check_writable(self.store, "the worker")
        except StoreWriteError as exc:
            return self._give_up(exc)
        stale = self.stale_after_s if self.stale_after_s is not None else STALE_AFTER_S
        executed = 0
        data_cache: dict = {}
        with Heartbeat(self.store, self.worker_id, self.heartbeat_s or HEARTBEAT_S) as heartbeat:
            while not self.stop_event.is_set():
                if self.max_runs is not None and executed >= self.max_runs:
                    break
                try:
                    for run_id in requeue_stale(self.store, stale):
                        log.warning("requeued stale run %s", run_id)
                    run = claim_next(self.store, self.worker_id, os.getpid(), socket.gethostname())
                except StoreWriteError as exc:
                    self._give_up(exc)
                    break
                except Exception:  # noqa: BLE001 - a database hiccup must not end the worker
                    log.exception("worker %s: queue access failed; retrying", self.worker_id)
                    self.stop_event.wait(self.poll_s)
                    continue
                if run is None:
                    if self.once:
                        break
                    self.stop_event.wait(self.poll_s)
                    continue
                heartbeat.watch(run.id)
                log.info("worker %s: run %s (%s) claimed", self.worker_id, run.id, run.loss)
                try:
                    outcome = execute_run(
                        self.store, int(run.id), self.registries, worker_id=self.worker_id,
                        stop_event=self.stop_event, device=self.device,
                        data=_cached_data(data_cache, run),
                    )  # fmt: skip
                    log.info("worker %s: run %s -> %s after epoch %s", self.worker_id, run.id,
                             outcome.status, outcome.epochs_done)  # fmt: skip
                except StoreWriteError as exc:  # its outcome cannot be stored: the stale sweep requeues it
                    self._give_up(exc, run.id)
                    break
                except Exception:  # noqa: BLE001 - e.g. the database vanished mid-run
                    log.exception("worker %s: run %s could not be executed", self.worker_id, run.id)
                    _mark_failed(self.store, int(run.id), self.worker_id)
                finally:
                    heartbeat.watch(None)
                executed += 1
        return executed

    def _give_up(self, exc: Exception, run_id: int | None = None) -> int:
        held = f" (run {run_id} stays running until a stale sweep requeues it)" if run_id is not None else ""
        if self.stop_event.is_set():
            self.gave_up = None  # stopped by a signal while waiting: a normal stop
            log.warning("worker %s: stopped while waiting for the database%s", self.worker_id, held)
            return 0
        self.gave_up = f"{exc}{held}"
        log.error("worker %s: giving up: %s", self.worker_id, self.gave_up)
        return 0


def _mark_failed(store, run_id: int, worker_id: str) -> None:
    """Never leave a run ``running`` behind a live worker that gave up on it."""
    import traceback

    from cgan_tui.redact import redact
    from cgan_tui.runner.execute import _finish
    from cgan_tui.store.tables import RunStatus, utcnow

    try:
        _finish(store, run_id, worker_id, status=RunStatus.failed, error=redact(traceback.format_exc()), finished_at=utcnow())
    except Exception:  # noqa: BLE001 - the stale sweep will requeue it eventually
        log.exception("worker %s: could not mark run %s failed", worker_id, run_id)


def _cached_data(cache: dict, run) -> object | None:
    """Fashion-MNIST train split kept on the CPU across runs of this worker (loaded once per folder)."""
    data_dir = run.config.get("data_dir")
    if data_dir not in cache:
        try:
            from cgan_tui.gan.data import load_fashion_mnist

            cache[data_dir] = load_fashion_mnist(data_dir, "train", "cpu")
        except Exception:  # noqa: BLE001 - let train() load it and report the error on the run
            return None
    return cache[data_dir]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m cgan_tui.runner.worker", description=__doc__.splitlines()[0])
    p.add_argument("--db", default=None, help="database URL or SQLite path (default: $CGAN_TUI_DB or ./experiments.db)")
    p.add_argument("--once", action="store_true", help="exit when the queue is empty")
    p.add_argument("--worker-id", default=None, help="name recorded on claimed runs (default HOST-PID)")
    p.add_argument("--device", default=None, help="device for runs whose config says auto (cpu, cuda, cuda:N)")
    p.add_argument("-p", dest="plugin_flags", action="append", default=[], metavar="no:NAME", help="disable plugin NAME")
    p.add_argument("--poll", type=float, default=POLL_S, help="seconds between queue polls when idle")
    p.add_argument("--stale-after", type=float, default=None, help="heartbeat age (s) after which a dead worker's run is requeued")
    p.add_argument("--heartbeat", type=float, default=None, help="seconds between heartbeats")
    p.add_argument("--max-runs", type=int, default=None, help="exit after executing this many runs")
    return p


def install_signal_handlers(stop_event: threading.Event) -> None:
    """SIGTERM/SIGINT stop the current run at its next step (it returns to the queue)."""

    def handler(signum, _frame) -> None:
        log.warning("signal %s: stopping after the current step; the run goes back to the queue", signum)
        stop_event.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def worker_from_args(args: argparse.Namespace, stop_event: threading.Event) -> Worker:
    """The ``Worker`` a parsed command line describes (its store opened, plugins loaded): shared by
    worker processes and Ray actors, so both run the very same loop."""
    from cgan_tui.cli import disabled_plugins
    from cgan_tui.plugins import load_plugins
    from cgan_tui.store.db import open_store

    registries = load_plugins(disabled=disabled_plugins(args), strict_disabled=True)
    store = open_store(args.db)
    return Worker(
        store, registries, worker_id=args.worker_id or default_worker_id(), device=args.device,
        once=args.once, poll_s=args.poll, stale_after_s=args.stale_after, heartbeat_s=args.heartbeat,
        max_runs=args.max_runs, stop_event=stop_event,
    )  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    from cgan_tui.redact import redact, redact_logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    redact_logging()
    args = build_parser().parse_args(argv)
    stop_event = threading.Event()
    install_signal_handlers(stop_event)
    try:
        worker = worker_from_args(args, stop_event)
        store = worker.store
        started = time.monotonic()
        n = worker.run()
        log.info("worker %s: executed %d run(s) in %.1fs; exiting", worker.worker_id, n, time.monotonic() - started)
        store.dispose()
        if worker.gave_up:
            return EXIT_CANNOT_WRITE
    except UserError as exc:
        print(f"cgan-tui worker: error: {redact(exc)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
