"""Fixtures installing the example plugin packages as a real third party would.

Each package is copied to a temp folder (so pip's build files never land in the checkout) and
``pip install --no-deps --no-build-isolation --target`` puts it in a temp site folder; tests put that
folder on ``sys.path`` (in-process, undone after the test) or ``PYTHONPATH`` (subprocesses). Nothing
is installed into the project's environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "relativistic": ROOT / "plugins" / "cgan-tui-relativistic",
    "projection": ROOT / "plugins" / "cgan-tui-projection",
    "precision-recall": ROOT / "plugins" / "cgan-tui-precision-recall",
}
BROKEN = Path(__file__).resolve().parent / "broken_pkg"


def pip_install(sources: list[Path], target: Path, scratch: Path) -> Path:
    """Install source trees into ``target`` exactly as a user would with pip, without touching them."""
    target.mkdir(parents=True, exist_ok=True)
    copies = []
    for src in sources:
        copy = scratch / src.name
        shutil.copytree(src, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        copies.append(str(copy))
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
           "--disable-pip-version-check", "--no-index", "--target", str(target), *copies]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return target


@pytest.fixture(scope="session")
def plugin_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site folder holding the three example packages, installed by pip."""
    scratch = tmp_path_factory.mktemp("plugin-src")
    return pip_install(list(PACKAGES.values()), tmp_path_factory.mktemp("site-good"), scratch)


@pytest.fixture(scope="session")
def broken_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site folder holding only the package whose import fails."""
    scratch = tmp_path_factory.mktemp("broken-src")
    return pip_install([BROKEN], tmp_path_factory.mktemp("site-broken"), scratch)


@pytest.fixture
def with_plugins(plugin_site: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example packages importable and discoverable in this process for one test."""
    monkeypatch.syspath_prepend(str(plugin_site))
    monkeypatch.delenv("CGAN_TUI_DISABLE_PLUGINS", raising=False)
    return plugin_site


def _subprocess_env(*sites: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CGAN_TUI_DISABLE_PLUGINS", None)
    env["PYTHONPATH"] = os.pathsep.join([*(str(s) for s in sites), str(ROOT)])
    env["COLUMNS"] = "200"
    env.update(extra)
    return env


def _run_cli(*args: str, env: dict[str, str], cwd: Path | None = None, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cgan_tui", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout
    )


@pytest.fixture
def subprocess_env():
    """``subprocess_env(*sites, **vars)``: os.environ with the site folders on PYTHONPATH."""
    return _subprocess_env


@pytest.fixture
def run_cli():
    """``run_cli(*args, env=..., cwd=None)``: ``python -m cgan_tui ARGS`` as a subprocess."""
    return _run_cli
