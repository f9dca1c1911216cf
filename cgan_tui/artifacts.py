"""Where run files live (checkpoints, ``run.log``): a local folder or any fsspec URL, written atomically.

The one home for run-folder names and paths (``run_00001``, ``ArtifactStore.local_path``). ``--artifacts URL`` /
``$CGAN_TUI_ARTIFACTS`` choose the root: a path or ``file://`` URL is a local folder; anything else
(``s3://bucket/prefix``, ``gs://...``, ``memory://...``) is an fsspec filesystem, so that a run can
resume on any node that reaches it.

Training always writes into a *local* run folder (``ArtifactStore.run_dir``): the root itself when it
is local, else a staging folder under the user's cache. ``publish`` then puts a finished file at its
final location (a no-op for a local root) and returns the location the database records: a path, or a
URL. ``exists``/``fetch`` turn a recorded location back into a local file (downloading it if needed).

Atomic writes: local files go through ``cgan_tui.atomic`` (``NAME.<pid>.tmp``, fsynced, renamed). On object
stores (S3, GCS, Azure, memory) one PUT is already all-or-nothing, so the object is written directly;
other remote filesystems get write-then-move. A reader never sees half a checkpoint.

Torch-free and SQLAlchemy-free: ``gan.training`` and the TUI import this module.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cgan_tui.atomic import atomic_copy, atomic_write_bytes
from cgan_tui.errors import UserError
from cgan_tui.settings import settings

OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss", "adl", "memory"})
"""fsspec protocols whose single write is atomic (no rename needed, and rename would be a copy)."""


def run_key(run_id: int) -> str:
    """The folder name of a run's files, the same under every root."""
    return f"run_{int(run_id):05d}"


# ------------------------------------------------------------------------------------ the store


def _cache_root() -> Path:
    return settings().cache_dir / "staging"


