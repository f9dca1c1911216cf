"""``RayExecutor``: the worker loop in Ray actors, so a queue is served by every node of a Ray cluster.

The database queue stays the single source of truth; Ray only places the work. Each actor runs the
same ``Worker`` loop as ``cgan-tui worker`` (claim -> execute -> heartbeat, built by
``worker.build_worker`` from the same worker flags, read by ``worker.parse_worker_argv``), with ``--cpus-per-run`` cores (its
torch threads are set to match, like ``LocalPool`` splits them) and ``--gpus-per-run`` of a GPU
(fractions share one: 0.25 = four runs per GPU; Ray sets ``CUDA_VISIBLE_DEVICES``).

- Without an address (and without ``$RAY_ADDRESS``) a new local Ray instance is started (the same
  command works on a laptop); it never attaches to another instance on the machine, not even one left
  by ``ray start``. With ``auto`` or ``ray://HOST:PORT`` it joins a running cluster (``ray start
  --head`` / ``--address``).
- Actors run at the driver's CPU priority. Ray's default lowers its workers to nice 15, so that any
  other busy process on the node takes nearly all the CPU from them: on a shared 2-core machine (load
  ~15) their loops were ready after 191-267 s instead of 80 s and a one-step run took 237 s instead
  of 17 s (docs/cluster.md). ``$RAY_worker_niceness`` on the driver still overrides it.
- ``stop()`` sets each actor's stop event: its run stops at the next step and goes back to the queue
  (resumed later from its checkpoint), exactly like SIGTERM to a worker process.
- An actor process killed outright (kill -9, a dead node) leaves its run ``running``; the stale sweep
  that every worker loop runs before claiming requeues it (at once on the same host, where the pid can
  be checked; after ``HARD_STALE_AFTER_S`` of silent heartbeats from another host) and any actor
  resumes it from its last checkpoint. Ray restarts a killed actor (up to ``MAX_RESTARTS`` times),
  and its worker loop starts again.

Ray is imported only when the executor starts (``pip install cgan-tui[ray]``): the TUI and the CLI
pick this class by name from ``EXECUTORS`` without paying for the import.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cgan_tui.errors import UserError
from cgan_tui.runner.executor_base import Executor, WorkerStatus
from cgan_tui.settings import RAY_NICENESS_ENV

MAX_RESTARTS = 3
"""How often Ray restarts an actor whose process died (its loop then starts over and claims again)."""
FORWARDED_ENV_PREFIX = "CGAN_TUI_"
"""Driver environment variables with this prefix (artifacts, data, eval, plugins) reach every actor."""
ACTOR_NICENESS = "0"
"""Actors train at the priority of a ``LocalPool`` worker process, not Ray's default nice 15."""
OBJECT_STORE_BYTES = 128 * 1024**2
"""A local instance's object store: actors pass no data through it (runs go through the database)."""


def start_local_ray(num_cpus: int | None = None, num_gpus: int | None = None, log_to_driver: bool = False):
    """Start a new local Ray instance and return the ``ray`` module.

    ``address="local"`` makes Ray start its own instance whatever ``$RAY_ADDRESS`` or a ``ray start``
    left in /tmp/ray says, so this never submits work to another cluster. ``num_gpus`` may name
    GPUs that are not there: to Ray a GPU is a count (the tests place fractional GPUs on a fake one).
    """
    import ray

    ray.init(address="local", num_cpus=num_cpus, num_gpus=num_gpus, include_dashboard=False,
             log_to_driver=log_to_driver, object_store_memory=OBJECT_STORE_BYTES)  # fmt: skip
    return ray


class WorkerActor:
    """One worker loop inside a Ray actor (a threaded actor: ``stop`` runs while ``run`` trains)."""

    def __init__(self, db_url: str, argv: Sequence[str], cpus: float, gpus: float) -> None:
        self.db_url = db_url
        self.argv = list(argv)
        self.cpus, self.gpus = cpus, gpus
        self.stop_event = threading.Event()
        self.loop_started = threading.Event()

    def info(self) -> dict[str, Any]:
        """Where this actor runs and what Ray gave it (``resources``: e.g. ``{"CPU": 1.0, "GPU": 0.25}``)."""
        import ray

        return {"pid": os.getpid(), "host": socket.gethostname(), "gpus": [str(g) for g in ray.get_gpu_ids()],
                "resources": ray.get_runtime_context().get_assigned_resources(), "nice": os.nice(0)}  # fmt: skip

    def ready(self) -> bool:
        """Returns once the worker loop is built (torch and the plugins imported, the store open), or
        its start failed: the event the tests wait on instead of guessing how long an import takes."""
        self.loop_started.wait()
        return True

    def run(self) -> int:
        """The worker loop; returns how many runs it executed."""
        from cgan_tui.runner.worker import build_worker, log_to_stderr, parse_worker_argv
        from cgan_tui.store.db import open_store

        store = None
        try:
            log_to_stderr()
            if not self.gpus:
                import torch

                torch.set_num_threads(max(1, int(self.cpus)))  # the cores Ray gave this actor, not the node's
            options = parse_worker_argv(self.argv)
            store = open_store(self.db_url)
            worker = build_worker(store, options, self.stop_event)
        except BaseException:
            if store is not None:
                store.dispose()
            raise
        finally:
            self.loop_started.set()
        try:
            return worker.run()
        finally:
            store.dispose()

    def stop(self) -> None:
        self.stop_event.set()


