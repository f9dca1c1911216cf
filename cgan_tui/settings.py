"""Every ``CGAN_TUI_*`` environment variable in one place: its name, default, meaning and parsing.

``settings()`` reads the process environment *now* (tests and ``--artifacts`` change it while a process
runs, and workers inherit it), so nothing is cached. Each value is parsed when it is asked for: a bad
value of one variable is a one-line ``SettingError`` naming the variable and what is valid, and never
stops code that does not use it. Standard library and platformdirs only (the platform's user cache
folder), so every layer (``gan/`` included) may use it.
``VARIABLES`` is the table the README documents (a test holds the two together).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from cgan_tui.errors import UserError

PREFIX = "CGAN_TUI_"
APP_NAME = "cgan-tui"
"""The cache folder's name (``platformdirs.user_cache_dir(APP_NAME)``: ``$XDG_CACHE_HOME/cgan-tui`` on Linux)."""
LEGACY_CACHE = Path.home() / ".cache" / "cgan_tui"
"""Where cgan-tui before 0.2 kept weights and the downloaded data set (ignoring ``$XDG_CACHE_HOME``):
still read when it holds them and the cache root does not, so an existing install keeps its files."""


class SettingError(UserError, ValueError):
    """A ``CGAN_TUI_*`` variable holds a value that cannot be used; the message says what is valid."""


DB_ENV = "CGAN_TUI_DB"
ARTIFACTS_ENV = "CGAN_TUI_ARTIFACTS"
DATA_ENV = "CGAN_TUI_DATA"
WEIGHTS_ENV = "CGAN_TUI_WEIGHTS"
WEIGHTS_MIRROR_ENV = "CGAN_TUI_WEIGHTS_MIRROR"
CACHE_ENV = "CGAN_TUI_CACHE"
EVAL_ENV = "CGAN_TUI_EVAL"
CONFIRM_ABOVE_ENV = "CGAN_TUI_CONFIRM_ABOVE_S"
LOCK_WAIT_ENV = "CGAN_TUI_LOCK_WAIT_S"
IMAGES_ENV = "CGAN_TUI_IMAGES"
DISABLE_PLUGINS_ENV = "CGAN_TUI_DISABLE_PLUGINS"
EXTRA_PLUGINS_ENV = "CGAN_TUI_EXTRA_PLUGINS"
RAY_NICENESS_ENV = "RAY_worker_niceness"
"""Not ours: Ray's own variable, which the Ray executor sets for its actors (read by each Ray worker)."""


@dataclass(frozen=True)
class Variable:
    """One environment variable as the README's table lists it."""

    name: str
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable(DB_ENV, "./experiments.db", "database URL or SQLite path (`--db` wins)"),
    Variable(ARTIFACTS_ENV, "beside a SQLite file, else ./cgan_artifacts",
             "checkpoints and run logs: a folder or an fsspec URL (`--artifacts` sets it for workers too)"),
    Variable(DATA_ENV, "the Debian folder, then the cache",
             "folder with the Fashion-MNIST gzip IDX files (`--data-dir` wins)"),
    Variable(WEIGHTS_ENV, "weights/ in the cache folder (below)", "folder of metric weight files (imports go there)"),
    Variable(WEIGHTS_MIRROR_ENV, "(none)", "replaces everything before the file name of each weights URL"),
    Variable(CACHE_ENV, "$XDG_CACHE_HOME/cgan-tui, else ~/.cache/cgan-tui",
             "user cache: cost-probe timings, staging of remote artifacts"),
    Variable(EVAL_ENV, "on", "`off` (or 0/false/no) switches the evaluation hook off everywhere"),
    Variable(CONFIRM_ABOVE_ENV, "3600", "seconds of estimated training above which a grid asks first"),
    Variable(LOCK_WAIT_ENV, "30", "seconds a write waits for a locked database before it gives up"),
    Variable(IMAGES_ENV, "auto", "image renderer: auto, halfcell, sixel or kitty"),
    Variable(DISABLE_PLUGINS_ENV, "(none)", "comma-separated plugin names to skip (like `-p no:NAME`)"),
    Variable(EXTRA_PLUGINS_ENV, "(none)", "comma-separated `module[:attr]` registered in-process (tests, embedding)"),
)  # fmt: skip
NAMES = tuple(v.name for v in VARIABLES)

CONFIRM_ABOVE_S = 3600.0
"""Default of ``$CGAN_TUI_CONFIRM_ABOVE_S``: a grid estimated to train longer asks before it is queued."""
LOCK_WAIT_S = 30.0
"""Default of ``$CGAN_TUI_LOCK_WAIT_S``."""
OFF_VALUES = ("off", "0", "false", "no")


