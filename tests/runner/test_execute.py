"""execute_run in-process on tiny real runs: outcomes, rows, resume, cancel, divergence, failures."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from cgan_tui.runner import queue
from cgan_tui.runner.execute import execute_run
from cgan_tui.runner.logs import log_path
from cgan_tui.store import queries as q
from cgan_tui.store.tables import RunStatus

pytestmark = pytest.mark.slow


class OnEpoch:
    """Extra callbacks that run ``action(epoch)`` at each epoch end."""

    def __init__(self, action) -> None:
        self.action = action

    def on_progress(self, p) -> None:
        pass

    def on_epoch_end(self, e) -> None:
        self.action(e.epoch)

    def on_checkpoint(self, c) -> None:
        pass

    def should_stop(self) -> bool:
        return False


def _claim(store, tiny, registries, **kw) -> int:
    rid = queue.enqueue(store, tiny(**kw), registries=registries)
    assert queue.claim_next(store, "w").id == rid
    return rid


def test_completed_run_writes_rows_and_survives_a_failing_hook(store, tiny, registries):
    rid = _claim(store, tiny, registries, epochs=2)
    seen: list[tuple[int, int]] = []

    def good_hook(store_, run_id, config, event, regs):
        seen.append((run_id, event.epoch))
        q.upsert_metric(store_, run_id, event.epoch, "probe", float(event.epoch), backend="test", n_samples=1)

    def bad_hook(*_):
        raise ValueError("hook exploded")

    out = execute_run(store, rid, registries, worker_id="w", epoch_hooks=[good_hook, bad_hook])
    assert (out.status, out.epochs_done) == ("completed", 2)
    run = q.get_run(store, rid)
    assert run.status == RunStatus.completed and run.device == "cpu" and run.finished_at is not None
    from cgan_tui.gan.precision import choose_precision

    assert run.precision == str(choose_precision("auto", "cpu")) and run.eval_progress is None  # auto: stored resolved
    assert run.error.count("hook exploded") == 2 and "bad_hook" in run.error
    assert seen == [(rid, 1), (rid, 2)]
    rows = q.epoch_rows(store, rid)
    assert [r.epoch for r in rows] == [1, 2] and all(r.g_loss is not None and r.images_per_s > 0 for r in rows)
    assert q.grid_epochs(store, rid) == [1, 2]
    assert q.grid(store, rid, 2).png.startswith(b"\x89PNG")
    kinds = {(c.epoch, c.kind) for c in q.checkpoints(store, rid)}
    assert kinds == {(1, "milestone"), (2, "milestone"), (2, "last")}
    assert all(Path(c.path).is_file() for c in q.checkpoints(store, rid))
    log = log_path(store, rid).read_text()
    assert "start run" in log and "epoch 2:" in log and "Traceback" in log and "completed after epoch 2" in log


def test_stop_event_requeues_then_resumes_exactly(store, tiny, registries):
    rid = _claim(store, tiny, registries, epochs=2)
    stop = threading.Event()
    out = execute_run(store, rid, registries, worker_id="w", stop_event=stop, epoch_hooks=[],
                      extra_callbacks=OnEpoch(lambda e: stop.set()))  # fmt: skip
    assert (out.status, out.epochs_done) == ("queued", 1)
    run = q.get_run(store, rid)
    assert (run.status, run.worker_id, run.finished_at) == (RunStatus.queued, None, None)
    assert q.latest_checkpoint(store, rid).epoch == 1

    assert queue.claim_next(store, "w2").id == rid
    out = execute_run(store, rid, registries, worker_id="w2", epoch_hooks=[])
    assert (out.status, out.epochs_done) == ("completed", 2)
    assert [r.epoch for r in q.epoch_rows(store, rid)] == [1, 2]
    assert len([m for m in q.metric_rows(store, [rid]) if m.name == "g_loss"]) == 2
    assert _step_rows(store, rid) == [(1, "d_loss", 1), (1, "g_loss", 1), (2, "d_loss", 1), (2, "g_loss", 1)]
    assert "resume from epoch 1" in log_path(store, rid).read_text()
    assert q.get_run(store, rid).attempts == 2


def test_cancel_running_keeps_checkpoint(store, tiny, registries):
    rid = _claim(store, tiny, registries, epochs=3)
    other = queue.enqueue(store, tiny(), registries=registries)
    out = execute_run(store, rid, registries, worker_id="w", epoch_hooks=[],
                      extra_callbacks=OnEpoch(lambda e: queue.cancel(store, rid)))  # fmt: skip
    # no poll-interval tuning needed: the flag is always read before the next epoch starts
    assert (out.status, out.epochs_done) == ("cancelled", 1)
    run = q.get_run(store, rid)
    assert run.status == RunStatus.cancelled and run.finished_at is not None
    assert Path(q.latest_checkpoint(store, rid).path).is_file()
    assert q.get_run(store, other).status == RunStatus.queued
    queue.requeue(store, rid)
    assert q.get_run(store, rid).cancel_requested is False


def _execute_at_gate(store, tiny, registries, gate, monkeypatch, epochs: int, cancel_at_step: int):
    """Run a gated run in a thread; cancel it while step ``cancel_at_step`` is provably running."""
    monkeypatch.setenv(*gate.env_pair)
    rid = _claim(store, tiny, registries, loss="test-gate", epochs=epochs, checkpoint_epochs=(epochs,),
                 batch_size=64)  # 64 images, batch 64: step k is epoch k  # fmt: skip
    gate.hold(cancel_at_step)
    outcome: list = []
    worker = threading.Thread(
        target=lambda: outcome.append(execute_run(store, rid, registries, worker_id="w", epoch_hooks=[]))
    )
    worker.start()
    try:
        assert gate.wait_arrived() == cancel_at_step
        assert queue.cancel(store, rid) == "cancel_requested"
    finally:
        gate.release()
        worker.join()
    return rid, outcome[0]


def test_cancel_before_the_last_step_ends_cancelled_at_the_next_epoch(store, tiny, registries, gate, monkeypatch):
    rid, out = _execute_at_gate(store, tiny, registries, gate, monkeypatch, epochs=3, cancel_at_step=1)
    assert (out.status, out.epochs_done) == ("cancelled", 1)  # epoch 1 finished, epoch 2 never started
    run = q.get_run(store, rid)
    assert (run.status, run.current_epoch) == (RunStatus.cancelled, 1)
    assert [r.epoch for r in q.epoch_rows(store, rid)] == [1]
    assert Path(q.latest_checkpoint(store, rid).path).is_file()


def test_cancel_during_the_last_step_is_too_late_and_completes(store, tiny, registries, gate, monkeypatch):
    rid, out = _execute_at_gate(store, tiny, registries, gate, monkeypatch, epochs=2, cancel_at_step=2)
    assert (out.status, out.epochs_done) == ("completed", 2)
    run = q.get_run(store, rid)
    assert (run.status, run.current_epoch, run.cancel_requested) == (RunStatus.completed, 2, False)
    assert "cancel requested after the last training step" in log_path(store, rid).read_text()


def test_nan_loss_diverges_and_raising_loss_fails(store, tiny, registries):
    nan = _claim(store, tiny, registries, loss="test-nan", epochs=2)
    out = execute_run(store, nan, registries, worker_id="w", epoch_hooks=[])
    assert (out.status, out.epochs_done) == ("diverged", 0)
    run = q.get_run(store, nan)
    assert run.status == RunStatus.diverged and "non-finite" in run.error
    assert q.epoch_rows(store, nan) == []

    boom = _claim(store, tiny, registries, loss="test-boom")
    out = execute_run(store, boom, registries, worker_id="w", epoch_hooks=[])
    assert out.status == "failed"
    run = q.get_run(store, boom)
    assert run.status == RunStatus.failed
    # one line naming the plugin, the hook, the object and the call; the traceback goes to run.log
    assert "\n" not in run.error and "Traceback" not in run.error, run.error
    assert run.error.startswith("plugin 'cgan_test_losses' (in-process cgan_test_losses) register_losses: "
                                "loss 'test-boom' d_loss raised RuntimeError: boom from the test loss plugin (at cgan_test_losses.py:")
    log = log_path(store, boom).read_text()
    assert "Traceback" in log and "boom from the test loss plugin" in log


def test_stale_rows_of_retrained_epochs_are_replaced(store, tiny, registries):
    """A crash after an epoch's rows but before a newer checkpoint: the epoch is retrained and its
    rows (training stats and hook metrics) are replaced, never duplicated."""
    from cgan_tui.store.queries.steps import EpochSteps, put_steps_in

    rid = _claim(store, tiny, registries, epochs=1)
    stale = EpochSteps({"g_loss": [99.0], "d_loss": [99.0], "gone": [99.0]}, 10, 1)
    q.upsert_metrics(store, rid, 1, {"g_loss": 99.0, "d_loss": 99.0}, backend=q.TRAIN_BACKEND,
                     also=lambda session: put_steps_in(session, rid, 1, stale))
    q.upsert_metric(store, rid, 1, "fid", 1.0, backend="classifier", n_samples=7)
    out = execute_run(store, rid, registries, worker_id="w", epoch_hooks=[])
    assert out.status == "completed"
    rows = q.metric_rows(store, [rid])
    assert sorted(m.name for m in rows) == ["d_loss", "epoch_seconds", "g_loss", "images_per_s", "sample_images_per_s"]
    assert q.epoch_rows(store, rid)[0].g_loss != 99.0
    assert _step_rows(store, rid) == [(1, "d_loss", 1), (1, "g_loss", 1)]  # one set of curves, rewritten
    assert 99.0 not in q.step_curves(store, [rid])[rid]["g_loss"].values


def _step_rows(store, run_id: int) -> list[tuple[int, str, int]]:
    """(epoch, name, rows) of the run's step curves."""
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            f"SELECT epoch, name, count(*) FROM stepseries WHERE run_id = {int(run_id)} GROUP BY epoch, name "
            "ORDER BY epoch, name").all()]  # fmt: skip


def test_default_hook_module_missing_or_broken(store, tiny, registries, monkeypatch, tmp_path):
    from cgan_tui.runner import execute

    monkeypatch.setattr(execute, "DEFAULT_HOOK_MODULE", "cgan_tui_no_such_eval_module")
    assert execute.default_epoch_hooks() == []
    (tmp_path / "broken_eval_hook.py").write_text("raise ImportError('broken evaluation module')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(execute, "DEFAULT_HOOK_MODULE", "broken_eval_hook")
    rid = _claim(store, tiny, registries)
    out = execute_run(store, rid, registries, worker_id="w")
    assert out.status == "failed"
    assert "broken evaluation module" in q.get_run(store, rid).error
