"""The committed study (docs/studies/seed004.db, issue 27): a new user can browse a real, trained study right
after set-up, and opening it writes nothing: ``ls --sort combined`` ranks it, ``show`` and ``report``
read it, the app opens on it, and the file's bytes are the same afterwards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cgan_tui.cli import main

from .conftest import results_loaded, wait_for

ROOT = Path(__file__).resolve().parents[2]
STUDY = ROOT / "docs" / "studies" / "seed004.db"
MAX_BYTES = 10 * 2**20


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def study() -> str:
    before = digest(STUDY)
    yield str(STUDY)
    assert digest(STUDY) == before, "reading the committed study changed its bytes"
    for suffix in ("-wal", "-shm", "-journal"):
        leftover = STUDY.with_name(STUDY.name + suffix)
        assert not leftover.exists() or leftover.stat().st_size == 0 or suffix == "-shm", leftover


def test_the_study_is_small_and_holds_no_checkpoints():
    assert STUDY.stat().st_size < MAX_BYTES
    import sqlite3

    with sqlite3.connect(f"file:{STUDY}?mode=ro", uri=True) as conn:
        runs = conn.execute("SELECT count(*), min(status), max(status), min(current_epoch) FROM run").fetchone()
        checkpoints = conn.execute("SELECT count(*) FROM checkpoint").fetchone()[0]
    assert runs == (4, "queued", "queued", 20)  # trained to epoch 20 of 30; epochs 21-30 queued (queue extend)
    assert checkpoints == 0  # metrics, grids and logs only: sample/eval need the training's files


def test_ls_sort_combined_ranks_the_study(study, capsys):
    assert main(["ls", "--db", study, "--sort", "combined", "--columns", "run_id,conditioning,seed,epoch,combined"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("│")]
    values = [float(line.split("│")[5].split("·")[0]) for line in lines]
    assert len(values) >= 8 and values == sorted(values)  # 4 runs x checkpoint epochs, best first


def test_show_and_report_read_the_study(study, tmp_path, capsys):
    assert main(["show", "1", "--db", study]) == 0
    assert "class_acc" in capsys.readouterr().out
    assert main(["report", "--db", study, "-o", str(tmp_path / "r")]) == 0
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "Holm-corrected" in html and "<h2>Samples</h2>" in html


async def test_the_app_opens_on_the_study(study, make_app):
    """On the committed file itself: the fixture checks its bytes after the app closed."""
    app = make_app(f"sqlite:///{study}")
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="the study's results")
        assert len(app.screen.table.shown) >= 8
