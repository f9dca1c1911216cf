"""``cgan-tui train`` (run in this process, with a progress bar) and ``cgan-tui show RUN_ID``.

``train`` stores its runs in the same queue the workers use and claims each before training it,
so a worker running beside it never trains the same run. Ctrl-C stops the current run at its next
step: it ends ``cancelled`` with its checkpoints kept (``train --resume ID`` continues it), and runs of
this command that had not started yet are cancelled too. A second Ctrl-C aborts at once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import socket
import sys
import threading
from typing import Any

from cgan_tui.errors import UserError
from cgan_tui.formatting import NOT_AVAILABLE, SE_SUFFIX, format_with_error, step_window_note
from cgan_tui.redact import redact
from cgan_tui.safe_text import plain_console, visible


def _resume_from() -> tuple[str, ...]:
    """Statuses ``--resume`` claims a run from: queued and the resumable ones (``store.tables.RESUMABLE``)."""
    from cgan_tui.store.tables import RESUMABLE

    return ("queued", *(s.value for s in RESUMABLE))


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.run_options import add_run_options
    from cgan_tui.cli.shared import add_common

    train = subparsers.add_parser(
        "train",
        help="train one run (or a grid, one by one) in this process",
        description="Train a conditional GAN in this process with a progress bar; everything is stored in the "
        "database. Ctrl-C stops the run (cancelled, checkpoint kept; continue with --resume ID).",
    )
    add_run_options(train)
    train.add_argument("--grid", metavar="FILE", help="a grid TOML (e.g. grids/seed000.toml): train every run of it")
    train.add_argument("--resume", type=int, metavar="RUN_ID", help="continue a stopped/failed/cancelled run from its last checkpoint")
    train.add_argument("--experiment", metavar="NAME", help="group the run(s) under this experiment name")
    add_common(train)
    train.set_defaults(func=run_train)

    show = subparsers.add_parser(
        "show",
        help="everything stored about one run",
        description="Config, status, per-epoch losses, metrics (with backend and n), grids, checkpoints and log path.",
    )
    show.add_argument("run_id", type=int, metavar="RUN_ID")
    show.add_argument("--json", action="store_true", help="print JSON instead of text")
    add_common(show)
    show.set_defaults(func=run_show)


# -------------------------------------------------------------------------------------------- train


class ProgressBar:
    """TrainCallbacks-compatible extra callbacks drawing a rich progress bar on stderr."""

    def __init__(self, progress, run_id: int, label: str, epochs: int) -> None:
        self.progress = progress
        self.epochs = epochs
        self.task = progress.add_task(f"run {run_id} {label}", total=epochs, info="starting")

    def on_progress(self, p) -> None:
        done = (p.epoch - 1) + p.step / max(p.steps_per_epoch, 1)
        info = (f"epoch {p.epoch}/{self.epochs} step {p.step}/{p.steps_per_epoch} "
                f"{p.images_per_s:.0f} img/s {_loss_text(p)}")  # fmt: skip
        self.progress.update(self.task, completed=done, info=info)

    def on_epoch_end(self, e) -> None:
        info = f"epoch {e.epoch}/{self.epochs} done {e.images_per_s:.0f} img/s {_loss_text(e)}"
        self.progress.update(self.task, completed=e.epoch, info=info)

    def on_checkpoint(self, _saved) -> None:
        pass

    def should_stop(self) -> bool:
        return False


def _loss_text(event) -> str:
    """``G 0.693 D 1.386`` for G/D families; a family with its own trainer's values by name."""
    values = getattr(event, "values", None)
    if values:
        return " ".join(f"{name} {value:.3f}" for name, value in values.items())
    return f"G {event.g_loss:.3f} D {event.d_loss:.3f}"


