"""The ``Executor`` interface every way of running workers implements (local processes, Ray actors)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from cgan_tui.errors import UserError


@dataclass(frozen=True)
class WorkerStatus:
    index: int
    pid: int
    device: str | None  # the GPU id it is pinned to, or None (CPU / auto)
    returncode: int | None  # None while alive
    log_path: Path | None

    def reason(self) -> str:
        """Why this worker ended, in one line: its own last ``error:`` line (a worker that gave up
        writes exactly one), else its exit status; with the log to read for more."""
        line = ""
        if self.log_path is not None:
            try:
                with open(self.log_path, errors="replace") as fh:
                    lines = [x.strip() for x in fh if "error:" in x or "giving up" in x]
            except OSError:
                lines = []
            line = lines[-1].split("error: ", 1)[-1] if lines else ""
        where = f" (log {self.log_path})" if self.log_path is not None else ""
        return f"worker {self.index} exited with status {self.returncode}: {line or 'no reason logged'}{where}"


class Executor(ABC):
    """Runs worker loops somewhere; the UI and the CLI only talk to this interface."""

    cli_options: tuple[str, ...] = ()
    """``cgan-tui worker`` options only this kind understands (given to another kind: a UserError)."""

    @classmethod
    @abstractmethod
    def from_cli(cls, db_url: str, workers: int, once: bool, extra_args: list[str], options: dict) -> Executor:
        """Build from ``cgan-tui worker``'s parsed options (``options``: this kind's ``cli_options``)."""

    def describe(self) -> str:
        """Where the workers run, for one line on the terminal."""
        return type(self).__name__

    def wait(self, timeout: float | None = None) -> list[int | None]:
        """Block until every worker exits (``--once``); their exit codes (None: still running)."""
        raise NotImplementedError

    @abstractmethod
    def start(self, n: int | None = None) -> None:
        """Start ``n`` workers (default: the executor's own choice); returns at once."""

    @abstractmethod
    def stop(self, timeout: float = 30.0) -> None:
        """Ask every worker to stop (runs go back to the queue) and wait up to ``timeout`` seconds."""

    def detach(self) -> None:
        """Let go of the workers without stopping them: they go on after the process that started them
        exits. A kind whose workers cannot outlive their starter refuses with one line."""
        raise UserError(f"{type(self).__name__} workers stop with the app that started them: stop them or stay")

    @abstractmethod
    def alive(self) -> int:
        """How many workers are running now."""

    @abstractmethod
    def status(self) -> list[WorkerStatus]:
        """One entry per worker started."""
