"""``cgan-tui queue extend``: a completed run trained on to more epochs is the run a longer ``--epochs``
would have given (same losses, same weights), keeps the epochs it had, and stays one setting with its
seeds. Refusals are one line and change nothing. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import os

import pytest
import torch

from cgan_tui.errors import UserError
from cgan_tui.runner import queue
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus

from .conftest import cli, one_line


@pytest.fixture
def db(any_db_url):
    store = open_store(any_db_url)
    yield store
    store.dispose()


def _train_queue(url, start_worker) -> None:
    worker = start_worker(url, "--once")
    assert worker.wait(timeout=600) == 0, worker.log_path.read_text()


def _train_values(db, run_id) -> dict[tuple[int, str], float]:
    return {(m.epoch, m.name): m.value for m in q.metric_rows(db, [run_id]) if m.name in ("g_loss", "d_loss")}


def _weights(db, run_id, epoch) -> dict:
    from cgan_tui.gan.training import load_checkpoint

    (row,) = [c for c in q.checkpoints(db, run_id) if c.epoch == epoch and c.kind != "last"][:1] or [None]
    assert row is not None, q.checkpoints(db, run_id)
    return load_checkpoint(row.path.removeprefix("file://"))


def test_an_extended_run_is_the_longer_run(any_db_url, db, tiny, registries, start_worker):
    short = queue.enqueue(db, tiny(epochs=1, checkpoint_epochs=(1,)), registries=registries)
    straight = queue.enqueue(db, tiny(epochs=2, checkpoint_epochs=(1, 2)), registries=registries)
    _train_queue(any_db_url, start_worker)
    first = _train_values(db, short)
    assert q.get_run(db, short).status == RunStatus.completed and set(first) == {(1, "g_loss"), (1, "d_loss")}

    out = cli("queue", "extend", str(short), "--epochs", "2", "--checkpoint-epochs", "2", "--db", any_db_url)
    assert out.returncode == 0, out.stderr
    assert f"run {short}: queued for epochs 2-2 (was 1; resumes from its epoch-1 checkpoint; milestones 1, 2)" in out.stdout
    run = q.get_run(db, short)
    assert (run.status, run.epochs, q.run_config(run).checkpoint_epochs) == (RunStatus.queued, 2, (1, 2))

    _train_queue(any_db_url, start_worker)
    run = q.get_run(db, short)
    assert (run.status, run.current_epoch, run.attempts) == (RunStatus.completed, 2, 2)
    extended = _train_values(db, short)
    assert {k: v for k, v in extended.items() if k[0] == 1} == first  # epoch 1 kept, not trained again
    assert extended == _train_values(db, straight)  # epoch 2: the very same losses as the 2-epoch run
    a, b = _weights(db, short, 2), _weights(db, straight, 2)
    for net in ("G", "D"):
        assert all(torch.equal(a[net][k], b[net][k]) for k in a[net]), net

    from cgan_tui.results.load import load_results

    settings = {(r.run_id, r.epoch): r.setting_key for r in load_results(db, registries)}
    assert settings[(short, 2)] == settings[(straight, 2)]  # planned length is not part of the setting


def test_refusals_are_one_line_and_change_nothing(any_db_url, db, tiny, registries, start_worker, tmp_path):
    done = queue.enqueue(db, tiny(epochs=1, checkpoint_epochs=(1,)), registries=registries)
    _train_queue(any_db_url, start_worker)
    waiting = queue.enqueue(db, tiny(), registries=registries)
    before = (q.get_run(db, done).config_json, q.get_run(db, waiting).config_json)

    for run_id, epochs, marks, needle in [
        (waiting, 3, (), "is queued; only completed or cancelled runs can be extended"),
        (done, 1, (), "--epochs must be above the run's 1 planned epochs (it has trained 1), got 1"),
        (done, 3, (4,), "checkpoint epochs must be <= epochs (3), got 4"),
    ]:
        with pytest.raises(UserError) as info:
            queue.extend(db, run_id, epochs, marks)
        assert needle in str(info.value) and "\n" not in str(info.value)

    for row in q.checkpoints(db, done):  # its files gone (another machine's artifacts, a clean-up)
        os.remove(row.path.removeprefix("file://"))
    out = cli("queue", "extend", str(done), "--epochs", "3", "--db", any_db_url)
    assert out.returncode != 0
    one_line(out.stderr, f"run {done} has no checkpoint file to resume from")
    assert (q.get_run(db, done).config_json, q.get_run(db, waiting).config_json) == before
    assert q.get_run(db, done).status == RunStatus.completed
