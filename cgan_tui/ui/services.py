"""What the app needs from the outside world, handed to it in its constructor (harlequin style).

The app holds no business logic: it asks ``Services`` for rows and hands user actions back to it.
Tests build one on a temp database (and with in-process plugins); the CLI builds one from ``--db``.
Everything here is torch-free at import and safe to call from Textual thread workers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cgan_tui.scoring import DEFAULT_PRESET

if TYPE_CHECKING:
    from cgan_tui.config import RunConfig
    from cgan_tui.grid_tiles import GridImage
    from cgan_tui.memorised import MemorisedGrid
    from cgan_tui.plugins import Registries
    from cgan_tui.results import ResultRow
    from cgan_tui.store.db import Store

LOG_TAIL_LINES = 40


def default_grids_dir() -> Path:
    """``./grids`` when the current folder has one, else the study grids of this checkout."""
    here = Path("grids")
    if here.is_dir():
        return here
    checkout = Path(__file__).resolve().parents[2] / "grids"
    return checkout if checkout.is_dir() else here


_STORE_LAYER_IMPORT = threading.Lock()


def import_store_layer() -> None:
    """Import the database layer (SQLAlchemy, SQLModel, ``cgan_tui.store``) one thread at a time.

    Two threads importing SQLAlchemy at the same moment can see a partially initialised module; at
    start-up the store opener and the first full read did exactly that (about 1 start in 15 ended on
    "cannot open database"). Every thread of the app imports it through here first."""
    with _STORE_LAYER_IMPORT:
        import cgan_tui.store.db
        import cgan_tui.store.guard
        import cgan_tui.store.queries  # noqa: F401


DISCOVERY_FAILED = "plugin discovery"
"""Name of the report row standing in for every plugin when discovery itself raised."""

READ_ONLY = "read-only: this app was started with --read-only (`cgan-tui serve` without --allow-writes)"
"""Why a write was refused; the screen that tried it says what was not done."""

@dataclass
class Services:
    """The store, the plugin loader, the queue and a worker-pool factory, injectable for tests.

    ``db_url``: a database URL or SQLite path as ``--db`` takes it (None: ``$CGAN_TUI_DB`` or
    ``./experiments.db``). Resolving and opening it imports SQLAlchemy, so it happens in ``connect()``,
    which the app calls from a thread: the first frame never waits for the database layer.

    ``image_renderer``: ``halfcell``, ``sixel`` or ``kitty`` (``ui.renderers``; the CLI detects it before
    the app starts), ``image_reason`` why (shown in the picture screens' renderer line).
    ``poll_interval`` seconds between database polls.
    """

    db_url: str | None
    plugin_loader: Callable[[], Registries] | None = None
    executor_factory: Callable[..., Any] | None = None
    executor: str = "local"  # a name in runner.executors.EXECUTORS (the `w` key starts this kind)
    grids_dir: Path = field(default_factory=default_grids_dir)
    image_renderer: str = "halfcell"
    image_reason: str = "default"
    poll_interval: float = 1.5
    page_size: int = 100
    rater: str = "me"
    export_dir: Path = field(default_factory=Path)
    """Where the run detail screen's ``s`` writes the shown grid (default: the current folder)."""
    lock_probe_s: float = 1.0
    read_only: bool = False
    """Refuse every write (queue, rate, cancel, workers, saving files) with one line: what a browser
    session of ``cgan-tui serve`` gets unless the server was started with ``--allow-writes``."""
    _store: Store | None = field(default=None, init=False, repr=False)
    _registries: Registries | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _plugins_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _pool: Any = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        """The resolved database URL (what ``--db``/``$CGAN_TUI_DB``/the default turn into)."""
        from cgan_tui.store.location import database_url  # no SQLAlchemy: usable before the store is open

        return database_url(self.db_url)

    @property
    def display_name(self) -> str:
        """The database as the header shows it: the file name for SQLite, else the URL without password."""
        from cgan_tui.store.location import database_label

        name = database_label(self.url)
        return f"{name} · read-only" if self.read_only else name

    def check_writable(self) -> None:
        """Raise a one-line UserError when this app is read-only; every write method calls it first."""
        if self.read_only:
            from cgan_tui.errors import UserError

            raise UserError(READ_ONLY)

    # ------------------------------------------------------------------ store and plugins
    def connect(self) -> Store:
        """Open the database once (raises StoreError with a one-line reason)."""
        import_store_layer()
        with self._lock:
            if self._store is None:
                from cgan_tui.store.db import open_store
                from cgan_tui.store.guard import probe_sqlite

                url = self.url
                probe_sqlite(url, self.lock_probe_s)
                self._store = open_store(url, create=True)
            return self._store

    @property
    def store(self) -> Store:
        return self.connect()

    def store_gone(self) -> str | None:
        """Why the opened SQLite file can no longer be used (deleted or replaced), else None (cheap: a stat).

        Called on the UI thread: before the store is open it must not import the database layer (that
        import takes a second and, on the UI thread, froze the first screenful until it was done)."""
        if self._store is None:
            return None
        from cgan_tui.store.guard import StoreWriteError, check_file_still_there

        try:
            check_file_still_there(self._store)
        except StoreWriteError as exc:
            return str(exc)
        return None

    def rateable(self, run_id: int, epoch: int) -> str | None:
        """Why (run, epoch) cannot be rated (the CLI's check, ``queries.check_rateable``), else None."""
        from cgan_tui.errors import UserError
        from cgan_tui.store import queries

        try:
            self.check_writable()
            queries.check_rateable(self.store, run_id, epoch)
        except UserError as exc:
            return str(exc)
        return None

    def registries(self) -> Registries:
        """Plugins, loaded once (first call pays; the app calls it from a background thread)."""
        with self._plugins_lock:
            if self._registries is None:
                from cgan_tui.plugins import PluginInfo, Registries, load_plugins

                try:
                    self._registries = (self.plugin_loader or load_plugins)()
                except Exception as exc:  # noqa: BLE001 - stored runs stay readable without plugins
                    error = f"plugin discovery failed: {type(exc).__name__}: {exc}"
                    self._registries = Registries.empty([PluginInfo(DISCOVERY_FAILED, "", "", "", "failed", error)])
            return self._registries

    def close(self) -> None:
        self.stop_workers(timeout=5.0)
        if self._store is not None:
            self._store.dispose()

    # ------------------------------------------------------------------ results
    def results(
        self, preset: str = DEFAULT_PRESET, weights: Sequence[float] | None = None, limit_runs: int | None = None
    ) -> list[ResultRow]:
        from cgan_tui.results import load_results

        return load_results(self.store, self.registries(), preset=preset, weights=weights, limit_runs=limit_runs)

    def quick_results(
        self, preset: str = DEFAULT_PRESET, weights: Sequence[float] | None = None, limit_runs: int | None = None
    ) -> tuple[list[ResultRow], dict[str, int]] | None:
        """``results(...)`` and the status counts read straight from a SQLite file with ``sqlite3``
        (``store.results_sql.sqlite_reader``), without waiting for SQLAlchemy/SQLModel to import: how
        the table shows its first screenful fast. None when that is not possible (another database
        kind, no file yet, another schema version, a read error): then read through the store."""
        from cgan_tui.results import load_results
        from cgan_tui.store import results_sql

        reader = results_sql.sqlite_reader(self.url)
        if reader is None:
            return None
        registries = self.registries()
        try:
            rows = load_results(None, registries, preset=preset, weights=weights, limit_runs=limit_runs, reader=reader)
            return rows, reader(results_sql.status_counts)
        except Exception:  # noqa: BLE001 - e.g. locked or changed under us: the store's read reports it
            return None

    # ------------------------------------------------------------------ run detail
    def run(self, run_id: int):
        from cgan_tui.store import queries

        return queries.get_run(self.store, run_id)

    def epoch_rows(self, run_id: int):
        from cgan_tui.store import queries

        return queries.epoch_rows(self.store, run_id)

    def step_curves(self, run_ids: Sequence[int]):
        """run id -> value name -> ``StepCurve`` (step-level losses; none for runs trained before them)."""
        from cgan_tui.store import queries

        return queries.step_curves(self.store, run_ids)

    def metric_rows(self, run_ids: Sequence[int]):
        from cgan_tui.store import queries

        return queries.metric_rows(self.store, run_ids)

    def grid_epochs(self, run_id: int) -> list[int]:
        from cgan_tui.store import queries

        return queries.grid_epochs(self.store, run_id)

    def grid_image(self, run_id: int, epoch: int) -> GridImage | None:
        """The grid with its layout (rows x cols), for cutting it into samples."""
        from cgan_tui.grid_tiles import GridImage
        from cgan_tui.store import queries

        row = queries.grid(self.store, run_id, epoch)
        return None if row is None else GridImage(bytes(row.png), rows=row.rows, cols=row.cols)

    def memorised_grid(self, run_id: int, epoch: int) -> MemorisedGrid | None:
        """The grid's memorised samples and their nearest training images, as the evaluation recorded them
        beside the run's files (``cgan_tui.memorised``); None when there is no record."""
        from cgan_tui import memorised

        return memorised.read(self.store.artifact_store, run_id, epoch)

    def save_grid_png(self, run_id: int, epoch: int, png: bytes) -> Path:
        """Write a stored grid's PNG bytes as ``run<ID>_e<EPOCH>_grid.png`` in ``export_dir``; returns the
        path. The bytes are the stored picture itself: nothing is redrawn (the UI never imports torch)."""
        from cgan_tui.errors import UserError

        self.check_writable()
        path = Path(self.export_dir) / f"run{run_id}_e{epoch}_grid.png"
        try:
            path.write_bytes(png)
        except OSError as exc:
            raise UserError(f"cannot save the grid to {path}: {exc.strerror or exc}") from None
        return path.resolve()

    @property
    def image_footer(self) -> str:
        from cgan_tui.ui.renderers import Choice

        return Choice(self.image_renderer, self.image_reason).footer()

    def checkpoints(self, run_id: int):
        from cgan_tui.store import queries

        return queries.checkpoints(self.store, run_id)

    def relative_artifact(self, path: str) -> str:
        """A checkpoint location relative to the artifact root (shorter, and the same on every machine)."""
        root = str(self.store.artifact_store).rstrip("/") + "/"
        return path[len(root):] if path.startswith(root) else path

    def log_tail(self, run_id: int, lines: int = LOG_TAIL_LINES) -> str:
        """Last lines of the run's log file beside its checkpoints ('' when there is none yet)."""
        from cgan_tui.runner.logs import tail

        return "\n".join(tail(self.store, run_id, lines))

    def ratings(self, run_id: int, epoch: int) -> dict[str, int]:
        from cgan_tui.store import queries

        return {
            r.criterion: r.value
            for r in queries.ratings(self.store, [run_id])
            if r.epoch == epoch and r.rater == self.rater
        }

    def rate(self, run_id: int, epoch: int, criterion: str, value: int) -> None:
        self.check_writable()
        from cgan_tui.store import queries

        queries.add_rating(self.store, run_id, epoch, criterion, value, rater=self.rater)

    def label(self, run_id: int):
        """The run's note, tags and archived flag (``cgan_tui.labels.Label``)."""
        from cgan_tui.store import queries

        return queries.label(self.store, run_id)

    def save_label(self, run_id: int, note: str, tags: Sequence[str]) -> None:
        """Replace the run's note and tags (checked by ``cgan_tui.labels``; one line when refused)."""
        self.check_writable()
        from cgan_tui.store import queries

        queries.set_note_and_tags(self.store, [run_id], note, tags)

    def set_archived(self, run_ids: Sequence[int], archived: bool) -> None:
        """Archive (hide from the table unless the filter asks) or unarchive runs, as ``cgan-tui archive``."""
        self.check_writable()
        from cgan_tui.store import queries

        queries.set_archived(self.store, run_ids, archived)

    def describe_removal(self, run_ids: Sequence[int]) -> list[str]:
        """What removing the runs would remove, one line each (``cgan-tui rm``'s); refuses a running run."""
        self.check_writable()
        from cgan_tui.store import queries

        return queries.describe_removal(self.store, run_ids)

    def remove_runs(self, run_ids: Sequence[int]) -> tuple[list[str], list[str]]:
        """Remove the runs' rows and files as ``cgan-tui rm`` does: (done lines, files not removed)."""
        self.check_writable()
        from cgan_tui.store import queries

        return queries.remove_runs_and_files(self.store, run_ids)

    # ------------------------------------------------------------------ queue
    def queue_rows(self):
        """Queued and running runs with live progress (``runner.queue.QueueRow``), running first."""
        from cgan_tui.runner import queue

        return queue.queue_rows(self.store)

    def change_token(self) -> tuple:
        """A fingerprint of everything the results table shows (``store.queries.change_token``)."""
        from cgan_tui.store import queries

        return queries.change_token(self.store)

    def status_counts(self) -> dict[str, int]:
        from cgan_tui.store import queries

        return queries.status_counts(self.store)

    def enqueue(self, configs: Sequence[RunConfig], priority: int = 0, experiment: str | None = None) -> list[int]:
        """Resolve every config against the plugins (one typo rejects the batch), then queue them."""
        self.check_writable()
        from cgan_tui.runner import queue

        return queue.enqueue_grid(
            self.store, list(configs), registries=self.registries(), priority=priority, experiment=experiment
        )

    def grid_files(self) -> list[Path]:
        return sorted(self.grids_dir.glob("*.toml")) if self.grids_dir.is_dir() else []

    def enqueue_grid(self, path: Path, priority: int = 0) -> list[int]:
        self.check_writable()
        from cgan_tui.runner import queue

        return queue.enqueue_grid(self.store, Path(path), registries=self.registries(), priority=priority)

    def grid_cost(self, path: Path) -> dict:
        """The grid's estimated training time from ``gan.cost`` (a measured probe), run in a subprocess
        so this process never imports torch: ``{"text", "seconds", "confirm", "human", "limit"}`` or
        ``{"error"}``. Read-only: no estimate (it is only asked for before queueing, which is refused)."""
        if self.read_only:
            return {"error": READ_ONLY}
        import json
        import subprocess
        import sys

        try:
            out = subprocess.run([sys.executable, "-m", "cgan_tui.gan.cost", str(path)], capture_output=True,
                                 text=True, timeout=600)  # fmt: skip
            return json.loads(out.stdout.strip().splitlines()[-1])
        except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
            return {"error": f"no estimate: {type(exc).__name__}: {exc}"}

    def cancel(self, run_id: int) -> str:
        self.check_writable()
        from cgan_tui.runner import queue

        return queue.cancel(self.store, run_id)

    def reprioritise(self, run_id: int, priority: int) -> None:
        self.check_writable()
        from cgan_tui.runner import queue

        queue.reprioritise(self.store, run_id, priority)

    def requeue(self, run_id: int) -> None:
        self.check_writable()
        from cgan_tui.runner import queue

        queue.requeue(self.store, run_id)

    def missing_weights(self, backend: str) -> list[tuple[str, str]]:
        """(name, how to get it) of each weight file ``backend``'s values need that is not usable here.
        File existence only (torch-free, no download): the results screen says it when a backend has no values."""
        from cgan_tui.gan import weights

        missing = []
        for spec in weights.for_backend(backend, self.registries()):
            found = weights.status_of(spec)
            if found.path is None or found.note:
                missing.append((spec.name, f"`cgan-tui weights fetch {spec.name}`" if spec.downloadable else spec.how_to_get))
        return missing

    # ------------------------------------------------------------------ local workers
    @property
    def workers_running(self) -> int:
        return 0 if self._pool is None else int(self._pool.alive())

    def start_workers(self, n: int = 1) -> int:
        """Start ``n`` more local worker processes; returns how many are alive."""
        self.check_writable()
        if self._pool is None:
            factory = self.executor_factory
            if factory is None:
                from cgan_tui.runner.executors import EXECUTORS

                factory = EXECUTORS[self.executor]
            self._pool = factory(self.url)
        self._pool.start(n)
        return self.workers_running

    def detach_workers(self) -> int:
        """Leave the workers this app started running after it exits (``Executor.detach``); how many."""
        if self._pool is None:
            return 0
        alive = self.workers_running
        self._pool.detach()  # a kind that cannot refuses (UserError) and keeps its pool
        self._pool = None
        return alive

    def stop_workers(self, timeout: float = 30.0) -> None:
        """SIGTERM every worker this app started; their runs go back to the queue and resume later."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.stop(timeout)