def _sigint_stops(stop_event: threading.Event):
    """First Ctrl-C sets ``stop_event``; the second raises KeyboardInterrupt. Returns a restorer."""

    def handler(_signum, _frame) -> None:
        if stop_event.is_set():
            raise KeyboardInterrupt
        print("\ncgan-tui: stopping at the next step (Ctrl-C again to abort)", file=sys.stderr)
        stop_event.set()

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread (embedded use): no handler
        return lambda: None
    return lambda: signal.signal(signal.SIGINT, previous)


def _plan(args: argparse.Namespace, store, registries) -> list[int]:
    """Run ids to train: the resumed one, or freshly stored ones (all validated first)."""
    from cgan_tui.cli.run_options import (
        check_runnable_here,
        config_from_args,
        grid_configs,
        load_grid_file,
        overrides_from_args,
    )
    from cgan_tui.config import expand_all
    from cgan_tui.store import queries as q

    if args.resume is not None:
        if args.grid or overrides_from_args(args):
            raise UserError("--resume continues the stored config; do not combine it with --grid or run options")
        run = q.get_run(store, args.resume)
        if run.status.value not in _resume_from():
            raise UserError(
                f"run {run.id} is {run.status.value}; --resume takes a {', '.join(_resume_from())} run"
            )
        return [int(run.id)]
    if args.grid:
        spec = load_grid_file(args.grid)
        configs, given = grid_configs(spec, args)
        resolved = expand_all(configs, registries, given=given)
        check_runnable_here(resolved)
        return q.create_runs(store, resolved, experiment=args.experiment or spec.name)
    resolved = expand_all([config_from_args(args)], registries, given=overrides_from_args(args).keys())
    check_runnable_here(resolved)
    return q.create_runs(store, resolved, experiment=args.experiment)


def run_train(args: argparse.Namespace) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from cgan_tui.cli.shared import disabled_plugins
    from cgan_tui.plugins import load_plugins
    from cgan_tui.runner.execute import execute_run
    from cgan_tui.runner.heartbeat import Heartbeat
    from cgan_tui.runner.queue import cancel, claim_run
    from cgan_tui.store import queries as q
    from cgan_tui.store.db import open_store

    registries = load_plugins(disabled=disabled_plugins(args), strict_disabled=True)
    store = open_store(getattr(args, "db", None))
    from cgan_tui.store.guard import check_writable

    check_writable(store, "training")  # before any compute: a read-only or locked database says so now
    run_ids = _plan(args, store, registries)
    worker_id = f"cli-{socket.gethostname()}-{os.getpid()}"
    stop_event = threading.Event()
    restore = _sigint_stops(stop_event)
    console = plain_console(stderr=True)
    outcomes: list[tuple[int, str, int]] = []
    print(f"run id(s): {', '.join(map(str, run_ids))}  (database {redact(store.url)})")
    try:
        with Heartbeat(store, worker_id) as heartbeat, Progress(
            TextColumn("{task.description}", markup=False), BarColumn(), TextColumn("{task.fields[info]}", markup=False),
            TimeElapsedColumn(),
            console=console, transient=False,
        ) as progress:  # fmt: skip
            for run_id in run_ids:
                if stop_event.is_set():
                    status = cancel(store, run_id) if q.get_run(store, run_id).status.value == "queued" else "skipped"
                    outcomes.append((run_id, status, 0))
                    continue
                from_statuses = _resume_from() if args.resume is not None else ("queued",)
                if not claim_run(store, run_id, worker_id, from_statuses=from_statuses):
                    run = q.get_run(store, run_id)
                    progress.console.print(f"run {run_id}: taken by {run.worker_id or '?'} ({run.status.value}); skipped")
                    outcomes.append((run_id, f"taken ({run.status.value})", 0))
                    continue
                run = q.get_run(store, run_id)
                heartbeat.watch(run_id)
                bar = ProgressBar(progress, run_id, f"{run.model} {q.run_config(run).label}", run.epochs)
                try:
                    outcome = execute_run(
                        store, run_id, registries, worker_id=worker_id, stop_event=stop_event,
                        extra_callbacks=bar, stop_status="cancelled",
                    )  # fmt: skip
                except BaseException as exc:  # second Ctrl-C, or a bug outside training: never leave it "running"
                    _abandon(store, run_id, worker_id, exc)
                    raise
                finally:
                    heartbeat.watch(None)
                outcomes.append((run_id, outcome.status, outcome.epochs_done))
                if outcome.status in ("failed", "diverged"):
                    first = (outcome.error or "").strip().splitlines()
                    progress.console.print(f"run {run_id}: {outcome.status}: {first[-1] if first else ''}")
    finally:
        restore()
    _print_summary(store, outcomes)
    store.dispose()
    if stop_event.is_set():
        return 130
    return 0 if all(status == "completed" for _, status, _ in outcomes) else 1


