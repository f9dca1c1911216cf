"""Overhead of running through the queue: ``train()`` directly vs ``enqueue + claim + execute_run``
(progress/epoch/checkpoint rows, grids, run.log written to SQLite) on the same tiny run.

Prints seconds per epoch for both paths side by side, the difference (the queue's overhead per
epoch), the ratio, and the time spent inside the recorder's database writes. Runs alternate and the
best of ``--repeats`` is kept, so that other load on the machine affects both paths alike.

    .venv/bin/python benchmarks/queue_overhead.py [--model seed004] [--limit-train 1024] [--epochs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="seed004")
    ap.add_argument("--loss", default="lsgan")
    ap.add_argument("--limit-train", type=int, default=1024)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=4)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--data-dir", default=None, help="Fashion-MNIST folder (default: system / a generated one)")
    args = ap.parse_args()

    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.gan.data import load_fashion_mnist
    from cgan_tui.plugins import load_plugins
    from cgan_tui.runner import queue, recorder
    from cgan_tui.runner.execute import execute_run
    from cgan_tui.store.db import open_store

    tmp = Path(tempfile.mkdtemp(prefix="queue_overhead_"))
    data_dir = args.data_dir
    if data_dir is None:
        try:
            load_fashion_mnist(None, "train", "cpu", limit=10)
        except Exception:  # noqa: BLE001 - no system copy: generate one like the tests do
            sys.path.insert(0, str(ROOT / "tests"))
            from conftest import make_fmnist_dir

            data_dir = str(make_fmnist_dir(tmp / "fmnist", n_train=max(args.limit_train, 640)))
    registries = load_plugins()
    config = resolve(
        RunConfig(model=args.model, loss=args.loss, epochs=args.epochs, checkpoint_epochs=(args.epochs,),
                  limit_train=args.limit_train, device=args.device, data_dir=data_dir, metrics=()),
        registries,
    )  # fmt: skip
    data = load_fashion_mnist(data_dir, "train", "cpu")

    # time spent in the recorder's database writes (wrapping the bound callbacks)
    db_seconds = [0.0]
    original = recorder.RunRecorder.callbacks

    def timed_callbacks(self):
        cbs = original(self)
        for name in ("on_progress", "on_epoch_end", "on_checkpoint", "should_stop"):
            fn = getattr(cbs, name)

            def wrapped(*a, _fn=fn):
                start = time.perf_counter()
                try:
                    return _fn(*a)
                finally:
                    db_seconds[0] += time.perf_counter() - start

            setattr(cbs, name, wrapped)
        return cbs

    recorder.RunRecorder.callbacks = timed_callbacks  # type: ignore[method-assign]

    import cgan_tui.gan.training as training

    train_seconds = [0.0]
    real_train = training.train

    def timed_train(*a, **kw):
        start = time.perf_counter()
        try:
            return real_train(*a, **kw)
        finally:
            train_seconds[0] += time.perf_counter() - start

    training.train = timed_train  # execute_run looks it up at call time

    def queued(i: int) -> float:
        store = open_store(f"sqlite:///{tmp / f'q_{i}.db'}")
        start = time.perf_counter()
        queue.enqueue(store, config, registries=registries)
        run = queue.claim_next(store, "bench")
        outcome = execute_run(store, run.id, registries, worker_id="bench", epoch_hooks=[], data=data)
        elapsed = time.perf_counter() - start
        assert outcome.status == "completed", outcome
        store.dispose()
        return elapsed

    def real_direct(i: int) -> float:
        start = time.perf_counter()
        result = real_train(config, registries, tmp / f"direct_{i}", data=data)
        assert result.epochs_done == args.epochs
        return time.perf_counter() - start

    real_direct(-1)  # warm-up (imports, allocator, first kernels)
    t_direct, t_queue, db_per_run, outside_per_run = [], [], [], []
    def queued_measured(i: int) -> None:
        db_seconds[0] = train_seconds[0] = 0.0
        t_queue.append(queued(i))
        db_per_run.append(db_seconds[0])
        outside_per_run.append(t_queue[-1] - train_seconds[0])

    for i in range(args.repeats):  # ABBA order: slow drifts of the machine hit both paths alike
        if i % 2 == 0:
            t_direct.append(real_direct(i))
            queued_measured(i)
        else:
            queued_measured(i)
            t_direct.append(real_direct(i))
    d, qd = statistics.median(t_direct) / args.epochs, statistics.median(t_queue) / args.epochs
    db = statistics.median(db_per_run) / args.epochs
    print(f"model {args.model}, loss {args.loss}, {args.limit_train} images/epoch, {args.epochs} epochs, "
          f"device {config.device}, median of {args.repeats} (ABBA order)")  # fmt: skip
    print(f"{'path':<36} {'s/epoch':>9}")
    print(f"{'train() directly':<36} {d:>9.3f}")
    print(f"{'queue + execute_run (SQLite writes)':<36} {qd:>9.3f}")
    outside = statistics.median(outside_per_run)
    spread = (max(t_direct) - min(t_direct)) / args.epochs
    print(f"wall-clock difference per epoch: {qd - d:+.3f} s  (ratio queue/direct {qd / d:.3f}; "
          f"train() alone varies by {spread:.2f} s/epoch between repeats here)")
    measured = db + outside / args.epochs
    print(f"measured queue work per epoch: {measured:.3f} s = recorder callbacks (DB rows, grid, checkpoint "
          f"rows/link, cancel polls) {db:.3f} s + set-up/teardown outside train() {outside:.3f} s per run / {args.epochs}")
    print(f"measured overhead ratio: {(d + measured) / d:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
