"""The ``Executor`` interface every way of running workers implements (local processes, Ray actors)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WorkerStatus:
    index: int
    pid: int
    device: str | None  # the GPU id it is pinned to, or None (CPU / auto)
    returncode: int | None  # None while alive
    log_path: Path | None


class Executor(ABC):
    """Runs worker loops somewhere; the UI and the CLI only talk to this interface."""

    @abstractmethod
    def start(self, n: int | None = None) -> None:
        """Start ``n`` workers (default: the executor's own choice); returns at once."""

    @abstractmethod
    def stop(self, timeout: float = 30.0) -> None:
        """Ask every worker to stop (runs go back to the queue) and wait up to ``timeout`` seconds."""

    @abstractmethod
    def alive(self) -> int:
        """How many workers are running now."""

    @abstractmethod
    def status(self) -> list[WorkerStatus]:
        """One entry per worker started."""