def _abandon(store, run_id: int, worker_id: str, exc: BaseException) -> None:
    import traceback

    from cgan_tui.store import queries as q
    from cgan_tui.store.tables import RunStatus, utcnow

    interrupted = isinstance(exc, KeyboardInterrupt)
    text = "interrupted (Ctrl-C twice)" if interrupted else "".join(traceback.format_exception(exc))
    status = RunStatus.cancelled if interrupted else RunStatus.failed
    try:
        q.finish_run(store, run_id, worker_id, status=status, error=text, finished_at=utcnow())
    except Exception:  # noqa: BLE001 - the original exception matters more
        pass


def _print_summary(store, outcomes: list[tuple[int, str, int]]) -> None:
    from cgan_tui.store import queries as q

    print(f"{'run':>5}  {'label':<22} {'model':<8} {'status':<10} {'epochs':>7} {'g_loss':>8} {'d_loss':>8} {'img/s':>7}")
    for run_id, status, epochs_done in outcomes:
        run = q.get_run(store, run_id)
        rows = q.epoch_rows(store, run_id)
        last = rows[-1] if rows else None
        na = NOT_AVAILABLE if last is not None and last.losses else "-"  # not a G/D pair: no G/D loss
        print(
            f"{run_id:>5}  {q.run_config(run).label:<22} {run.model:<8} {status:<10} "
            f"{f'{epochs_done}/{run.epochs}':>7} {_num(last and last.g_loss, missing=na):>8} "
            f"{_num(last and last.d_loss, missing=na):>8} "
            f"{_num(last and last.images_per_s, '.0f'):>7}"
        )
    print("details: cgan-tui show RUN_ID")


def _num(value: Any, fmt: str = ".4f", missing: str = "-") -> str:
    return missing if value is None else format(value, fmt)


# --------------------------------------------------------------------------------------------- show


def _when(stamp: str | None) -> str:
    """A stored timestamp to the second, in UTC (``--json`` keeps the full ISO text)."""
    if not stamp:
        return "-"
    from datetime import UTC, datetime

    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _metric_text(name: str, value: float) -> str:
    """Four decimals, except counts (``mode_collapse 8``, not ``8.0000``)."""
    from cgan_tui.formatting import COUNT_VALUES

    return str(int(value)) if name in COUNT_VALUES and float(value).is_integer() else _num(value)


