"""The worker loop behind ``cgan-tui worker`` (the one entry point; ``LocalPool`` children run it too).

Loop: requeue stale runs, claim the next queued run, execute it (rows, grids, checkpoints and
metrics written as they come), repeat; with ``--once`` exit when the queue is empty, else poll.
A heartbeat thread refreshes the run's ``heartbeat_at`` every few seconds. SIGTERM/SIGINT set a stop
event: the current run stops at its next step, goes back to ``queued`` (it resumes later from its
last checkpoint) and the process exits 0.

A database the worker cannot write (read-only, full, gone, or locked longer than
``$CGAN_TUI_LOCK_WAIT_S``) or a full artifacts folder (``disk_space``) makes it give up: one log line,
exit status 3 (see docs/queue.md); it claims nothing more, so the queued runs stay queued. The
run it held stays ``running`` until the stale sweep of another worker requeues it; it resumes from
its last complete checkpoint.

The per-worker flags (``--once``, ``--worker-id``, ``--device``, ``--poll``, ...) are defined here once
(``add_worker_options``): the CLI's ``worker`` command adds them to its parser, executors forward them
to their children (``WorkerOptions.argv``) and Ray actors read them back (``parse_worker_argv``).

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
from collections.abc import Sequence
from dataclasses import dataclass, field

from cgan_tui.errors import UserError

POLL_S = 2.0
EXIT_CANNOT_WRITE = 3
"""Exit status of a worker that gave up because the database or the artifacts folder cannot take its writes."""

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
        from cgan_tui.runner.disk_space import too_full
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
                full = too_full(self.store.artifacts)  # type: ignore[attr-defined]
                if full:
                    self._stop_claiming(full)
                    break
                try:
                    for run_id in requeue_stale(self.store, stale):
                        log.warning("requeued stale run %s", run_id)
                    run = claim_next(self.store, self.worker_id, os.getpid(), socket.gethostname())
                except StoreWriteError as exc:
                    self._give_up(exc)
                    break
                except Exception:
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
                    if outcome.cannot_write:
                        executed += 1
                        self._stop_claiming(outcome.cannot_write)
                        break
                except StoreWriteError as exc:  # its outcome cannot be stored: the stale sweep requeues it
                    self._give_up(exc, run.id)
                    break
                except Exception:
                    log.exception("worker %s: run %s could not be executed", self.worker_id, run.id)
                    _mark_failed(self.store, int(run.id), self.worker_id)
                finally:
                    heartbeat.watch(None)
                executed += 1
        return executed

    def _stop_claiming(self, reason: str) -> None:
        """The run files cannot be written (artifacts disk full): claiming more would fail them all."""
        self.gave_up = reason
        log.error("worker %s: giving up: %s", self.worker_id, reason)

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
    from cgan_tui.store import queries as q
    from cgan_tui.store.tables import RunStatus, utcnow

    try:
        q.finish_run(store, run_id, worker_id, status=RunStatus.failed, error=redact(traceback.format_exc()), finished_at=utcnow())
    except Exception:
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


@dataclass(frozen=True)
class WorkerOptions:
    """What one worker loop is told on its command line (database and plugins aside)."""

    once: bool = False
    worker_id: str | None = None
    device: str | None = None
    poll_s: float = POLL_S
    stale_after_s: float | None = None
    heartbeat_s: float | None = None
    max_runs: int | None = None
    disabled_plugins: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        """The flags that give a child worker these options (``once`` and ``worker_id`` are per child)."""
        out: list[str] = []
        for flag, value in (("--device", self.device), ("--stale-after", self.stale_after_s),
                            ("--heartbeat", self.heartbeat_s), ("--max-runs", self.max_runs)):  # fmt: skip
            if value is not None:
                out += [flag, str(value)]
        if self.poll_s != POLL_S:
            out += ["--poll", str(self.poll_s)]
        for name in self.disabled_plugins:
            out += ["-p", f"no:{name}"]
        return out


def add_worker_options(parser: argparse.ArgumentParser) -> None:
    """The per-worker flags of ``cgan-tui worker`` (their one definition)."""
    parser.add_argument("--once", action="store_true", help="exit when the queue is empty")
    parser.add_argument("--worker-id", default=None, metavar="ID",
                        help="name recorded on claimed runs (default HOST-PID; one worker only)")  # fmt: skip
    parser.add_argument("--device", default=None, metavar="DEVICE", help="device for runs whose config says auto (cpu, cuda, cuda:N)")
    parser.add_argument("--poll", type=float, default=None, metavar="S", help=f"seconds between polls when idle (default {POLL_S:g})")
    parser.add_argument("--stale-after", type=float, default=None, metavar="S", help="requeue runs of workers silent this long (s)")
    parser.add_argument("--heartbeat", type=float, default=None, metavar="S", help="seconds between heartbeats of the run being trained")
    parser.add_argument("--max-runs", type=int, default=None, metavar="N", help="each worker exits after executing this many runs")


def options_from_args(args: argparse.Namespace, disabled_plugins: Sequence[str] = ()) -> WorkerOptions:
    """``WorkerOptions`` from flags parsed by ``add_worker_options``; bad values are one-line errors."""
    for flag, value in (("--poll", args.poll), ("--stale-after", args.stale_after), ("--heartbeat", args.heartbeat)):
        if value is not None and not value > 0:
            raise UserError(f"{flag} must be a positive number of seconds, got {value}")
    if args.max_runs is not None and args.max_runs < 1:
        raise UserError(f"--max-runs must be at least 1, got {args.max_runs}")
    return WorkerOptions(
        once=args.once, worker_id=args.worker_id, device=args.device, poll_s=args.poll or POLL_S,
        stale_after_s=args.stale_after, heartbeat_s=args.heartbeat, max_runs=args.max_runs,
        disabled_plugins=tuple(disabled_plugins),
    )  # fmt: skip


def parse_worker_argv(argv: Sequence[str]) -> WorkerOptions:
    """Worker flags as ``cgan-tui worker`` takes them (plus ``-p no:NAME``), for executors that run the
    loop in-process elsewhere (Ray actors)."""
    from cgan_tui.plugins import parse_disable_flags

    parser = argparse.ArgumentParser(prog="cgan-tui worker", add_help=False)
    add_worker_options(parser)
    parser.add_argument("-p", dest="plugin_flags", action="append", default=[])
    args = parser.parse_args(list(argv))
    return options_from_args(args, parse_disable_flags(args.plugin_flags))


def install_signal_handlers(stop_event: threading.Event) -> None:
    """SIGTERM/SIGINT stop the current run at its next step (it returns to the queue)."""

    def handler(signum, _frame) -> None:
        log.warning("signal %s: stopping after the current step; the run goes back to the queue", signum)
        stop_event.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def build_worker(store, options: WorkerOptions, stop_event: threading.Event) -> Worker:
    """The ``Worker`` for ``options`` on an open store, plugins loaded: shared by ``cgan-tui worker``
    and Ray actors, so both run the very same loop."""
    from cgan_tui.plugins import load_plugins

    registries = load_plugins(disabled=options.disabled_plugins, strict_disabled=True)
    return Worker(
        store, registries, worker_id=options.worker_id or default_worker_id(), device=options.device,
        once=options.once, poll_s=options.poll_s, stale_after_s=options.stale_after_s,
        heartbeat_s=options.heartbeat_s, max_runs=options.max_runs, stop_event=stop_event,
    )  # fmt: skip


def log_to_stderr() -> None:
    """Timestamped worker logs on stderr (a pool child's stderr is its log file), database URLs redacted."""
    from cgan_tui.redact import redact_logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    redact_logging()


def serve(store, options: WorkerOptions) -> int:
    """Run one worker loop in this process until the queue is done or a signal stops it.

    Returns the process exit status: 0, or ``EXIT_CANNOT_WRITE`` when the database refused writes."""
    log_to_stderr()
    stop_event = threading.Event()
    if threading.current_thread() is threading.main_thread():
        install_signal_handlers(stop_event)
    worker = build_worker(store, options, stop_event)
    started = time.monotonic()
    n = worker.run()
    store.dispose()
    if worker.gave_up:
        print(f"cgan-tui: error: worker gave up after {n} run(s): {worker.gave_up}", file=sys.stderr)
        return EXIT_CANNOT_WRITE
    print(f"worker {worker.worker_id}: executed {n} run(s) in {time.monotonic() - started:.1f}s", file=sys.stderr)
    return 0
