"""The import contracts in pyproject.toml (``[tool.importlinter]``) hold: layers import only downward,
the engine never imports the UI or the database, the UI and the store never import torch.

Static (every import statement, inside functions too), unlike tests/test_layers.py's runtime probe
of what start-up loads; both run. A broken contract fails with lint-imports' own report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())",
         "--no-cache", "--config", str(ROOT / "pyproject.toml")],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 broken" in proc.stdout, proc.stdout