def show_data(store, run_id: int) -> dict[str, Any]:
    """Everything ``show`` prints, as plain data (also the ``--json`` output)."""
    from cgan_tui.runner.logs import log_path
    from cgan_tui.store import queries as q

    run = q.get_run(store, run_id)
    rows = q.metric_rows(store, [run_id])
    metrics = [
        {"epoch": m.epoch, "name": m.name, "value": m.value, "backend": m.backend, "n_samples": m.n_samples,
         "unavailable": m.unavailable}  # fmt: skip
        for m in rows
        if m.backend != q.TRAIN_BACKEND
    ]
    not_applicable = {m.name: m.unavailable for m in rows if m.backend == q.TRAIN_BACKEND and m.unavailable}
    epochs = q.epoch_rows(store, run_id)
    rates = [e.sample_images_per_s for e in epochs if e.sample_images_per_s is not None]
    path = log_path(store, run_id)
    label = q.label(store, run_id)
    return {
        "id": run.id,
        "label": q.run_config(run).label,
        "status": run.status.value,
        "note": label.note,
        "tags": list(label.tags),
        "archived": label.archived,
        "priority": run.priority,
        "attempts": run.attempts,
        "worker_id": run.worker_id,
        "device": run.device,
        "precision": run.precision,
        "evaluating": run.eval_progress,
        "eval_pending": q.parse_pending(run.eval_pending),
        "code_version": run.code_version,
        "created_at": str(run.created_at),
        "started_at": str(run.started_at) if run.started_at else None,
        "finished_at": str(run.finished_at) if run.finished_at else None,
        "progress": {"epoch": run.current_epoch, "of": run.epochs, "step": run.current_step,
                     "steps_per_epoch": run.steps_per_epoch, "images_per_s": run.images_per_s},  # fmt: skip
        "cost": {"train_images_per_s": _median([e.images_per_s for e in epochs if e.images_per_s is not None]),
                 "sample_images_per_s": _median(rates)},  # fmt: skip
        "not_applicable": not_applicable,
        "error": redact(run.error) if run.error else None,
        "config": run.config,
        "step_every": next((c.every for c in q.step_curves(store, [run_id]).get(run_id, {}).values()), None),
        "epochs": [dataclasses.asdict(r) for r in epochs],
        "metrics": metrics,
        "worst_class": _worst_classes(metrics),
        "grids": q.grid_epochs(store, run_id),
        "checkpoints": [{"epoch": c.epoch, "kind": c.kind, "path": c.path} for c in q.checkpoints(store, run_id)],
        "log": str(path) if path.exists() else None,
    }