@dataclass(frozen=True)
class Settings:
    """The ``CGAN_TUI_*`` values of one environment (default: this process's, read at creation)."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def raw(self, name: str) -> str | None:
        """The variable's text, None when unset or blank."""
        if name not in NAMES:
            raise KeyError(f"{name} is not a cgan-tui setting; known: {', '.join(NAMES)}")
        value = self.environ.get(name, "").strip()
        return value or None

    def _seconds(self, name: str, default: float) -> float:
        raw = self.raw(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingError(f"{name} must be a number of seconds, got {raw!r}") from None
        if value < 0:
            raise SettingError(f"{name} must be >= 0 seconds, got {raw!r}")
        return value

    def _names(self, name: str) -> tuple[str, ...]:
        return tuple(part.strip() for part in (self.raw(name) or "").split(",") if part.strip())

    @property
    def db(self) -> str | None:
        """``$CGAN_TUI_DB``: a database URL or SQLite path (None: ``./experiments.db``)."""
        return self.raw(DB_ENV)

    @property
    def artifacts(self) -> str | None:
        """``$CGAN_TUI_ARTIFACTS``: the artifact root (None: beside the database)."""
        return self.raw(ARTIFACTS_ENV)

    @property
    def data_dir(self) -> str | None:
        """``$CGAN_TUI_DATA``: the Fashion-MNIST folder (None: search the usual places)."""
        return self.raw(DATA_ENV)

    @property
    def weights_dir(self) -> Path:
        """``$CGAN_TUI_WEIGHTS``, else ``weights/`` in the one cache root (``cache_dir``; not created here)."""
        raw = self.raw(WEIGHTS_ENV)
        return Path(raw).expanduser() if raw else self.in_cache("weights")

    @property
    def data_cache_dir(self) -> Path:
        """Where torchvision's Fashion-MNIST download goes: ``data/`` in the cache root (not created here)."""
        return self.in_cache("data")

    def in_cache(self, name: str) -> Path:
        """``cache_dir / name``; the pre-0.2 folder (``LEGACY_CACHE / name``) while only that one exists."""
        path = self.cache_dir / name
        legacy = LEGACY_CACHE / name
        if self.raw(CACHE_ENV) is None and not path.exists() and legacy.is_dir():
            return legacy
        return path

    @property
    def weights_mirror(self) -> str | None:
        """``$CGAN_TUI_WEIGHTS_MIRROR``: a URL prefix replacing each weight file's own (None: the originals)."""
        return self.raw(WEIGHTS_MIRROR_ENV)

    @property
    def cache_dir(self) -> Path:
        """The one cache root: ``$CGAN_TUI_CACHE``, else the platform's user cache folder (platformdirs:
        ``$XDG_CACHE_HOME/cgan-tui``, else ``~/.cache/cgan-tui`` on Linux; not created here).

        Never a shared or system folder: what one user's probes measured stays theirs."""
        raw = self.raw(CACHE_ENV)
        if raw:
            return Path(raw).expanduser()
        return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))

    @property
    def evaluation_on(self) -> bool:
        """``$CGAN_TUI_EVAL``: False for off/0/false/no, else True."""
        return (self.raw(EVAL_ENV) or "").lower() not in OFF_VALUES

    @property
    def confirm_above_s(self) -> float:
        """``$CGAN_TUI_CONFIRM_ABOVE_S``: estimated training seconds above which a grid asks first."""
        return self._seconds(CONFIRM_ABOVE_ENV, CONFIRM_ABOVE_S)

    @property
    def lock_wait_s(self) -> float:
        """``$CGAN_TUI_LOCK_WAIT_S``: the bound on waiting for a database lock."""
        return self._seconds(LOCK_WAIT_ENV, LOCK_WAIT_S)

    @property
    def images(self) -> str | None:
        """``$CGAN_TUI_IMAGES`` as typed (``ui.renderers.parse`` checks it against the renderers)."""
        return self.environ.get(IMAGES_ENV)

    @property
    def disabled_plugins(self) -> frozenset[str]:
        """``$CGAN_TUI_DISABLE_PLUGINS``: plugin names to skip."""
        return frozenset(self._names(DISABLE_PLUGINS_ENV))

    @property
    def extra_plugins(self) -> tuple[str, ...]:
        """``$CGAN_TUI_EXTRA_PLUGINS``: ``module[:attr]`` specs registered in-process."""
        return self._names(EXTRA_PLUGINS_ENV)


def settings() -> Settings:
    """The settings of this process's environment as it is now."""
    return Settings()


__all__ = ["Settings", "SettingError", "Variable", "VARIABLES", "NAMES", "settings"]
