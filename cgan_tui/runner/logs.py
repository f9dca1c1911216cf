"""One ``run.log`` per run, beside its checkpoints: start, resume point, each epoch, errors.

The file is appended to across attempts (a requeued run keeps its history). With a remote artifact
root (``--artifacts s3://...``) the log is written in the local staging folder, fetched first when
another node wrote it before, and published when the attempt ends. Each run gets its own
``logging.Logger`` (not propagated to the root logger) so that two runs in one process never mix.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cgan_tui import artifacts
from cgan_tui.redact import RedactingFilter
from cgan_tui.store.db import Store

LOG_NAME = "run.log"
FORMAT = "%(asctime)s %(levelname)s %(message)s"


def log_path(store: Store, run_id: int) -> Path:
    """Where the run's log lives (the folder may not exist yet for a queued run)."""
    return store.artifact_store.local_path(run_id, LOG_NAME)  # type: ignore[union-attr]


def _pull(store: Store, run_id: int) -> Path:
    """The local log file, first fetched from a remote root when this node has none yet."""
    path = store.run_dir(run_id) / LOG_NAME
    if not store.artifact_store.is_local and not path.exists():  # type: ignore[union-attr]
        text = artifacts.read_text(store.artifact_store.location(run_id, LOG_NAME))  # type: ignore[union-attr]
        if text:
            artifacts.atomic_write_bytes(path, text.encode("utf-8"))
    return path


def publish_log(store: Store, run_id: int) -> None:
    """Put the run's log at a remote root (nothing to do for a local one); never raises."""
    if store.artifact_store.is_local:  # type: ignore[union-attr]
        return
    path = log_path(store, run_id)
    try:
        if path.exists():
            store.artifact_store.publish(run_id, path)  # type: ignore[union-attr]
    except Exception:
        logging.getLogger("cgan_tui.worker").exception("could not publish the log of run %s", run_id)


class _RunLogHandler(logging.FileHandler):
    """A run log on a full or vanished disk says so in one line, once, instead of a traceback per record."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        if not self.failed:
            import sys

            self.failed = True
            error = sys.exc_info()[1]
            print(f"cgan-tui: run log {self.baseFilename} cannot be written ({error}); the run's rows still go "
                  "to the database", file=sys.stderr)  # fmt: skip


def open_run_log(store: Store, run_id: int) -> logging.Logger:
    """A logger writing to the run's ``run.log`` (created with its folder); close with ``close_run_log``."""
    path = _pull(store, run_id)
    logger = logging.getLogger(f"cgan_tui_runs.{int(run_id)}.{id(store)}")  # outside "cgan_tui": no echo
    logger.setLevel(logging.INFO)
    logger.propagate = False
    close_run_log(logger)
    handler = _RunLogHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT, datefmt="%Y-%m-%dT%H:%M:%S"))
    handler.addFilter(RedactingFilter())  # a logged traceback may quote a database URL
    logger.addHandler(handler)
    return logger


PACKAGE_LOGGER = "cgan_tui"


def close_run_log(logger: logging.Logger) -> None:
    package = logging.getLogger(PACKAGE_LOGGER)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        if handler in package.handlers:
            package.removeHandler(handler)
        handler.close()
    previous = getattr(logger, "_package_level", None)
    if previous is not None:
        package.setLevel(previous)
        del logger._package_level  # type: ignore[attr-defined]


def capture_package_logs(logger: logging.Logger) -> None:
    """Also send INFO+ records of every ``cgan_tui.*`` logger (evaluation, engine) to this run's log
    until ``close_run_log``. One run at a time per process, as workers and ``train`` execute them."""
    package = logging.getLogger(PACKAGE_LOGGER)
    logger._package_level = package.level  # type: ignore[attr-defined]
    if package.getEffectiveLevel() > logging.INFO:
        package.setLevel(logging.INFO)
    for handler in logger.handlers:
        package.addHandler(handler)


def append_line(store: Store, run_id: int, text: str) -> None:
    """Append one timestamped line to the run's log without a logger (queue events, sweeps)."""
    import datetime as _dt

    path = _pull(store, run_id)
    stamp = _dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} INFO {text}\n")
    except OSError:
        pass
    publish_log(store, run_id)


TAIL_BYTES = 16384
"""How much of the end of a local log ``tail`` reads (a long run's log is never read whole)."""


def tail(store: Store, run_id: int, lines: int = 20) -> list[str]:
    """The last ``lines`` lines of a run's log ([] when it has none yet)."""
    path = log_path(store, run_id)
    try:
        with path.open("rb") as fh:
            fh.seek(0, 2)
            fh.seek(max(0, fh.tell() - TAIL_BYTES))
            text: str | None = fh.read().decode("utf-8", "replace")
    except OSError:  # nothing here yet, or the log lives under a remote artifact root
        text = None
        if not store.artifact_store.is_local:  # type: ignore[union-attr]
            text = artifacts.read_text(store.artifact_store.location(run_id, LOG_NAME))  # type: ignore[union-attr]
    return (text or "").splitlines()[-lines:]
