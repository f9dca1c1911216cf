"""``cgan-tui eval``: evaluate a run's checkpoint now and store the metrics (imports torch)."""

from __future__ import annotations

import argparse
import time

from cgan_tui.cli.shared import open_from_args, registries_from_args
from cgan_tui.config import INT_MINIMUMS
from cgan_tui.errors import DamagedCheckpoint, UserError
from cgan_tui.formatting import NOT_AVAILABLE as UNAVAILABLE
from cgan_tui.formatting import count
from cgan_tui.safe_text import plain_console


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.shared import add_common

    ev = subparsers.add_parser(
        "eval",
        help="evaluate a run's checkpoint now and store the metrics",
        description="Generate N class-balanced samples from a checkpoint's generator and compute every enabled "
        "metric. Default N: the N most models in the database were evaluated at (values at different N are not "
        "comparable), else 10,000 on CUDA and 1,000 on CPU. Values are stored with backend and N.",
    )
    ev.add_argument("run_id", type=int, metavar="RUN_ID")
    ev.add_argument("--epoch", type=int, help="checkpoint epoch (default: the newest checkpoint)")
    ev.add_argument("--n", type=int, help="number of generated samples (default: the table's n)")
    ev.add_argument("--metrics", metavar="A,B", help="metric or backend names (default: all)")
    ev.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    ev.add_argument("--no-train-classifier", action="store_true", help=argparse.SUPPRESS)  # no-op: the classifier ships
    add_common(ev)
    ev.set_defaults(func=run_eval)


class EmbedProgress:
    """A rich progress bar per backend and image set (images embedded / total, ETA) on stderr, so
    stdout keeps only the results; ``evaluate(progress=...)`` calls it after every batch."""

    def __enter__(self) -> EmbedProgress:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bars = Progress(
            TextColumn("{task.description:<22}", markup=False), BarColumn(), MofNCompleteColumn(), TextColumn("images"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=plain_console(stderr=True),
        )  # fmt: skip
        self._tasks: dict[str, int] = {}
        self._bars.__enter__()
        return self

    def __call__(self, label: str, done: int, total: int) -> None:
        if label not in self._tasks:
            self._tasks[label] = self._bars.add_task(label, total=total)
        self._bars.update(self._tasks[label], completed=done, total=total)

    def __exit__(self, *exc) -> None:
        self._bars.__exit__(*exc)


def run_eval(args: argparse.Namespace) -> int:
    least = INT_MINIMUMS["eval_n"]  # the config's bound on eval_n; checked before torch loads
    if args.n is not None and args.n < least:
        raise UserError(f"--n must be an integer >= {least} (got {args.n})")
    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.metrics.context import MetricContext, default_n
    from cgan_tui.gan.metrics.engine import evaluate
    from cgan_tui.gan.training import load_generator
    from cgan_tui.runner.damaged import damaged_line
    from cgan_tui.runner.evaluate_hook import StoreFeatureCache, record_grid_neighbours, store_results
    from cgan_tui.runner.pending_eval import filled
    from cgan_tui.store import queries as q
    from cgan_tui.store.tables import newest_checkpoint

    registries = registries_from_args(args)
    store = open_from_args(args)
    try:
        run = q.get_run(store, args.run_id)
        from cgan_tui.artifacts import exists

        rows = [c for c in q.checkpoints(store, args.run_id) if exists(c.path)]
        if args.epoch is not None:
            rows = [c for c in rows if c.epoch == args.epoch]
        if not rows:
            have = sorted({c.epoch for c in q.checkpoints(store, args.run_id)})
            want = f"at epoch {args.epoch}" if args.epoch is not None else "yet"
            raise UserError(f"run {args.run_id} has no checkpoint file {want}; checkpoint epochs: "
                            f"{', '.join(map(str, have)) or 'none (train it first)'}")  # fmt: skip
        ckpt = newest_checkpoint(rows)
        from cgan_tui.store.guard import check_writable

        check_writable(store, "the evaluation")  # before minutes of compute whose results could not be saved
        device = pick_device(args.device)
        try:
            generator, config = load_generator(store.artifact_store.fetch(ckpt.path), registries, device)
        except DamagedCheckpoint as exc:
            raise UserError(damaged_line(store, run.id, exc)) from None
        from cgan_tui.results.sample_n import table_n

        table = None if args.n else table_n(store)  # stay comparable with the models already evaluated
        n = args.n or table or default_n(device)
        if n < 10:
            raise UserError(f"--n must be at least 10, got {n}")
        # on demand: --metrics, else the run's own selection; a run with evaluation off still gets all
        metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else (config.metrics or None)
        note = ("" if args.n else " (the n most models here have; --n to change)" if table
                else f" (default on {device.type}; --n to change)")  # fmt: skip
        print(f"run {run.id} {config.label} epoch {ckpt.epoch}: n={n}{note}, device {device}", flush=True)
        started = time.perf_counter()
        with EmbedProgress() as progress:
            context = MetricContext(generator, latent_dim=int(config.latent_dim), n=n, device=device,
                                    data_dir=config.data_dir, feature_cache=StoreFeatureCache(store), progress=progress)  # fmt: skip
            results = evaluate(
                generator, config, registries, epoch=ckpt.epoch, n=n, device=device, metrics=metrics,
                feature_cache=StoreFeatureCache(store), progress=progress, context=context,
            )  # fmt: skip
            record_grid_neighbours(store, run.id, ckpt.epoch, results, context)
        seconds = time.perf_counter() - started
        store_results(store, run.id, ckpt.epoch, results)
        filled(store, run.id, ckpt.epoch)  # a gap a dead worker left (the run's note) is closed
    finally:
        store.dispose()
    width = max((len(r.key) for r in results), default=10)
    for r in results:
        text = f"{r.value:.4f}" if r.value is not None else f"{UNAVAILABLE}: {r.unavailable}"
        print(f"  {r.key:<{width}}  {text}  (n={r.n_samples})")
    print(f"evaluated in {seconds:.1f} s; stored {count(len(results), 'value')}")
    return 0