def _worst_classes(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per backend, the class with the highest intra-FID at the latest epoch that has per-class values."""
    from cgan_tui.classes import class_name, per_class_label, worst_intra_fid

    latest: dict[str, int] = {}
    for m in metrics:
        if m["name"].startswith("intra_fid_c") and m["value"] is not None:
            latest[m["backend"]] = max(latest.get(m["backend"], m["epoch"]), m["epoch"])
    out = []
    for backend, epoch in sorted(latest.items()):
        rows = [m for m in metrics if m["backend"] == backend and m["epoch"] == epoch]
        worst = worst_intra_fid({m["name"]: m["value"] for m in rows})
        if worst is not None:
            label, value = worst
            n = next(m["n_samples"] for m in rows if per_class_label(m["name"]) == label and m["name"].startswith("intra"))
            out.append({"backend": backend, "epoch": epoch, "label": label, "class": class_name(label),
                        "intra_fid": value, "n_samples": n})  # fmt: skip
    return out


def _median(values: list[float]) -> float | None:
    import statistics

    return statistics.median(values) if values else None


def run_show(args: argparse.Namespace) -> int:
    from cgan_tui.store.db import open_store

    store = open_store(getattr(args, "db", None), create=False)
    data = show_data(store, args.run_id)
    store.dispose()
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    out = [f"run {data['id']}  {data['label']}  {data['config']['model']}  status {data['status']}"
           f"  (priority {data['priority']}, attempts {data['attempts']}, device {data['device'] or '-'})"]  # fmt: skip
    if data["tags"] or data["archived"]:
        out.append(f"tags: {' '.join(data['tags']) or '(none)'}" + ("  (archived)" if data["archived"] else ""))
    if data["note"]:
        out.append("your note: " + data["note"].replace("\n", "\n           "))
    p = data["progress"]
    out.append(f"progress: epoch {p['epoch']}/{p['of']}  worker {data['worker_id'] or '-'}  code {data['code_version'] or '-'}")
    out.append(f"precision: {data['precision'] or '- (not recorded: run not started, or older than cgan-tui schema 3)'}")
    if data["evaluating"]:
        out.append(f"evaluating: {data['evaluating']}")
    if data["eval_pending"] and data["status"] in ("queued", "running"):
        out.append(f"evaluation pending: epoch {', '.join(map(str, data['eval_pending']))} (its worker stopped "
                   "mid-evaluation; the next worker evaluates it before training on)")  # fmt: skip
    out.append(f"created {_when(data['created_at'])}  started {_when(data['started_at'])}  "
               f"finished {_when(data['finished_at'])}")  # fmt: skip
    if data["error"]:
        out.append("note:" if data["status"] == "completed" else "error:")
        out.extend("  " + line for line in data["error"].rstrip().splitlines())
    out.append("config:")
    out.extend(f"  {k} = {json.dumps(v)}" for k, v in sorted(data["config"].items()))
    out.append(step_window_note(data["config"].get("log_every"), data["step_every"]))
    cost = data["cost"]
    out.append(f"cost: training {_num(cost['train_images_per_s'], '.1f')} img/s, "
               f"sampling {_num(cost['sample_images_per_s'], '.1f')} img/s (median over epochs; sampling: "
               "the fixed-noise grid)")  # fmt: skip
    for name, why in sorted(data["not_applicable"].items()):
        out.append(f"{name}: {NOT_AVAILABLE} ({why})")
    out.append("epochs:" if data["epochs"] else "epochs: (none yet)")
    if data["epochs"]:
        own = sorted({k for r in data["epochs"] for k in r["losses"]})
        na = data["not_applicable"]
        out.append(f"  {'epoch':>5} {'g_loss':>9} {'d_loss':>9} " + "".join(f"{k:>15} " for k in own)
                   + f"{'seconds':>8} {'img/s':>7} {'sample/s':>8}")  # fmt: skip
        for r in data["epochs"]:
            g = _num(r["g_loss"], missing=NOT_AVAILABLE if "g_loss" in na else "-")
            d = _num(r["d_loss"], missing=NOT_AVAILABLE if "d_loss" in na else "-")
            extra = "".join(f"{_num(r['losses'].get(k), missing=NOT_AVAILABLE if k in na else '-'):>15} " for k in own)
            out.append(f"  {r['epoch']:>5} {g:>9} {d:>9} {extra}{_num(r['epoch_seconds'], '.1f'):>8} "
                       f"{_num(r['images_per_s'], '.0f'):>7} {_num(r['sample_images_per_s'], '.1f'):>8}")  # fmt: skip
    out.append("metrics:" if data["metrics"] else "metrics: (none)")
    se = {(m["epoch"], m["backend"], m["n_samples"], m["name"]): m["value"]
          for m in data["metrics"] if m["name"].endswith(SE_SUFFIX)}  # fmt: skip
    for m in data["metrics"]:
        value = _metric_text(m["name"], m["value"]) if m["value"] is not None else f"{NOT_AVAILABLE}: {m['unavailable'] or '?'}"
        error = se.get((m["epoch"], m["backend"], m["n_samples"], m["name"] + SE_SUFFIX))  # an SE is of its own n
        if m["value"] is not None and error is not None:  # FID/KID/intra-FID with a bootstrap SE: 38.2±0.4
            value = format_with_error(m["value"], error, m["name"])
        out.append(f"  epoch {m['epoch']:>3}  {m['name']:<20} {value:<12} backend {m['backend']}  n {m['n_samples']}")
    for w in data["worst_class"]:
        out.append(f"worst class by intra-FID: {w['class']} {_num(w['intra_fid'], '.2f')} "
                   f"(epoch {w['epoch']}, backend {w['backend']}, n {w['n_samples']})")  # fmt: skip
    out.append("grids: " + (", ".join(f"epoch {e}" for e in data["grids"]) or "(none)"))
    out.append("checkpoints:" if data["checkpoints"] else "checkpoints: (none)")
    out.extend(f"  epoch {c['epoch']:>3} {c['kind']:<9} {c['path']}" for c in data["checkpoints"])
    out.append(f"log: {data['log'] or '(none yet)'}")
    print(visible("\n".join(out)))  # stored text (errors, worker names) cannot drive the terminal
    return 0
