"""Real worker subprocesses on a real SQLite file: exactly-once execution with two workers and a
polling reader, resume after SIGTERM and after kill -9, cancel, and broken plugins."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from runner_helpers import HANG_GUARD_S, wait_for, worker_env

from cgan_tui.cli import main as cli_main
from cgan_tui.errors import UserError
from cgan_tui.runner import queue
from cgan_tui.runner.executors import LocalPool
from cgan_tui.runner.logs import log_path
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus

pytestmark = pytest.mark.slow


def _status(store, rid) -> RunStatus:
    return q.get_run(store, rid).status


def test_two_workers_six_runs_each_once_with_polling_reader(store, tiny, registries, db_url, tmp_path):
    ids = queue.enqueue_grid(store, [tiny(seed=s) for s in range(6)], registries)
    errors: list[BaseException] = []
    polls = 0
    done = threading.Event()

    def reader() -> None:
        nonlocal polls
        own = open_store(db_url)
        try:
            while True:  # at least one full poll, however fast the workers are
                queue.queue_rows(own)
                q.metric_rows(own, ids)
                q.list_runs(own)
                polls += 1
                if done.wait(0.02):  # 50 polls/s, far above the TUI's rate, without spinning a core
                    break
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            own.dispose()

    thread = threading.Thread(target=reader)
    thread.start()
    pool = LocalPool(db_url, workers=2, once=True, env=worker_env(), log_dir=tmp_path / "logs",
                     extra_args=["--poll", "0.2", "--heartbeat", "0.5"])  # fmt: skip
    pool.start()
    assert pool.alive() == 2
    codes = pool.wait(timeout=HANG_GUARD_S)
    done.set()
    thread.join()
    logs = "".join(Path(s.log_path).read_text() for s in pool.status())
    assert codes == [0, 0], logs
    assert errors == [] and polls > 0
    assert "database is locked" not in logs
    for rid in ids:
        run = q.get_run(store, rid)
        assert (run.status, run.attempts) == (RunStatus.completed, 1)
        assert [r.epoch for r in q.epoch_rows(store, rid)] == [1]
        assert log_path(store, rid).read_text().count("start run") == 1
    assert len({q.get_run(store, rid).worker_id for rid in ids}) <= 2


def _gated(tiny, epochs: int):
    """A run that the test's gate can hold mid-step: 64 images, batch 64, so step k is epoch k."""
    return tiny(loss="test-gate", epochs=epochs, checkpoint_epochs=(epochs,), batch_size=64)


def test_sigterm_requeues_and_kill9_resumes_from_checkpoint(store, tiny, registries, start_worker, gate):
    rid = queue.enqueue(store, _gated(tiny, 5), registries=registries)

    gate.hold(2)  # blocked in epoch 2's only step: the signal lands mid-epoch
    first = start_worker(env=gate.env())
    gate.wait_arrived()
    first.send_signal(signal.SIGTERM)
    wait_for(lambda: "stopping after the current step" in Path(first.log_path).read_text(), timeout=HANG_GUARD_S,
             what="the worker to take the signal")  # fmt: skip
    gate.release()
    assert first.wait(timeout=HANG_GUARD_S) == 0
    run = q.get_run(store, rid)
    assert run.status == RunStatus.queued and run.worker_id is None
    # the step in flight finished epoch 2; the stop was seen before epoch 3 began
    assert q.latest_checkpoint(store, rid).epoch == 2 and Path(q.latest_checkpoint(store, rid).path).is_file()

    gate.hold(2)  # the resumed run's second step is epoch 4: epoch 3 is complete when it blocks
    second = start_worker(env=gate.env())
    gate.wait_arrived()
    second.kill()  # SIGKILL: no chance to clean up
    second.wait()
    gate.release()
    time.sleep(1.2)  # its last heartbeat ages past --stale-after below (the sweep's own rule, not a race)
    assert _status(store, rid) == RunStatus.running  # left behind by the dead worker
    assert q.latest_checkpoint(store, rid).epoch == 3

    third = start_worker("--once", "--stale-after", "1", env=gate.env())
    assert third.wait(timeout=HANG_GUARD_S) == 0
    run = q.get_run(store, rid)
    assert (run.status, run.attempts) == (RunStatus.completed, 3)
    assert [r.epoch for r in q.epoch_rows(store, rid)] == [1, 2, 3, 4, 5]
    assert len([m for m in q.metric_rows(store, [rid]) if m.name == "d_loss"]) == 5
    assert q.grid_epochs(store, rid) == [1, 2, 3, 4, 5]
    assert log_path(store, rid).read_text().count("resume from epoch") == 2