@dataclass(frozen=True)
class ArtifactStore:
    """A root for run files: ``local`` (a resolved folder) or ``url`` (an fsspec URL), never both."""

    local: Path | None = None
    url: str | None = None

    @classmethod
    def parse(cls, value: str | os.PathLike) -> ArtifactStore:
        """A folder path, ``file://`` URL or fsspec URL; an unknown scheme or missing package is a UserError."""
        text = str(value).strip()
        if not text:
            raise UserError("--artifacts is empty; give a folder or a URL such as s3://bucket/prefix")
        if "://" not in text:
            return cls(local=Path(text).expanduser().resolve())
        scheme = text.split("://", 1)[0].lower()
        if scheme in ("file", "local"):
            return cls(local=Path(text.split("://", 1)[1]).expanduser().resolve())
        try:
            import fsspec

            fsspec.get_filesystem_class(scheme)
        except ImportError as exc:
            raise UserError(f"--artifacts {text}: the {scheme}:// filesystem needs a package that is not "
                            f"installed ({exc}); e.g. pip install s3fs for s3://") from None  # fmt: skip
        except ValueError:
            raise UserError(f"--artifacts {text}: unknown filesystem {scheme!r}; use a folder, file://, "
                            "s3://, gs://, az:// or another fsspec URL") from None  # fmt: skip
        return cls(url=text.rstrip("/"))

    @property
    def is_local(self) -> bool:
        return self.local is not None

    def __str__(self) -> str:
        return str(self.local) if self.local is not None else str(self.url)

    # -------------------------------------------------------------- local side (training writes here)
    @property
    def local_root(self) -> Path:
        """The root itself when local, else this URL's staging folder in the user's cache."""
        if self.local is not None:
            return self.local
        return _cache_root() / hashlib.sha1(str(self.url).encode()).hexdigest()[:16]

    def local_path(self, run_id: int, name: str = "") -> Path:
        """A run's local folder (``name`` empty) or a file in it; nothing is created. The one place a
        run folder's path is put together (``run_dir``, ``location``, the run log all call it)."""
        folder = self.local_root / run_key(run_id)
        return folder / name if name else folder

    def run_dir(self, run_id: int) -> Path:
        """The local folder training writes a run's files into (created)."""
        path = self.local_path(run_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    # -------------------------------------------------------------- remote side
    def location(self, run_id: int, name: str) -> str:
        """Where a run file lives for good: a path (local root) or a URL."""
        if self.local is not None:
            return str(self.local_path(run_id, name))
        return f"{self.url}/{run_key(run_id)}/{name}"

    def publish(self, run_id: int, local_file: Path) -> str:
        """Put a finished local file at its final location (atomically) and return that location."""
        local_file = Path(local_file)
        target = self.location(run_id, local_file.name)
        if self.local is not None:
            if Path(target) != local_file:
                atomic_copy(local_file, Path(target))
            return target
        write_bytes(target, local_file.read_bytes())
        return target

    def fetch(self, location: str) -> Path:
        """A local file with the content at ``location`` (remote files are downloaded to staging)."""
        if "://" not in location:
            return Path(location)
        fs, path = _fs(location)
        key = hashlib.sha1(location.encode()).hexdigest()[:16]
        local = self.local_root / "fetched" / f"{key}-{Path(path).name}"
        local.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(local, fs.cat_file(path))
        return local


def _fs(location: str):
    import fsspec

    return fsspec.core.url_to_fs(location)


def exists(location: str) -> bool:
    """Whether a recorded location (a path or a URL) holds a file now."""
    if "://" not in location:
        return Path(location).is_file()
    try:
        fs, path = _fs(location)
        return bool(fs.isfile(path))
    except (OSError, ValueError):
        return False


def write_bytes(location: str, payload: bytes) -> None:
    """Atomic write to a path or URL (see the module docstring for what atomic means where)."""
    if "://" not in location:
        Path(location).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(Path(location), payload)
        return
    fs, path = _fs(location)
    parent = path.rsplit("/", 1)[0]
    protocols = {fs.protocol} if isinstance(fs.protocol, str) else set(fs.protocol)
    if protocols & OBJECT_STORES:
        fs.pipe_file(path, payload)  # one PUT: all or nothing
        return
    fs.makedirs(parent, exist_ok=True)
    tmp = path + ".tmp"
    fs.pipe_file(tmp, payload)
    fs.mv(tmp, path)


DAMAGED_SUFFIX = ".damaged"


def set_aside(location: str) -> str:
    """Rename a damaged run file to ``NAME.damaged`` (``.damaged.2``… when taken), never delete it;
    returns where it went."""
    if "://" in location:
        fs, path = _fs(location)
        fs.mv(path, path + DAMAGED_SUFFIX)
        return location + DAMAGED_SUFFIX
    path = Path(location)
    target = path.with_name(path.name + DAMAGED_SUFFIX)
    count = 1
    while target.exists():
        count += 1
        target = path.with_name(f"{path.name}{DAMAGED_SUFFIX}.{count}")
    path.rename(target)
    return str(target)


def _in_run_folder(location: str, run_id: int) -> bool:
    """Whether a recorded location is a file directly inside this run's folder (``.../run_00007/NAME``)."""
    parts = location.rstrip("/").replace("\\", "/").split("/")
    return len(parts) >= 2 and parts[-2] == run_key(run_id)


def _remove(location: str) -> bool:
    """Delete one file or folder (recursively) at a path or URL; False when there was nothing."""
    if "://" not in location:
        path = Path(location)
        if path.is_dir() and not path.is_symlink():
            import shutil

            shutil.rmtree(path)
            return True
        if path.exists() or path.is_symlink():
            path.unlink()
            return True
        return False
    fs, path = _fs(location)
    if not fs.exists(path):
        return False
    fs.rm(path, recursive=True)
    return True


def remove_run_files(store: ArtifactStore, run_id: int, locations: list[str] | tuple[str, ...] = ()) -> tuple[list[str], list[str]]:
    """Delete a run's files: the recorded ``locations`` (checkpoints) that lie in *its* folder, its folder under
    the root (log, checkpoints, set-aside files) and, for a remote root, its local staging folder.

    Never anything of another run: a recorded location outside a folder named for this run is left alone.
    Returns (removed, failed), where failed lines read ``LOCATION: why``."""
    targets = [loc for loc in locations if _in_run_folder(loc, run_id)]
    targets.append(str(store.local_path(run_id)) if store.local is not None else f"{store.url}/{run_key(run_id)}")
    if store.local is None:
        targets.append(str(store.local_path(run_id)))  # the staging copy training wrote into
    removed, failed = [], []
    for target in dict.fromkeys(targets):
        try:
            if _remove(target):
                removed.append(target)
        except (OSError, ValueError) as exc:
            failed.append(f"{target}: {getattr(exc, 'strerror', None) or exc}")
    return removed, failed


def read_text(location: str) -> str | None:
    """The text at a path or URL, None when there is none."""
    try:
        if "://" not in location:
            return Path(location).read_text(encoding="utf-8", errors="replace")
        fs, path = _fs(location)
        return fs.cat_file(path).decode("utf-8", errors="replace")
    except (OSError, ValueError):
        return None


def from_environment(default: Path) -> ArtifactStore:
    """``$CGAN_TUI_ARTIFACTS`` when set (``--artifacts`` sets it for the process and its workers), else ``default``."""
    value = settings().artifacts
    return ArtifactStore.parse(value) if value else ArtifactStore(local=Path(default).resolve())
