"""Shared fixtures: a small Fashion-MNIST in the original gzip IDX format and a temp database.

The IDX fixture copies the first few hundred real images when the Debian data set is installed and
otherwise generates class-patterned images, so tests run on any machine and never download.
"""

from __future__ import annotations

import os

# Before numpy/torch load (they read it once): one OpenMP/BLAS thread per process. The suite runs two
# pytest-xdist processes on a 2-core machine, and many tests start subprocesses (workers, CLI runs) on
# top; with torch's default of one thread per core every process spins for cores that are busy, and the
# suite burned twice the CPU time (measured on tests/metrics under load: user 209 s -> 113 s, wall
# 596 s -> 279 s with this line). Children inherit it. An explicit OMP_NUM_THREADS still wins.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

SYSTEM_FMNIST = Path("/usr/share/datasets/fashion-mnist")
N_TRAIN = 640
N_TEST = 200


def _read_idx(path: Path, limit: int) -> np.ndarray:
    with gzip.open(path, "rb") as fh:
        magic = struct.unpack(">I", fh.read(4))[0]
        ndim = magic & 0xFF
        dims = struct.unpack(">" + "I" * ndim, fh.read(4 * ndim))
        count = min(limit, dims[0])
        item = int(np.prod(dims[1:])) if ndim > 1 else 1
        data = np.frombuffer(fh.read(count * item), dtype=np.uint8)
    return data.reshape((count, *dims[1:])) if ndim > 1 else data


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` (uint8) as a gzip IDX file exactly like the original distribution."""
    header = struct.pack(">I", 0x0800 | array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def synthetic_fmnist(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class-dependent blobs: each class has its own bright rectangle, plus noise."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n, dtype=np.uint8) % 10
    images = rng.integers(0, 40, size=(n, 28, 28), dtype=np.uint8)
    for i, c in enumerate(labels):
        top, left = 2 + (c // 5) * 12, 2 + (c % 5) * 5
        images[i, top : top + 12, left : left + 6] = 200 + rng.integers(0, 55)
    return images, labels


def make_fmnist_dir(root: Path, n_train: int = N_TRAIN, n_test: int = N_TEST) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for split, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        img_src = SYSTEM_FMNIST / f"{split}-images-idx3-ubyte.gz"
        if img_src.exists():
            images = _read_idx(img_src, n)
            labels = _read_idx(SYSTEM_FMNIST / f"{split}-labels-idx1-ubyte.gz", n)
        else:
            images, labels = synthetic_fmnist(n, seed)
        write_idx(root / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(root / f"{split}-labels-idx1-ubyte.gz", labels)
    return root


@pytest.fixture(scope="session")
def fmnist_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the four gzip IDX files (640 train / 200 test images)."""
    return make_fmnist_dir(tmp_path_factory.mktemp("fmnist"))


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """A fresh SQLite database URL in a temp folder (artifacts go beside it)."""
    return f"sqlite:///{tmp_path / 'experiments.db'}"


# --------------------------------------------------------------------------------------------
# Parallel runs (pytest-xdist, `./dev test` uses `-n 2 --dist loadgroup`): tests are independent,
# except that the TUI tests share one session fixture (real trained runs, built once per process) and
# the tests that start worker processes size their threads for a machine of their own. Each of those
# two sets runs in one xdist process; everything else is spread over both.
XDIST_GROUPS = {
    "ui": ("tests/ui/",),
    "worker-processes": ("tests/runner/test_worker.py",),
    "ray": ("tests/runner/test_ray_executor.py",),  # one local Ray instance per module, not one per xdist process
    "reliability": ("tests/reliability/",),  # holds locks, mounts tmpfs, starts workers: one process
}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the markers into the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    grouped: set[int] = set()
    for index, item in enumerate(items):
        rel = Path(str(item.path)).relative_to(root).as_posix()
        for group, prefixes in XDIST_GROUPS.items():
            if rel.startswith(prefixes):
                item.add_marker(pytest.mark.xdist_group(group))
                grouped.add(index)
    # The groups are the longest units of work: hand them out first, so that the many small tests
    # fill in beside them instead of one process finishing a big group alone at the end.
    items[:] = [items[i] for i in sorted(range(len(items)), key=lambda i: i not in grouped)]


# --------------------------------------------------------------------------------------------
# PostgreSQL: one real server per test process (started on first use), a fresh database per test.
@pytest.fixture(scope="session")
def pg_server():
    from tests import pg_server as pg

    why = pg.missing()
    if why:
        pytest.skip(why)
    server = pg.start_server()
    yield server
    pg.stop_server(server)


@pytest.fixture
def pg_url(pg_server, tmp_path, monkeypatch) -> str:
    """A new empty PostgreSQL database (dropped afterwards) as a plain ``postgresql://`` URL with a
    password; its artifacts go to this test's temp folder through ``$CGAN_TUI_ARTIFACTS`` (as a
    ``file://`` URL: worker processes started by the tests inherit it)."""
    monkeypatch.setenv("CGAN_TUI_ARTIFACTS", f"file://{tmp_path / 'artifacts'}")
    name, janitor = pg_server.fresh_database()
    with janitor:
        yield pg_server.url(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request, tmp_path) -> str:
    """Each database the queue runs on, in turn: a SQLite file in the temp folder (artifacts beside
    it), then a fresh database on the suite's real PostgreSQL (artifacts in ``tmp_path/artifacts``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'experiments.db'}"
    return request.getfixturevalue("pg_url")
