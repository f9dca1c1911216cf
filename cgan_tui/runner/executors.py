"""Where workers run: a small ``Executor`` interface, a local subprocess pool, and (``ray_executor``) Ray actors.

``LocalPool`` starts ``cgan-tui worker --workers 1`` subprocesses (``python -m cgan_tui``; default: one
per GPU, one on a CPU-only machine), pins each to one GPU with ``CUDA_VISIBLE_DEVICES``, and stops them
with SIGTERM (their runs go back to the queue and resume later). The database URL reaches them in
``$CGAN_TUI_DB``, never on the command line, where ``ps`` would show a password in it. It never blocks and never imports torch: the
TUI starts and stops workers through it. GPUs are counted from ``$CUDA_VISIBLE_DEVICES`` or
``nvidia-smi -L``, not torch.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from cgan_tui.errors import UserError
from cgan_tui.runner.executor_base import Executor, WorkerStatus


def detect_gpus() -> list[str]:
    """GPU ids visible to this process: ``$CUDA_VISIBLE_DEVICES`` if set, else ``nvidia-smi -L``."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        ids = [part.strip() for part in visible.split(",") if part.strip()]
        return [] if ids and ids[0] == "-1" else ids
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return []
    try:
        out = subprocess.run([exe, "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    lines = [line for line in out.stdout.splitlines() if line.startswith("GPU ")]
    return [str(i) for i in range(len(lines))] if out.returncode == 0 else []


def default_workers() -> int:
    return len(detect_gpus()) or 1


@dataclass
class LocalPool(Executor):
    """N worker subprocesses on this machine, each logging to ``ARTIFACTS/workers/WORKER_ID.log``
    (``HOST-poolPID-I``, the id recorded on the runs it claims)."""

    db_url: str
    workers: int | None = None
    devices: Sequence[str] | None = None  # GPU ids to spread workers over (default: detected)
    runs_per_gpu: int = 1  # worker processes per GPU: small models leave most of a GPU idle
    cli_options = ("runs_per_gpu",)
    once: bool = False
    extra_args: Sequence[str] = ()
    env: dict[str, str] | None = None
    log_dir: Path | None = None
    python: str = sys.executable
    _procs: list[tuple[subprocess.Popen, str | None, Path | None, IO | None]] = field(default_factory=list, init=False)

    @classmethod
    def from_cli(cls, db_url: str, workers: int, once: bool, extra_args: list[str], options: dict) -> LocalPool:
        per_gpu = options.get("runs_per_gpu")
        return cls(db_url, workers=workers, once=once, extra_args=extra_args, runs_per_gpu=per_gpu or 1)

    def describe(self) -> str:
        return f"logs in {self.logs_folder()}"

    def logs_folder(self) -> Path:
        """Where the workers' ``WORKER_ID.log`` files go: ``log_dir``, else ``workers/`` in the database's artifacts."""
        if self.log_dir is not None:
            return Path(self.log_dir)
        from cgan_tui.store.db import artifacts_dir, database_url

        return artifacts_dir(database_url(self.db_url)) / "workers"

    def start(self, n: int | None = None) -> None:
        gpus = list(self.devices) if self.devices is not None else detect_gpus()
        per_gpu = int(self.runs_per_gpu)
        if per_gpu < 1:
            raise UserError(f"runs per GPU must be at least 1, got {per_gpu}")
        count = n if n is not None else (self.workers if self.workers is not None else (len(gpus) * per_gpu or 1))
        if count < 1:
            raise UserError(f"number of workers must be at least 1, got {count}")
        from cgan_tui.settings import DB_ENV

        log_dir = self.logs_folder()
        log_dir.mkdir(parents=True, exist_ok=True)
        first = len(self._procs)
        for i in range(first, first + count):
            gpu = gpus[(i // per_gpu) % len(gpus)] if gpus else None  # K consecutive workers per GPU
            env = dict(os.environ)
            env.update(self.env or {})
            env[DB_ENV] = self.db_url  # not in argv: `ps` shows every user the command line
            if gpu is not None:
                env["CUDA_VISIBLE_DEVICES"] = gpu
            elif count > 1 and "OMP_NUM_THREADS" not in env:
                # CPU workers share the cores: oversubscribed torch threads slow everyone down
                env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // count))
            worker_id = f"{os.uname().nodename}-pool{os.getpid()}-{i}"
            cmd = self.command(worker_id)
            log_path = log_dir / f"{worker_id}.log"  # one per pool: two pools never append to one file
            log_file = open(log_path, "ab")
            proc = subprocess.Popen(
                cmd, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,  # a Ctrl-C in the TUI's terminal must not hit the workers
            )  # fmt: skip
            self._procs.append((proc, gpu, log_path, log_file))

    def command(self, worker_id: str) -> list[str]:
        """One child's command line: ``cgan-tui worker`` for a single in-process worker (no database URL)."""
        cmd = [self.python, "-m", "cgan_tui", "worker", "--workers", "1", "--worker-id", worker_id]
        if self.once:
            cmd.append("--once")
        return [*cmd, *self.extra_args]

    def request_stop(self) -> None:
        """SIGTERM every live worker and return at once (poll ``alive()`` to see them go)."""
        for proc, *_ in self._procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM, wait up to ``timeout`` s, then SIGKILL stragglers (their runs are requeued as
        stale later). ``timeout <= 0`` only signals, like ``request_stop``."""
        self.request_stop()
        if timeout <= 0:
            return
        deadline = time.monotonic() + timeout
        for proc, *_ in self._procs:
            remaining = max(0.0, deadline - time.monotonic())
            try:
                proc.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._close_logs()

    def detach(self) -> None:
        """Forget the workers, leaving them running: each is in its own session (``start_new_session``),
        so neither the app's exit nor a Ctrl-C or hang-up of its terminal reaches them."""
        self._close_logs()  # the children write to their own copies of the log files
        self._procs.clear()

    def wait(self, timeout: float | None = None) -> list[int | None]:
        """Block until every worker exits (``--once`` pools); returns their exit codes."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for proc, *_ in self._procs:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            try:
                proc.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                break
        codes = [proc.poll() for proc, *_ in self._procs]
        if all(code is not None for code in codes):
            self._close_logs()
        return codes

    def alive(self) -> int:
        return sum(1 for proc, *_ in self._procs if proc.poll() is None)

    def status(self) -> list[WorkerStatus]:
        return [
            WorkerStatus(index=i, pid=proc.pid, device=gpu, returncode=proc.poll(), log_path=log_path)
            for i, (proc, gpu, log_path, _) in enumerate(self._procs)
        ]

    def _close_logs(self) -> None:
        for _, _, _, fh in self._procs:
            if fh is not None and not fh.closed:
                fh.close()


# The Ray executor lives in its own module (Ray is imported only when it starts).
from cgan_tui.runner.ray_executor import RayExecutor  # noqa: E402

EXECUTORS: dict[str, type[Executor]] = {"local": LocalPool, "ray": RayExecutor}
"""Executor kinds by name (the CLI/TUI pick one by name, no if/elif)."""