@dataclass
class RayExecutor(Executor):
    """N Ray actors running the worker loop on ``db_url``'s queue.

    ``extra_args`` are worker command-line options (``--poll``, ``--heartbeat``, ``--stale-after``,
    ``--device``, ``-p no:NAME``), as for ``LocalPool``. ``env`` adds environment variables for the
    actors (on top of the driver's ``CGAN_TUI_*``). ``num_cpus`` and ``num_gpus`` size a local Ray
    instance (default: Ray's own count); ignored when joining a cluster.
    """

    db_url: str
    workers: int | None = None
    address: str | None = None
    gpus_per_run: float = 0.0
    cpus_per_run: float = 1.0
    once: bool = False
    extra_args: Sequence[str] = ()
    env: dict[str, str] | None = None
    num_cpus: int | None = None
    num_gpus: int | None = None
    _actors: list[Any] = field(default_factory=list, init=False)
    _runs: list[Any] = field(default_factory=list, init=False)
    _infos: list[Any] = field(default_factory=list, init=False)
    _ready: list[Any] = field(default_factory=list, init=False)
    _owns_ray: bool = field(default=False, init=False)

    cli_options = ("address", "gpus_per_run", "cpus_per_run")
    log_to_driver: bool = False  # True in the CLI: actor output on the terminal (never in the TUI)

    @classmethod
    def from_cli(cls, db_url: str, workers: int, once: bool, extra_args: list[str], options: dict) -> RayExecutor:
        given = {k: v for k, v in options.items() if v is not None}
        return cls(db_url, workers=workers, once=once, extra_args=extra_args, log_to_driver=True, **given)

    def describe(self) -> str:
        return f"Ray actors at {self.address or os.environ.get('RAY_ADDRESS') or 'a local Ray instance'}"

    def __post_init__(self) -> None:
        if self.gpus_per_run < 0 or self.cpus_per_run <= 0:
            raise UserError(
                f"--gpus-per-run must be >= 0 and --cpus-per-run > 0, got {self.gpus_per_run} and {self.cpus_per_run}"
            )
        if self.gpus_per_run > 1 and self.gpus_per_run != int(self.gpus_per_run):
            raise UserError(f"--gpus-per-run above 1 must be a whole number of GPUs, got {self.gpus_per_run}")
        if self.address not in (None, "", "auto") and not self.address.startswith("ray://") and ":" not in self.address:
            raise UserError(f"--address must be auto, ray://HOST:PORT or HOST:PORT, got {self.address!r}")

    # ------------------------------------------------------------------ Ray set-up
    def _ray(self):
        try:
            import ray
        except ImportError:
            raise UserError("the Ray executor needs Ray: pip install 'cgan-tui[ray]'") from None
        return ray

    def _connect(self):
        ray = self._ray()
        if ray.is_initialized():
            return ray
        address = self.address or os.environ.get("RAY_ADDRESS")  # Ray's own variable (e.g. for the TUI)
        try:
            if address:
                ray.init(address=address, log_to_driver=self.log_to_driver)
            else:  # the embedded default: a small local instance of its own
                start_local_ray(self.num_cpus, self.num_gpus, self.log_to_driver)
        except ConnectionError as exc:
            raise UserError(f"cannot reach the Ray cluster at {address}: {exc}") from None
        self._owns_ray = True
        return ray

    def _actor_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV_PREFIX)}
        env[RAY_NICENESS_ENV] = os.environ.get(RAY_NICENESS_ENV, ACTOR_NICENESS)  # read by each Ray worker at start
        env.update(self.env or {})
        return env

    # ------------------------------------------------------------------ Executor
    def start(self, n: int | None = None) -> None:
        count = n if n is not None else (self.workers if self.workers is not None else 1)
        if count < 1:
            raise UserError(f"number of workers must be at least 1, got {count}")
        ray = self._connect()
        actor_class = ray.remote(WorkerActor).options(
            num_cpus=self.cpus_per_run, num_gpus=self.gpus_per_run, max_concurrency=3,  # run, stop, ready
            max_restarts=MAX_RESTARTS, max_task_retries=MAX_RESTARTS,
            runtime_env={"env_vars": self._actor_env()},
        )  # fmt: skip
        first = len(self._actors)
        for i in range(first, first + count):
            argv = ["--worker-id", f"{socket.gethostname()}-ray{os.getpid()}-{i}",
                    *(["--once"] if self.once else []), *self.extra_args]  # fmt: skip
            actor = actor_class.remote(self.db_url, argv, self.cpus_per_run, self.gpus_per_run)
            self._actors.append(actor)
            self._infos.append(actor.info.remote())
            self._ready.append(actor.ready.remote())
            self._runs.append(actor.run.remote())

    def request_stop(self) -> None:
        """Ask every live actor to stop after its current step (runs go back to the queue); returns at once."""
        for actor, code in zip(self._actors, self._codes(), strict=True):
            if code is not None:
                continue  # its loop has ended already
            try:
                actor.stop.remote()
            except Exception:  # noqa: BLE001 - an actor that is already gone has nothing to stop
                pass

    def stop(self, timeout: float = 30.0) -> None:
        """Stop gracefully, wait up to ``timeout`` s, then kill what is left (its run is requeued as
        stale later) and shut a Ray instance this executor started down."""
        if not self._actors:
            return
        ray = self._ray()
        self.request_stop()
        placed = [info is not None for info in self.actor_info()]
        for actor, is_placed in zip(self._actors, placed, strict=True):
            if not is_placed:  # still waiting for a CPU/GPU: it has no run, and would be placed only
                ray.kill(actor, no_restart=True)  # once the others are gone (timeout spent for nothing)
        runs = [ref for ref, is_placed in zip(self._runs, placed, strict=True) if is_placed]
        if timeout > 0 and runs:
            ray.wait(runs, num_returns=len(runs), timeout=timeout)
        for actor in self._actors:
            ray.kill(actor, no_restart=True)
        self._actors, self._runs, self._infos, self._ready = [], [], [], []
        if self._owns_ray:
            ray.shutdown()
            self._owns_ray = False

    def wait_ready(self, timeout: float | None = None) -> int:
        """Block until every actor's worker loop is built (or ``timeout``); how many are."""
        if not self._ready:
            return 0
        ready, _ = self._ray().wait(self._ready, num_returns=len(self._ready), timeout=timeout)
        return len(ready)

    def wait(self, timeout: float | None = None) -> list[int | None]:
        """Block until every actor's loop ends (``--once``); 0 per clean exit, 1 per failed actor."""
        if self._runs:
            self._ray().wait(self._runs, num_returns=len(self._runs), timeout=timeout)
        return self._codes()

    def _codes(self) -> list[int | None]:
        if not self._runs:
            return []
        ray = self._ray()
        ready, _ = ray.wait(self._runs, num_returns=len(self._runs), timeout=0)
        done = set(ready)
        codes: list[int | None] = []
        for ref in self._runs:
            if ref not in done:
                codes.append(None)
                continue
            try:
                ray.get(ref)
                codes.append(0)
            except Exception:  # noqa: BLE001 - the actor died or its loop raised
                codes.append(1)
        return codes

    def alive(self) -> int:
        return sum(1 for code in self._codes() if code is None)

    def actor_info(self) -> list[dict[str, Any] | None]:
        """Each actor's ``WorkerActor.info()``: None while Ray has not placed it (e.g. it waits for a GPU)."""
        ray = self._ray() if self._infos else None
        out: list[dict[str, Any] | None] = []
        for info_ref in self._infos:
            info = None
            if ray is not None and ray.wait([info_ref], timeout=0)[0]:
                try:
                    info = ray.get(info_ref)
                except Exception:  # noqa: BLE001 - an actor that died before answering
                    info = None
            out.append(info)
        return out

    def status(self) -> list[WorkerStatus]:
        out = []
        for i, (info, code) in enumerate(zip(self.actor_info(), self._codes(), strict=True)):
            info = info or {}
            gpus = info.get("gpus") or []
            out.append(WorkerStatus(index=i, pid=int(info.get("pid", 0)), device=",".join(gpus) or None,
                                    returncode=code, log_path=None))  # fmt: skip
        return out
