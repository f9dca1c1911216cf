"""kill -9 while a worker evaluates: the next worker evaluates that epoch before training on (issue 26).

A run is held *inside* its evaluation by the ``test_gate`` metric (``cgan_test_metrics``: the same gate
as the ``test-gate`` loss, in evaluation). The worker is killed there, the run is requeued as the stale
sweep would (the sweep has tests of its own), and a second worker picks it up. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import signal

import cgan_test_losses
import pytest
from runner_helpers import PLUGIN_MODULE

from cgan_tui.runner.logs import log_path
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus

from .conftest import cli

PLUGINS = "cgan_test_losses,cgan_test_metrics"


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'experiments.db'}"
    return request.getfixturevalue("pg_url")


def eval_env(gate, evaluation: str = "on") -> dict[str, str]:
    env = gate.env()
    env.update(CGAN_TUI_EVAL=evaluation, CGAN_TUI_EXTRA_PLUGINS=PLUGINS)
    return env


def kill_in_evaluation(store, db, run_id, gate, start_worker, at: int, epoch: int) -> None:
    """Hold the run in its ``at``-th gated evaluation (of ``epoch``), kill -9 its worker there, requeue it."""
    gate.hold(at)
    worker = start_worker(db, "--once", env=eval_env(gate))
    gate.wait_arrived()
    assert q.eval_pending(store, run_id) == [epoch]  # the mark: this epoch's evaluation has not finished
    worker.send_signal(signal.SIGKILL)
    assert worker.wait(timeout=120) == -signal.SIGKILL
    gate.release()
    # what the stale sweep does with a dead worker's run
    assert q.set_if_status(store, run_id, [RunStatus.running], status=RunStatus.queued, worker_id=None, pid=None,
                           hostname=None, heartbeat_at=None)  # fmt: skip


@pytest.fixture
def gated(tiny):
    """A resolved (as ``queue add`` stores it) two-epoch run evaluated by ``test_gate`` only."""
    import cgan_test_metrics

    from cgan_tui.config import resolve
    from cgan_tui.plugins import load_plugins

    registries = load_plugins(extra=[(PLUGIN_MODULE, cgan_test_losses), ("cgan_test_metrics", cgan_test_metrics)])
    return lambda **kw: resolve(tiny(epochs=2, metrics=("test_gate",), **kw), registries)


def gate_values(store, run_id) -> dict[int, float | None]:
    return {m.epoch: m.value for m in q.metric_rows(store, [run_id]) if m.name == "test_gate"}


@pytest.mark.parametrize("at", [1, 2], ids=["middle-epoch", "final-epoch"])
def test_kill9_during_evaluation_is_evaluated_by_the_next_worker(db, gated, gate, start_worker, at):
    store = open_store(db)
    run_id = q.create_run(store, gated(checkpoint_epochs=(1, 2)))
    kill_in_evaluation(store, db, run_id, gate, start_worker, at, epoch=at)
    assert at not in gate_values(store, run_id)  # today's gap: the killed evaluation stored nothing

    again = start_worker(db, "--once", env=eval_env(gate))
    assert again.wait(timeout=600) == 0, again.log_path.read_text()
    run = q.get_run(store, run_id)
    assert (run.status, run.error) == (RunStatus.completed, None)
    assert gate_values(store, run_id) == {1: 1.0, 2: 1.0}
    assert q.eval_pending(store, run_id) == []
    assert [r.epoch for r in q.epoch_rows(store, run_id)] == [1, 2]
    text = log_path(store, run_id).read_text()
    assert f"evaluating epoch {at} before training on" in text
    assert "Traceback" not in again.log_path.read_text()
    store.dispose()


def test_a_gap_that_stays_carries_the_command_that_fills_it(tmp_path, gated, gate, start_worker):
    """The resuming worker cannot evaluate (evaluation off there): the completed run says which epoch
    lacks which values and the exact ``cgan-tui eval`` command; running it fills the gap and the note goes."""
    db = f"sqlite:///{tmp_path / 'experiments.db'}"
    store = open_store(db)
    run_id = q.create_run(store, gated(checkpoint_epochs=(2,)))
    kill_in_evaluation(store, db, run_id, gate, start_worker, 1, epoch=2)

    again = start_worker(db, "--once", env=eval_env(gate, evaluation="off"))
    assert again.wait(timeout=600) == 0, again.log_path.read_text()
    run = q.get_run(store, run_id)
    assert run.status == RunStatus.completed
    command = f"cgan-tui eval {run_id} --epoch 2 --db {tmp_path / 'experiments.db'}"
    assert run.error == f"evaluation of epoch 2 did not finish: its metrics missing; fill with: {command}"
    shown = cli("show", str(run_id), "--db", db, env=eval_env(gate))
    assert command in " ".join(shown.stdout.split()), shown.stdout

    done = cli(*command.split()[1:], env=eval_env(gate))
    assert done.returncode == 0, done.stderr
    run = q.get_run(store, run_id)
    assert (run.error, q.eval_pending(store, run_id), gate_values(store, run_id)) == (None, [], {2: 1.0})
    store.dispose()