def test_cancel_queued_and_running(store, tiny, registries, db_url, capsys, tmp_path, gate):
    long = queue.enqueue(store, _gated(tiny, 6), priority=5, registries=registries)
    waiting = queue.enqueue(store, tiny(), priority=1, registries=registries)
    other = queue.enqueue(store, tiny(), registries=registries)
    gate.hold(1)
    pool = LocalPool(db_url, workers=1, env=gate.env(), log_dir=tmp_path / "logs",
                     extra_args=["--poll", "0.2", "--heartbeat", "0.5"])  # fmt: skip
    pool.start()
    gate.wait_arrived()  # the long run is inside its first step
    assert cli_main(["queue", "cancel", str(waiting), str(long), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert f"run {waiting}: cancelled" in out and f"run {long}: cancel requested" in out
    gate.release()
    wait_for(lambda: _status(store, other) == RunStatus.completed, timeout=HANG_GUARD_S, what="the other run")
    pool.stop(timeout=HANG_GUARD_S)  # SIGTERM; an idle worker exits 0
    assert pool.alive() == 0 and [w.returncode for w in pool.status()] == [0]
    run = q.get_run(store, long)
    assert (run.status, run.current_epoch) == (RunStatus.cancelled, 1)  # read before epoch 2 began
    assert Path(q.latest_checkpoint(store, long).path).is_file()
    w = q.get_run(store, waiting)
    assert (w.status, w.attempts) == (RunStatus.cancelled, 0)


def test_cli_worker_survives_diverged_and_failing_runs(store, tiny, registries, db_url):
    nan = queue.enqueue(store, tiny(loss="test-nan"), priority=3, registries=registries)
    boom = queue.enqueue(store, tiny(loss="test-boom"), priority=2, registries=registries)
    good = queue.enqueue(store, tiny(), priority=1, registries=registries)
    proc = subprocess.run(
        [sys.executable, "-m", "cgan_tui", "worker", "--once", "--workers", "1", "--db", db_url],
        env=worker_env(), capture_output=True, text=True, timeout=HANG_GUARD_S,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "executed 3 run(s)" in proc.stderr
    n, b, g = (q.get_run(store, i) for i in (nan, boom, good))
    assert n.status == RunStatus.diverged and "non-finite" in n.error
    assert b.status == RunStatus.failed and "plugin 'cgan_test_losses'" in b.error and "RuntimeError: boom" in b.error
    assert g.status == RunStatus.completed and g.error is None


def test_runs_per_gpu_starts_k_workers_pinned_to_each_gpu(db_url, tmp_path):
    """``--runs-per-gpu 2`` with GPUs 0 and 1: four workers, two on each (empty queue: they exit at once)."""
    open_store(db_url).dispose()
    pool = LocalPool(db_url, devices=["0", "1"], runs_per_gpu=2, once=True, env=worker_env(), log_dir=tmp_path / "logs",
                     extra_args=["--poll", "0.2"])  # fmt: skip
    pool.start()
    codes = pool.wait(timeout=HANG_GUARD_S)
    assert [s.device for s in pool.status()] == ["0", "0", "1", "1"]
    assert codes == [0, 0, 0, 0], "".join(Path(s.log_path).read_text() for s in pool.status())
    with pytest.raises(UserError, match="runs per GPU must be at least 1, got 0"):
        LocalPool(db_url, devices=["0"], runs_per_gpu=0).start()


def test_pool_children_run_cgan_tui_worker_with_the_database_url_in_their_environment(tmp_path):
    """``ps`` shows every user a process's command line: a PostgreSQL password must not be on it.

    The child is the one entry point (``cgan-tui worker --workers 1``); it finds the URL in
    ``$CGAN_TUI_DB`` (here a server that is not there: it says so in one line, password masked)."""
    url = "postgresql://cgan:s3cret-pw@127.0.0.1:9/queue"
    pool = LocalPool(url, once=True, env=worker_env(), log_dir=tmp_path / "logs", extra_args=["--poll", "0.2"])
    assert pool.command("w0")[1:7] == ["-m", "cgan_tui", "worker", "--workers", "1", "--worker-id"]
    pool.start()
    codes = pool.wait(timeout=HANG_GUARD_S)
    (status,) = pool.status()
    argv = pool.command("w0")  # what start() gave the child
    assert not any("s3cret-pw" in part or "127.0.0.1" in part for part in argv), argv
    log = Path(status.log_path).read_text()
    assert codes == [2], log
    assert "cannot open database postgresql://cgan:***@127.0.0.1:9/queue" in log and "s3cret-pw" not in log


def test_runs_per_gpu_without_a_gpu_is_one_line(db_url, capsys, monkeypatch):
    from cgan_tui.cli import main

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    assert main(["worker", "--runs-per-gpu", "2", "--once", "--db", db_url]) == 2
    assert "no GPU is visible here; on CPU use --workers N" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--workers", "2", "--worker-id", "w"], "--worker-id names the one in-process worker; it needs --workers 1"),
        (["--max-runs", "0"], "--max-runs must be at least 1, got 0"),
        (["--heartbeat", "0"], "--heartbeat must be a positive number of seconds, got 0.0"),
    ],
)
def test_bad_worker_options_are_one_line(db_url, capsys, args, expected):
    from cgan_tui.cli import main

    assert main(["worker", "--once", "--db", db_url, *args]) == 2
    err = capsys.readouterr().err
    assert expected in err and err.count("\n") == 1, err


def test_worker_options_round_trip_through_the_flags_children_get():
    """What a pool forwards (``WorkerOptions.argv``) reads back as the same options in the child."""
    from cgan_tui.runner.worker import WorkerOptions, parse_worker_argv

    options = WorkerOptions(device="cpu", poll_s=0.2, stale_after_s=9.0, heartbeat_s=0.5, max_runs=3,
                            disabled_plugins=("relativistic",))  # fmt: skip
    assert parse_worker_argv(options.argv()) == options
