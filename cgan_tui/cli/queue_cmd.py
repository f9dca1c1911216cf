"""``cgan-tui queue add|ls|cancel|prio|requeue|extend`` and ``cgan-tui worker`` (background training).

``queue add`` validates everything against the plugin registries before storing anything (one typo
in a grid rejects the whole grid). ``worker`` runs the worker loop in this process (``--workers 1``)
or a ``LocalPool`` of subprocesses (default: one per GPU, one on CPU) and waits for them; Ctrl-C
stops them and their runs go back to the queue, resuming later from their checkpoints.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from cgan_tui.formatting import count, format_eta
from cgan_tui.safe_text import one_line


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.run_options import add_run_options
    from cgan_tui.cli.shared import add_common

    queue = subparsers.add_parser(
        "queue", help="queue runs for background workers; list, cancel, reprioritise, requeue",
        description="Manage the run queue that `cgan-tui worker` processes.",
    )  # fmt: skip
    add_common(queue)
    sub = queue.add_subparsers(dest="queue_command", metavar="ACTION")
    queue.set_defaults(func=lambda args: (queue.print_help(), 0)[1])

    add = sub.add_parser("add", help="queue one run (run options) or a grid (--grid FILE)")
    add_run_options(add)
    add.add_argument("--grid", metavar="FILE", help="queue every run of a grid TOML")
    add.add_argument("--priority", type=int, default=0, metavar="N", help="higher runs first (default 0)")
    add.add_argument("--experiment", metavar="NAME", help="experiment name (default: the grid's)")
    add.add_argument("--yes", action="store_true",
                     help="queue a grid without asking even when its estimated training time is over 1 h")
    add_common(add)
    add.set_defaults(func=run_add)

    ls = sub.add_parser("ls", help="queued and running runs with progress and ETA")
    add_common(ls)
    ls.set_defaults(func=run_ls)

    cancel = sub.add_parser("cancel", help="cancel queued (at once) or running (at the next step) runs")
    cancel.add_argument("run_ids", type=int, nargs="+", metavar="RUN_ID")
    add_common(cancel)
    cancel.set_defaults(func=run_cancel)

    prio = sub.add_parser("prio", help="set a run's priority (higher first)")
    prio.add_argument("run_id", type=int, metavar="RUN_ID")
    prio.add_argument("priority", type=int, metavar="N")
    add_common(prio)
    prio.set_defaults(func=run_prio)

    requeue = sub.add_parser("requeue", help="put failed/diverged/cancelled runs back (they resume from checkpoints); "
                             "a queued or running run is refused with the reason")  # fmt: skip
    requeue.add_argument("run_ids", type=int, nargs="+", metavar="RUN_ID")
    add_common(requeue)
    requeue.set_defaults(func=run_requeue)

    extend = sub.add_parser(
        "extend", help="train completed runs on to more epochs (they resume from their last checkpoint)",
        description="Train completed (or cancelled) runs on to --epochs: the run's length grows, the milestones "
        "in --checkpoint-epochs are added, and it goes back to the queue; a worker resumes it from its newest "
        "checkpoint, so the epochs it has are kept and not trained again.",
    )  # fmt: skip
    extend.add_argument("run_ids", type=int, nargs="+", metavar="RUN_ID")
    extend.add_argument("--epochs", type=int, required=True, metavar="N", help="the new total number of epochs")
    extend.add_argument("--checkpoint-epochs", default="", metavar="LIST",
                        help="milestones to add, e.g. 20,30 (kept checkpoints, evaluated at full n)")
    add_common(extend)
    extend.set_defaults(func=run_extend)

    worker = subparsers.add_parser(
        "worker", help="process the queue in the background (local worker processes)",
        description="Claim and train queued runs. --once exits when the queue is empty; otherwise waits for work. "
        "Ctrl-C/SIGTERM: the current run goes back to the queue and resumes later from its checkpoint.",
    )  # fmt: skip
    from cgan_tui.runner.executors import EXECUTORS
    from cgan_tui.runner.worker import add_worker_options

    worker.add_argument("--executor", choices=sorted(EXECUTORS), default="local",
                        help="where workers run: local processes (default) or Ray actors (pip install 'cgan-tui[ray]')")
    worker.add_argument("--workers", type=int, default=None, metavar="N",
                        help="workers (default: one per GPU x --runs-per-gpu, 1 on CPU)")
    worker.add_argument("--runs-per-gpu", type=int, default=None, metavar="K",
                        help="local worker processes (so runs) per visible GPU (default 1; see docs/engine.md for K)")
    add_worker_options(worker)
    ray = worker.add_argument_group("Ray executor (--executor ray)")
    ray.add_argument("--address", default=None, metavar="auto|ray://HOST:PORT",
                     help="join this Ray cluster (default: $RAY_ADDRESS, else start a local Ray instance)")
    ray.add_argument("--gpus-per-run", type=float, default=None, metavar="F",
                     help="GPU share per actor; 0.25 = four runs share one GPU (default 0)")
    ray.add_argument("--cpus-per-run", type=float, default=None, metavar="C",
                     help="CPU cores per actor; its torch threads match (default 1)")
    add_common(worker)
    worker.set_defaults(func=run_worker)


def _store(args: argparse.Namespace, create: bool = True):
    from cgan_tui.store.db import open_store

    return open_store(getattr(args, "db", None), create=create)


def confirm_cost(configs: list, registries, assume_yes: bool) -> None:
    """Print the grid's estimated training time (measured probe); ask above ``gan.cost.confirm_above_s()`` (1 h).

    No terminal to ask on (a script, a pipe) and no ``--yes``: a one-line ``UserError``, nothing queued."""
    from cgan_tui.config import expand_all
    from cgan_tui.errors import UserError
    from cgan_tui.gan.cost import confirm_above_s, estimate, human
    from cgan_tui.gan.device import DeviceUnavailable

    print("measuring a few training steps per model family for the estimate ...", flush=True)
    try:
        cost = estimate(expand_all(configs, registries), registries)
    except DeviceUnavailable as exc:  # a grid for another machine's GPU: queue it, say why there is no estimate
        print(f"no time estimate: {exc}")
        return
    print(cost.text(), flush=True)
    if not cost.needs_confirmation or assume_yes:
        return
    if not sys.stdin.isatty():
        raise UserError(f"the grid would train for about {human(cost.seconds)} (over {human(confirm_above_s())}); "
                        "nothing queued: add --yes to queue it without asking")  # fmt: skip
    answer = input(f"queue {cost.runs} run(s), about {human(cost.seconds)} of training? [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise UserError("nothing queued")


def run_add(args: argparse.Namespace) -> int:
    from cgan_tui.cli.run_options import (
        check_data_dirs,
        config_from_args,
        grid_configs,
        load_grid_file,
        overrides_from_args,
    )
    from cgan_tui.cli.shared import disabled_plugins
    from cgan_tui.plugins import load_plugins
    from cgan_tui.runner.queue import enqueue, enqueue_grid

    registries = load_plugins(disabled=disabled_plugins(args), strict_disabled=True)
    if args.grid:
        spec = load_grid_file(args.grid)
        configs, given = grid_configs(spec, args)
        check_data_dirs(configs)
        confirm_cost(configs, registries, args.yes)
        store = _store(args)
        ids = enqueue_grid(store, configs, registries, priority=args.priority, experiment=args.experiment or spec.name,
                           given=given)  # fmt: skip
    else:
        config = config_from_args(args)
        check_data_dirs([config])
        store = _store(args)
        ids = [enqueue(store, config, priority=args.priority, experiment=args.experiment, registries=registries,
                       given=overrides_from_args(args).keys())]  # fmt: skip
    store.dispose()
    print(f"queued {len(ids)} run(s): {', '.join(map(str, ids))}")
    print("start workers with: cgan-tui worker  (or --once to stop when the queue is empty)")
    return 0


def run_ls(args: argparse.Namespace) -> int:
    from cgan_tui.runner.queue import queue_rows

    store = _store(args, create=False)
    rows = queue_rows(store)
    store.dispose()
    if not rows:
        print("queue is empty")
        return 0
    print(f"{'run':>5} {'status':<9} {'prio':>4} {'label':<22} {'seed':>4} {'model':<8} {'progress':>14} {'img/s':>7} {'ETA':>8}  worker")
    for r in rows:
        progress = f"{r.epochs_done:.1f}/{r.epochs} ({r.fraction:4.0%})"
        status = "cancel..." if r.cancel_requested and not r.stale else r.shown_status
        ips = f"{r.images_per_s:.0f}" if r.images_per_s else "-"
        print(f"{r.id:>5} {status:<9} {r.priority:>4} {one_line(r.label):<22} {r.seed:>4} {one_line(r.model):<8} "
              f"{progress:>14} {ips:>7} {format_eta(r.eta_s) if r.status == 'running' else '-':>8}  "
              f"{one_line(r.worker_id or '-')}")  # fmt: skip
    return 0


def run_cancel(args: argparse.Namespace) -> int:
    from cgan_tui.runner.queue import cancel

    store = _store(args, create=False)
    for run_id in args.run_ids:
        result = cancel(store, run_id)
        print(f"run {run_id}: " + ("cancelled" if result == "cancelled" else "cancel requested (stops at the next step)"))
    store.dispose()
    return 0


def run_prio(args: argparse.Namespace) -> int:
    from cgan_tui.runner.queue import reprioritise

    store = _store(args, create=False)
    reprioritise(store, args.run_id, args.priority)
    store.dispose()
    print(f"run {args.run_id}: priority {args.priority}")
    return 0


def run_requeue(args: argparse.Namespace) -> int:
    from cgan_tui.runner.queue import requeue

    store = _store(args, create=False)
    for run_id in args.run_ids:
        requeue(store, run_id)
        print(f"run {run_id}: queued (resumes from its last checkpoint)")
    store.dispose()
    return 0


def run_extend(args: argparse.Namespace) -> int:
    from cgan_tui.config import parse_int_list
    from cgan_tui.runner.queue import extend

    milestones = parse_int_list(args.checkpoint_epochs, "--checkpoint-epochs")
    store = _store(args, create=False)
    try:
        for run_id in args.run_ids:
            done = extend(store, run_id, args.epochs, milestones)
            print(f"run {run_id}: queued for epochs {done.resumes_from + 1}-{done.epochs} (was {done.epochs_before}; "
                  f"resumes from its epoch-{done.resumes_from} checkpoint; milestones "
                  f"{', '.join(map(str, done.checkpoint_epochs)) or 'none'})")  # fmt: skip
    finally:
        store.dispose()
    return 0


def run_worker(args: argparse.Namespace) -> int:
    from cgan_tui.cli.shared import disabled_plugins
    from cgan_tui.errors import UserError
    from cgan_tui.runner.executors import EXECUTORS, LocalPool, default_workers, detect_gpus
    from cgan_tui.runner.worker import EXIT_CANNOT_WRITE, options_from_args, serve

    options = options_from_args(args, disabled_plugins(args))
    per_gpu = 1 if args.runs_per_gpu is None else args.runs_per_gpu
    if per_gpu < 1:
        raise UserError(f"--runs-per-gpu must be at least 1, got {per_gpu}")
    gpus = detect_gpus()
    if per_gpu > 1 and not gpus:
        raise UserError(f"--runs-per-gpu {per_gpu}: no GPU is visible here; on CPU use --workers N")
    n = args.workers if args.workers is not None else (len(gpus) * per_gpu or default_workers())
    if n < 1:
        raise UserError(f"--workers must be at least 1, got {n}")
    kind = EXECUTORS[args.executor]
    if options.worker_id is not None and (n > 1 or kind is not LocalPool):
        raise UserError("--worker-id names the one in-process worker; it needs --workers 1 and the local executor")
    if args.device is not None:  # checked here: a worker on a missing device would fail every queued run
        from cgan_tui.gan.device import pick_device

        pick_device(args.device)
    executor_options = {name: getattr(args, name) for name in ("address", "gpus_per_run", "cpus_per_run", "runs_per_gpu")}
    for name, value in executor_options.items():
        if value is not None and name not in kind.cli_options:
            flag = "--" + name.replace("_", "-")
            users = ", ".join(k for k, c in sorted(EXECUTORS.items()) if name in c.cli_options)
            raise UserError(f"{flag} is an option of --executor {users}, not of --executor {args.executor}")
    store = _store(args)  # validates the database before starting anything
    if n == 1 and kind is LocalPool:
        return serve(store, options)
    pool = kind.from_cli(store.url, n, args.once, options.argv(), {k: executor_options[k] for k in kind.cli_options})
    store.dispose()
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)  # SIGTERM stops the workers like Ctrl-C
    try:
        pool.start()
        print(f"started {count(n, 'worker')} ({pool.describe()}); Ctrl-C stops them", file=sys.stderr)
        while pool.alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("stopping workers; their runs go back to the queue", file=sys.stderr)
        pool.stop()
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    codes = pool.wait()
    pool.stop()
    for status in pool.status():  # why each worker that failed stopped: not only in its log
        if status.returncode not in (0, None):
            print(f"cgan-tui worker: {status.reason()}", file=sys.stderr)
    if all(code == 0 for code in codes):
        return 0
    return EXIT_CANNOT_WRITE if all(code == EXIT_CANNOT_WRITE for code in codes) else 1


def _raise_interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt
