"""A truncated checkpoint: named in one line, moved aside (never deleted), the run resumes from the
newest intact one and completes; ``sample``/``eval`` on it print one line (issue 26)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from cgan_tui.gan.checkpoint_file import is_intact
from cgan_tui.runner import queue
from cgan_tui.runner.execute import execute_run
from cgan_tui.runner.logs import log_path
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus

from .conftest import cli, one_line


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'experiments.db'}"
    return request.getfixturevalue("pg_url")


class StopAfter:
    """Extra callbacks that set ``stop`` once epoch ``epoch`` has ended."""

    def __init__(self, stop: threading.Event, epoch: int) -> None:
        self.stop, self.epoch = stop, epoch

    def on_progress(self, p) -> None: ...

    def on_checkpoint(self, c) -> None: ...

    def on_epoch_end(self, e) -> None:
        if e.epoch >= self.epoch:
            self.stop.set()

    def should_stop(self) -> bool:
        return False


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def files(store, rid) -> dict[tuple[int, str], Path]:
    return {(c.epoch, c.kind): Path(c.path) for c in q.checkpoints(store, rid)}


def two_of_three_epochs(store, tiny, registries) -> int:
    rid = queue.enqueue(store, tiny(epochs=3, checkpoint_epochs=(1, 2)), registries=registries)
    assert queue.claim_next(store, "w").id == rid
    stop = threading.Event()
    out = execute_run(store, rid, registries, worker_id="w", stop_event=stop, epoch_hooks=[],
                      extra_callbacks=StopAfter(stop, 2))  # fmt: skip
    assert (out.status, out.epochs_done) == ("queued", 2)
    return rid


@pytest.mark.parametrize("also_resume", [False, True], ids=["milestone", "milestone-and-resume.pt"])
def test_truncated_checkpoint_is_set_aside_and_the_run_resumes_from_the_newest_intact(db, tiny, registries,
                                                                                     also_resume):  # fmt: skip
    store = open_store(db)
    rid = two_of_three_epochs(store, tiny, registries)
    paths = files(store, rid)
    milestone, resume = paths[(2, "milestone")], paths[(2, "last")]
    truncate(milestone)
    if also_resume:
        truncate(resume)

    assert queue.claim_next(store, "w").id == rid
    out = execute_run(store, rid, registries, worker_id="w", epoch_hooks=[])
    run = q.get_run(store, rid)
    assert (out.status, run.status, run.error) == ("completed", RunStatus.completed, None)
    assert [r.epoch for r in q.epoch_rows(store, rid)] == [1, 2, 3]  # exact rows: epoch 2 retrained once at most
    aside = milestone.with_name("epoch_002.pt.damaged")
    assert aside.is_file() and not is_intact(aside)  # moved, never deleted
    assert (resume.with_name("resume.pt.damaged").is_file()) is also_resume
    log = log_path(store, rid).read_text()
    lines = [line for line in log.splitlines() if "is damaged" in line]
    assert len(lines) == 1 + also_resume and str(milestone) in log and "Traceback" not in log
    assert f"resume from epoch {1 if also_resume else 2}" in log
    after = files(store, rid)
    assert set(after) == {(1, "milestone"), (2, "milestone"), (3, "milestone"), (3, "last")}
    assert all(is_intact(p) for p in after.values())  # milestone 2: restored from resume.pt, or retrained
    store.dispose()


def test_sample_and_eval_on_a_damaged_checkpoint_say_so_in_one_line(tmp_path, tiny, registries):
    db = f"sqlite:///{tmp_path / 'experiments.db'}"
    store = open_store(db)
    rid = two_of_three_epochs(store, tiny, registries)
    milestone = files(store, rid)[(2, "milestone")]
    truncate(milestone)
    before = milestone.read_bytes()
    for args in (("sample", f"{rid}:2", "-o", str(tmp_path / "s.png")), ("eval", str(rid), "--epoch", "2")):
        done = cli(*args, "--db", db)
        assert done.returncode != 0
        one_line(done.stderr, str(milestone), "is damaged", "epochs with an intact checkpoint: 1, 2")
    assert milestone.read_bytes() == before  # a reading command leaves the file where it is
    store.dispose()
