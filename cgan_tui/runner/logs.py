"""One ``run.log`` per run, beside its checkpoints: start, resume point, each epoch, errors.

The file is appended to across attempts (a requeued run keeps its history). Each run gets its own
``logging.Logger`` (not propagated to the root logger) so that two runs in one process never mix.
"""

from __future__ import annotations

import logging
from pathlib import Path

from cgan_tui.redact import RedactingFilter
from cgan_tui.store.db import Store

LOG_NAME = "run.log"
FORMAT = "%(asctime)s %(levelname)s %(message)s"


def log_path(store: Store, run_id: int) -> Path:
    """Where the run's log lives (the folder may not exist yet for a queued run)."""
    return store.artifacts / f"run_{int(run_id):05d}" / LOG_NAME


def open_run_log(store: Store, run_id: int) -> logging.Logger:
    """A logger writing to the run's ``run.log`` (created with its folder); close with ``close_run_log``."""
    path = store.run_dir(run_id) / LOG_NAME
    logger = logging.getLogger(f"cgan_tui_runs.{int(run_id)}.{id(store)}")  # outside "cgan_tui": no echo
    logger.setLevel(logging.INFO)
    logger.propagate = False
    close_run_log(logger)
    handler = logging.FileHandler(path, encoding="utf-8")
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

    path = store.run_dir(run_id) / LOG_NAME
    stamp = _dt.datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
    try:
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"{stamp} INFO {text}\n")
    except OSError:
        pass


def tail(store: Store, run_id: int, lines: int = 20) -> list[str]:
    """The last ``lines`` lines of a run's log ([] when it has none yet)."""
    path = log_path(store, run_id)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]
