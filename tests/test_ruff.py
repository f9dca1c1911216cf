"""``ruff check`` passes on the whole checkout with ``[tool.ruff]`` in pyproject.toml (so ``./dev test``
lints): unused imports, undefined names, import order, bug-prone patterns, and ``noqa`` markers that
no longer suppress anything (RUF100). A finding fails with ruff's own report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_check_is_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise", str(ROOT)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
