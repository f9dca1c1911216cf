"""The scripts the GPU machine runs work there: no SQLModel/SQLAlchemy/Textual/rich, no installed entry
points (a bare checkout on PYTHONPATH), ``--data DIR``; each prints its one table. Tiny, CPU, fp32."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BLOCKER = """
import importlib.metadata, runpy, sys
for name in ("sqlmodel", "sqlalchemy", "textual", "rich"):
    sys.modules[name] = None          # `import sqlmodel` now raises ImportError, as on the GPU machine
real_entry_points = importlib.metadata.entry_points
def entry_points(**kw):  # not pip-installed: no cgan_tui entry points (other packages keep theirs)
    return [] if kw.get("group") == "cgan_tui" else real_entry_points(**kw)
importlib.metadata.entry_points = entry_points
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
"""


def run_blocked(script: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "CGAN_TUI_DATA": "/nonexistent"}
    return subprocess.run([sys.executable, "-c", BLOCKER, str(ROOT / "benchmarks" / script), *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)  # fmt: skip


@pytest.mark.slow
def test_precision_quality_runs_without_the_store_or_ui(fmnist_dir, tmp_path):
    out = run_blocked("precision_quality.py", "--device", "cpu", "--data", str(fmnist_dir), "--precisions", "fp32",
                      "--epochs", "1", "--train-images", "64", "--n", "20", "--json", str(tmp_path / "q.json"))  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert "seed004 " in out.stdout and "seed000 " in out.stdout and "fp32 mean" in out.stdout
    runs = json.loads((tmp_path / "q.json").read_text())["runs"]
    assert sorted((r["family"], r["seed"]) for r in runs) == [("seed000", 0), ("seed000", 1), ("seed004", 0), ("seed004", 1)]
    assert all(r["precision"] == "fp32" and r["fid"] > 0 for r in runs)


@pytest.mark.slow
def test_gpu_grid_runs_concurrent_processes_without_the_store_or_ui(fmnist_dir, tmp_path):
    out = run_blocked("gpu_grid.py", "--device", "cpu", "--data", str(fmnist_dir), "--concurrency", "2",
                      "--steps", "2", "--warmup", "1", "--precision", "fp32", "--seed000-epochs", "1",
                      "--train-images", "64", "--json", str(tmp_path / "g.json"))  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert "images/s total" in out.stdout and "seed000 (embedding 10, bce, batch 64) 1 epoch(s) on 64 images" in out.stdout
    figures = json.loads((tmp_path / "g.json").read_text())
    # one K only: each process costs a torch import
    assert [r["k"] for r in figures["concurrent"]] == [2] and len(figures["concurrent"][0]["per_run"]) == 2
    assert all(r["total"] > 0 for r in figures["concurrent"]) and figures["seed000"]["epochs"] == 1


def test_bad_data_folder_is_one_line(tmp_path):
    out = run_blocked("precision_quality.py", "--data", str(tmp_path / "missing"))
    assert out.returncode != 0 and out.stderr.strip().count("\n") == 0 and "no such folder" in out.stderr


def test_builtin_list_matches_pyproject():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import standalone
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]["cgan_tui"]
    assert standalone.BUILTIN_PLUGINS == declared


@pytest.mark.slow
def test_eval_precision_runs_without_the_store_or_ui(fmnist_dir, tmp_path):
    out = run_blocked("eval_precision.py", "--device", "cpu", "--data", str(fmnist_dir), "--n", "30", "--epochs", "1",
                      "--train-images", "64", "--backends", "classifier", "--json", str(tmp_path / "e.json"))  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    [row] = json.loads((tmp_path / "e.json").read_text())["rows"]
    assert row["backend"] == "classifier" and row["fp32"] > 0 and row["bf16"] > 0 and "rel diff" in out.stdout
