"""``cgan-tui ls | eval | rate | export | weights``: the results table and everything metrics.

``ls``, ``rate`` and ``export`` read through ``cgan_tui.results`` and never import torch; ``eval``
and ``weights train-classifier`` do.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import sys
import time
from typing import Any, Sequence

from cgan_tui.errors import UserError

from cgan_tui.formatting import NOT_AVAILABLE as UNAVAILABLE


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli import add_common

    ls = subparsers.add_parser(
        "ls",
        help="the results table: one row per model (run x evaluated epoch)",
        description="Models with their metrics and scores. Missing values show '—' (not computed yet) or "
        f"'{UNAVAILABLE}' (unavailable; the reason is listed under the table).",
    )
    ls.add_argument("--sort", metavar="KEY[,KEY2]", help="sort keys, e.g. combined, fid, fid@classifier, loss; "
                    "KEY:desc or a - prefix (--sort=-class_acc,fid) sorts that key descending")  # fmt: skip
    ls.add_argument("--desc", action="store_true", help="descending order for keys without a +/- prefix")
    ls.add_argument("--backend", help="show and sort by this backend's values (inception, classifier, ...)")
    ls.add_argument("--filter", default="", metavar="TEXT", help="rows whose label/loss/conditioning/status contain TEXT")
    ls.add_argument("--loss", help="only this loss")
    ls.add_argument("--status", help="only this run status")
    ls.add_argument("--columns", metavar="A,B", help="columns to show (keys or short names; 'all' for every column, "
                    "whatever the width)")
    ls.add_argument("--width", type=int, metavar="N", help="fit the table to N characters (default: the terminal's "
                    "width; unlimited into a pipe or file)")
    _add_score_options(ls)
    ls.add_argument("--aggregate", metavar="BY", help="mean, 95%% CI, std and best per group: setting (one per "
                    "config, seeds pooled), loss, embed_dim, conditioning, ...")
    ls.add_argument("--value", metavar="KEY", help="value aggregated by --aggregate (default: combined, else fid)")
    ls.add_argument("--limit", type=int, help="show at most N rows")
    add_common(ls)
    ls.set_defaults(func=run_ls)

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

    rate = subparsers.add_parser(
        "rate",
        help="rate a model's samples 1..5 (sharpness, structure, detail, class fit)",
        description="Human visual ratings feeding the final score (all four criteria are needed for it).",
    )
    rate.add_argument("run_id", type=int, metavar="RUN_ID")
    rate.add_argument("--epoch", type=int, required=True)
    for criterion in ("sharpness", "structure", "detail", "class-fit"):
        rate.add_argument(f"--{criterion}", type=int, metavar="1..5")
    rate.add_argument("--rater", default="me", help="who rates (ratings are averaged over raters)")
    _add_score_options(rate)
    add_common(rate)
    rate.set_defaults(func=run_rate)

    export = subparsers.add_parser("export", help="write the results rows as CSV or JSON")
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    _add_score_options(export)
    add_common(export)
    export.set_defaults(func=run_export)

    weights = subparsers.add_parser(
        "weights",
        help="pretrained weight files the metrics use: status, fetch, import, classifier training",
        description="Lists every weight file (used by, status, size, where it was looked for).",
    )
    add_common(weights)
    weights.set_defaults(func=run_weights)
    wsub = weights.add_subparsers(dest="weights_command", metavar="SUBCOMMAND")
    fetch = wsub.add_parser(
        "fetch",
        help="download missing standard weights (ImageNet AlexNet, torch-fidelity Inception), hash-checked",
        description="Downloads each missing file from the URL its library uses (torchvision, torch-fidelity), "
        "checks its published SHA-256 and writes it atomically into torch's hub checkpoints folder. "
        "Files already present anywhere looked in are not downloaded again. Offline: one line per file "
        "with the URL, the reason and the `cgan-tui weights import NAME FILE` alternative; exit status 1.",
    )
    fetch.add_argument("names", nargs="*", metavar="NAME", help="weight files to fetch (see `cgan-tui weights`)")
    fetch.add_argument("--all", action="store_true", help="every downloadable weight file")
    fetch.add_argument("--mirror", metavar="URL", help="replace everything before the file name of each URL "
                       "(http://, https:// or file://; default $CGAN_TUI_WEIGHTS_MIRROR)")  # fmt: skip
    fetch.add_argument("--timeout", type=float, default=None, metavar="S",
                       help="seconds a connect or one read may take (default 30)")  # fmt: skip
    fetch.set_defaults(func=run_weights_fetch)
    imp = wsub.add_parser("import", help="copy a weight file into place (checked to load first)")
    imp.add_argument("name", metavar="NAME")
    imp.add_argument("path", metavar="PATH")
    imp.set_defaults(func=run_weights_import)
    tc = wsub.add_parser(
        "train-classifier",
        help="retrain the Fashion-MNIST classifier (reproduces the shipped one; minutes on CPU)",
        description="Trains the classifier the shipped file was made with (same seed and epochs by default) and "
        "writes it to the weights folder, where it takes precedence over the shipped file; its values are "
        "stored with its own hash, so they never mix with the shipped network's.",
    )
    tc.add_argument("--epochs", type=int, default=None, help="training epochs (default: as the shipped file)")
    tc.add_argument("--data-dir", help="folder with the Fashion-MNIST IDX files")
    tc.add_argument("--device", default="cpu", help="cpu (default: the shipped file was trained on CPU) | auto | cuda")
    tc.add_argument("--seed", type=int, default=0)
    tc.add_argument("--out", metavar="FILE", help="write here instead of the weights folder (not used unless imported)")
    tc.set_defaults(func=run_train_classifier)


def _add_score_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default="research", help="final-score weights: research, commercial, academic, custom")
    parser.add_argument("--weights", metavar="W1,W2", help="custom final-score weights (quantitative, qualitative)")


def _score_args(args: argparse.Namespace) -> tuple[str, tuple[float, float] | None]:
    if not getattr(args, "weights", None):
        return args.preset, None
    try:
        w = tuple(float(x) for x in args.weights.split(","))
    except ValueError:
        raise UserError(f"--weights expects two numbers like 0.6,0.4, got {args.weights!r}") from None
    if len(w) != 2:
        raise UserError(f"--weights expects two numbers like 0.6,0.4, got {args.weights!r}")
    return "custom", w  # type: ignore[return-value]


def _open(args: argparse.Namespace, create: bool = False):
    from cgan_tui.store.db import open_store

    return open_store(getattr(args, "db", None), create=create)


def _registries(args: argparse.Namespace):
    from cgan_tui.cli import disabled_plugins
    from cgan_tui.plugins import load_plugins

    return load_plugins(disabled=disabled_plugins(args))


def _console(width: int | None = None):
    from rich.console import Console

    # a terminal gets its own width; a pipe or file gets whole rows, never squashed columns
    if width is None:
        width = shutil.get_terminal_size((200, 40)).columns if sys.stdout.isatty() else 10_000
    return Console(width=max(width, 40), soft_wrap=False)


# ---------------------------------------------------------------------------------------------- ls


def resolve_key(name: str, keys: Sequence[str], backend: str | None = None) -> str:
    """A column key from a short name: ``fid`` -> ``fid@inception`` (or ``--backend``'s), exact keys pass."""
    from cgan_tui import results

    if name in keys or name in results.BASE_KEYS:
        return name
    matches = [k for k in keys if k.partition("@")[0] == name]
    if backend:
        preferred = [k for k in matches if k.endswith("@" + backend)]
        if preferred:
            return preferred[0]
    if matches:
        order = {"inception": 0, "classifier": 1}
        return sorted(matches, key=lambda k: (order.get(k.partition("@")[2], 5), k))[0]
    valid = sorted(set(results.BASE_KEYS) | {k.partition("@")[0] for k in keys} | set(keys))
    raise UserError(f"unknown column {name!r}; valid: {', '.join(valid)}")


def parse_sort(spec: str | None, keys: Sequence[str], backend: str | None, desc: bool) -> list[tuple[str, bool]]:
    if not spec:
        return [("run_id", desc), ("epoch", desc)]
    out = []
    for part in (p.strip() for p in spec.split(",") if p.strip()):
        descending = desc
        if part[0] in "+-":
            descending, part = part[0] == "-", part[1:]
        elif part.endswith((":desc", ":asc")):
            part, _, direction = part.rpartition(":")
            descending = direction == "desc"
        out.append((resolve_key(part, keys, backend), descending))
    return out


HIDDEN_BY_DEFAULT = ("diversity", "min_diversity", "epoch_seconds", "images_per_s")
"""Shown with --columns all (or by name); the default table keeps to the headline values."""


def _default_columns(cols, backend: str | None) -> list:
    """Base columns, then ``backend``'s values and scores plus the shared backends' values (a shared
    value the backend has its own version of, e.g. lpips@lpips next to lpips@classifier, is left out)."""
    from cgan_tui import results

    keys = {c.key for c in cols}
    base = [c for c in cols if c.key in results.BASE_KEYS]
    shown = []
    for c in cols:
        if c.key in results.BASE_KEYS:
            continue
        name, _, b = c.key.partition("@")
        if name.endswith("_std") or b == "rating" or name in HIDDEN_BY_DEFAULT:
            continue
        if b == "train" and not (name.endswith("loss") or name == "sample_images_per_s"):
            continue
        if backend and b not in (backend, *results.SHARED_BACKENDS, "train"):
            continue
        if backend and b in results.SHARED_BACKENDS and f"{name}@{backend}" in keys:
            continue
        shown.append(c)
    return base + shown


def run_ls(args: argparse.Namespace) -> int:
    from rich.table import Table

    from cgan_tui import results
    from cgan_tui.cli import ls_view

    preset, weights = _score_args(args)
    registries = _registries(args)
    _check_ls_args(args, registries)
    store = _open(args)
    try:
        rows = results.load_results(store, registries, preset=preset, weights=weights)
    finally:
        store.dispose()
    cols = results.columns_for(rows, registries)
    present = {c.key for c in cols}
    # registered keys count as valid even before any row has a value (queued runs only)
    keys = [c.key for c in cols] + [k for k in results.known_keys(registries) if k not in present]
    equals = {k: v for k, v in (("loss", args.loss), ("status", args.status)) if v}
    rows = results.filter_rows(rows, args.filter, **equals)
    backend = args.backend or results.default_backend(rows)
    if args.aggregate:
        return _print_aggregate(rows, keys, args, backend)
    sort = parse_sort(args.sort, keys, backend, args.desc)
    for key, _ in sort:  # a sort key without values yet still gets its (empty) column
        if key not in present and key not in results.BASE_KEYS:
            cols.append(results.column_for(key, registries))
            present.add(key)
    rows = results.sort_rows(rows, sort)
    if args.limit is not None:
        rows = rows[: args.limit]
    if args.columns == "all":
        chosen = cols
    elif args.columns:
        by_key = {c.key: c for c in cols}
        wanted = [resolve_key(p.strip(), keys, backend) for p in args.columns.split(",") if p.strip()]
        chosen = [by_key.get(k) or (results.Column(k, k, None, "text") if k in results.BASE_KEYS
                                    else results.column_for(k, registries)) for k in wanted]  # fmt: skip
    else:
        chosen = _default_columns(cols, backend)
        by_key = {c.key: c for c in cols}
        chosen += [by_key[k] for k, _ in sort if k in by_key and by_key[k] not in chosen]  # the sort key shows
    console = _console(args.width)
    if not rows:
        console.print("no models yet: train with `cgan-tui train ...` or enqueue with `cgan-tui queue add ...`")
        return 0
    console.print(_backend_line(backend, args.backend is not None), highlight=False, markup=False)
    grid = ls_view.cells(rows, chosen)
    hidden = []
    if not args.columns:  # a column set that fits: never narrowed, the ones left out named below
        combined = [c.key for c in chosen if c.key.startswith("combined@")]
        preferred = [c for c in combined if c.endswith("@" + backend)] or combined[:1]
        fid = [k for k in (f"fid@{backend}",) if k in {c.key for c in chosen}]  # the other headline ranking
        keep = ["run_id", "label", *(k for k, _ in sort), *preferred, *fid, "status"]
        shown, hidden = ls_view.fit_columns(chosen, grid, console.width, keep)
        chosen = [chosen[i] for i in shown]
        grid = [[r[i] for i in shown] for r in grid]
    table = Table(show_lines=False, header_style="bold")
    for c in chosen:
        table.add_column(ls_view.header(c), justify="right" if c.kind == "number" else "left", no_wrap=True)
    for cells in grid:
        table.add_row(*cells)
    console.print(table)
    hint = _first_missing_hint(rows, chosen, backend)  # one short line: the first missing input and its fix
    if hint:
        console.print(hint, highlight=False, markup=False)
    for line in ls_view.notes(rows, chosen, grid, scores=False):  # each n/a reason of a value once; the * legend
        console.print(line, highlight=False, markup=False)
    if hidden:
        console.print(f"{len(hidden)} more columns fit a wider terminal (--columns all, or --columns A,B): "
                      + ", ".join(c.key for c in hidden), highlight=False, markup=False)  # fmt: skip
    return 0


def _backend_line(backend: str, chosen: bool) -> str:
    """The first line of ``ls``: which backend the scores and short keys (fid, combined) refer to."""
    from cgan_tui.gan import backbones

    digest = backbones.current(backend)
    network = f", network {digest}" if digest else ""
    how = "--backend" if chosen else "default: the first with a combined score; --backend to choose"
    return f"backend {backend}{network} ({how})"


def _first_missing_hint(rows, chosen, backend: str) -> str | None:
    """One short line when a row lacks the backend's combined (or final) score: its first missing
    input and the command that fixes it."""
    from cgan_tui import results

    shown = {c.key for c in chosen}
    priority = [k for k in (f"combined@{backend}", f"final@{backend}") if k in shown]
    for key in priority:
        for row in rows:
            if row.get(key) is None and not _is_final_unrated(row, key):
                return f"— {row.label} (run {row.run_id}): {results.missing_hint(row, key)}"
    return None  # values that are n/a are explained by the notes, each reason once (ls_view.notes)


def _is_final_unrated(row, key: str) -> bool:
    """A final score missing only for want of ratings is the normal state, not worth a line."""
    return key.startswith("final@") and row.missing_input.get(key) == "ratings"


def _check_ls_args(args: argparse.Namespace, registries) -> None:
    """One-line errors for values ``ls`` would otherwise silently ignore or misread."""
    from cgan_tui.store.tables import RunStatus

    if args.limit is not None and args.limit < 1:
        raise UserError(f"--limit must be >= 1 (got {args.limit})")
    if args.width is not None and args.width < 40:
        raise UserError(f"--width must be >= 40 (got {args.width})")
    statuses = [s.value for s in RunStatus]
    if args.status and args.status.casefold() not in statuses:
        raise UserError(f"unknown status {args.status!r}; valid: {', '.join(statuses)}")
    backends = sorted({m.backend for m in registries.metrics})
    if args.backend and args.backend not in backends:
        raise UserError(f"unknown backend {args.backend!r}; valid: {', '.join(backends) or 'none (no metrics loaded)'}")


def _print_aggregate(rows, keys: Sequence[str], args: argparse.Namespace, backend: str | None = None) -> int:
    from rich.table import Table

    from cgan_tui import results

    by = results.SETTING if args.aggregate == results.SETTING else resolve_key(args.aggregate, keys)
    if args.value:
        value_key = resolve_key(args.value, keys, backend)
    else:
        candidates = [k for k in keys if k.startswith("combined@")] or [k for k in keys if k.startswith("fid@")]
        preferred = [k for k in candidates if backend and k.endswith("@" + backend)]
        value_key = (preferred or candidates or ["g_loss@train"])[0]
    from cgan_tui import results_n
    from cgan_tui.formatting import compact_n

    table = Table(title=f"{value_key} by {by}", header_style="bold")
    for title in (by, "at n", "models", "runs", "mean", "± 95% CI", "std", "best"):
        table.add_column(title, justify="left" if title == by else "right")
    for agg in results.aggregate(rows, by, value_key):
        ci = f"± {results.format_value(agg.ci, value_key)}" if agg.ci is not None else results.MISSING
        table.add_row(str(agg.group), compact_n(agg.sample_n) if agg.sample_n else results.MISSING, str(agg.n),
                      str(agg.runs), results.format_value(agg.mean, value_key), ci,
                      *(results.format_value(v, value_key) for v in (agg.std, agg.best)))  # fmt: skip
    console = _console()
    console.print(table)
    console.print("95% CI: Student-t interval of the mean where a group holds one value from each of >= 2 runs "
                  "(— otherwise: epochs of one run are not independent); --aggregate setting groups the seeds "
                  "of one config", highlight=False, soft_wrap=True)  # fmt: skip
    mixed = results_n.mixed_n_message(rows, value_key)
    if mixed:
        console.print(mixed, highlight=False, soft_wrap=True)
    return 0


# -------------------------------------------------------------------------------------------- eval


class EmbedProgress:
    """A rich progress bar per backend and image set (images embedded / total, ETA) on stderr, so
    stdout keeps only the results; ``evaluate(progress=...)`` calls it after every batch."""

    def __enter__(self) -> "EmbedProgress":
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._bars = Progress(
            TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TextColumn("images"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(), console=Console(stderr=True),
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
    if args.n is not None and args.n < 10:  # as config.validate_shape's eval_n; checked before torch loads
        raise UserError(f"--n must be an integer >= 10 (got {args.n})")
    from cgan_tui.gan import weights
    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.evaluation import default_n, evaluate
    from cgan_tui.gan.training import load_generator
    from cgan_tui.runner.evaluate_hook import StoreFeatureCache, store_results
    from cgan_tui.store import queries as q

    registries = _registries(args)
    store = _open(args)
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
        ckpt = max(rows, key=lambda c: (c.epoch, c.kind == "milestone"))
        from cgan_tui.store.guard import check_writable

        check_writable(store, "the evaluation")  # before minutes of compute whose results could not be saved
        device = pick_device(args.device)
        generator, config = load_generator(store.artifact_store.fetch(ckpt.path), registries, device)
        from cgan_tui.results_n import table_n

        table = None if args.n else table_n(store)  # stay comparable with the models already evaluated
        n = args.n or table or default_n(device)
        if n < 10:
            raise UserError(f"--n must be at least 10, got {n}")
        # on demand: --metrics, else the run's own selection; a run with evaluation off still gets all
        metrics = [m.strip() for m in args.metrics.split(",") if m.strip()] if args.metrics else (config.metrics or None)
        note = ("" if args.n else f" (the n most models here have; --n to change)" if table
                else f" (default on {device.type}; --n to change)")  # fmt: skip
        print(f"run {run.id} {config.label} epoch {ckpt.epoch}: n={n}{note}, device {device}", flush=True)
        started = time.perf_counter()
        with EmbedProgress() as progress:
            results = evaluate(
                generator, config, registries, epoch=ckpt.epoch, n=n, device=device, metrics=metrics,
                feature_cache=StoreFeatureCache(store), progress=progress,
            )  # fmt: skip
        seconds = time.perf_counter() - started
        store_results(store, run.id, ckpt.epoch, results)
    finally:
        store.dispose()
    width = max((len(r.key) for r in results), default=10)
    for r in results:
        text = f"{r.value:.4f}" if r.value is not None else f"{UNAVAILABLE}: {r.unavailable}"
        print(f"  {r.key:<{width}}  {text}  (n={r.n_samples})")
    print(f"evaluated in {seconds:.1f} s; stored {len(results)} values")
    return 0


# -------------------------------------------------------------------------------------------- rate


def run_rate(args: argparse.Namespace) -> int:
    from cgan_tui import results
    from cgan_tui.formatting import missing_text
    from cgan_tui.store import queries as q
    from cgan_tui.store.guard import StoreWriteError

    given = {c: getattr(args, c) for c in ("sharpness", "structure", "detail", "class_fit") if getattr(args, c) is not None}
    if not given:
        raise UserError("give at least one rating: --sharpness, --structure, --detail, --class-fit (1..5)")
    preset, weights = _score_args(args)
    store = _open(args)
    try:
        q.check_rateable(store, args.run_id, args.epoch)
        saved: list[str] = []
        for criterion, value in given.items():
            try:
                q.add_rating(store, args.run_id, args.epoch, criterion, value, rater=args.rater)
            except StoreWriteError as exc:
                done = f" (saved before it: {', '.join(saved)})" if saved else ""
                raise StoreWriteError(exc.kind, f"rating {criterion}={value} not saved: {exc}{done}") from None
            saved.append(f"{criterion}={value}")
        rows = [r for r in results.load_results(store, _registries(args), preset=preset, weights=weights)
                if r.run_id == args.run_id and r.epoch == args.epoch]  # fmt: skip
    finally:
        store.dispose()
    print(f"rated run {args.run_id} epoch {args.epoch}: " + ", ".join(f"{k}={v}" for k, v in given.items()))
    for row in rows:
        finals = {k: v for k, v in row.scores.items() if k.startswith("final@")}
        for key, value in finals.items():
            text = f"{value:.2f}" if value is not None else f"{missing_text(row, key)} ({row.why_missing(key)})"
            print(f"  {key} [{preset}]: {text}")
        if not finals:
            print("  final score: needs an evaluated model (cgan-tui eval RUN_ID) and all four ratings")
    return 0


# ------------------------------------------------------------------------------------------ export


EXPORT_SUFFIXES = (":n", ":unavailable")
"""CSV columns next to each value/score ``KEY``: ``KEY:n`` (its sample count) and ``KEY:unavailable``."""


def export_rows(rows, fmt: str) -> str:
    """Results rows as CSV or JSON, both with every value's n and the reason a value is n/a.

    CSV: base columns, then for each value or score ``KEY``: ``KEY`` (the number, ``n/a`` when it
    cannot be computed here, ``—`` when not computed yet), ``KEY:n`` and ``KEY:unavailable`` (the
    reason when n/a); ratings have only ``KEY``. JSON: one object per row with the same values (null
    when missing), ``n_samples``, ``unavailable`` and ``missing`` (key -> ``n/a`` or ``—``).
    """
    from cgan_tui import formatting, results

    cols = results.columns_for(rows)
    value_keys = [c.key for c in cols if c.key not in results.BASE_KEYS]
    if fmt == "json":
        data = []
        for row in rows:
            item = row.to_dict()
            item["n_samples"] = dict(row.n_samples)
            item["unavailable"] = {k: v for k, v in row.unavailable.items() if formatting.is_unavailable(row, k)}
            item["missing"] = {k: formatting.missing_text(row, k) for k in value_keys
                               if row.get(k) is None and (k in row.values or k in row.scores)}  # fmt: skip
            data.append(item)
        return json.dumps(data, indent=2, default=str) + "\n"
    keys = list(results.BASE_KEYS)
    for key in value_keys:
        keys.append(key)
        if not key.endswith("@" + results.RATING_BACKEND):
            keys.extend(key + suffix for suffix in EXPORT_SUFFIXES)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        flat = row.to_dict()
        out = {k: ("" if flat.get(k) is None else flat.get(k)) for k in results.BASE_KEYS}
        for key in value_keys:
            value = row.get(key)
            out[key] = formatting.missing_text(row, key) if value is None else value
            out[key + ":n"] = row.n_samples.get(key, "")
            out[key + ":unavailable"] = row.unavailable[key] if formatting.is_unavailable(row, key) else ""
        writer.writerow(out)
    return buf.getvalue()


def run_export(args: argparse.Namespace) -> int:
    from cgan_tui import results

    preset, weights = _score_args(args)
    store = _open(args)
    try:
        rows = results.load_results(store, _registries(args), preset=preset, weights=weights)
    finally:
        store.dispose()
    text = export_rows(rows, args.format)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise UserError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        print(f"wrote {len(rows)} rows to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


# ----------------------------------------------------------------------------------------- weights


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def run_weights(args: argparse.Namespace) -> int:
    from rich.table import Table

    from cgan_tui.gan import weights

    table = Table(header_style="bold", show_lines=True)
    for title in ("name", "used by", "status", "size", "where looked"):
        table.add_column(title, overflow="fold")
    for st in weights.all_status():
        where = "\n".join(("→ " if p == st.path else "  ") + str(p) for p in st.looked_in)
        status = st.status if st.found else f"missing: {st.spec.how_to_get}"
        table.add_row(st.spec.name, st.spec.used_by, status, _size(st.size), where)
    _console().print(table)
    return 0


def run_weights_fetch(args: argparse.Namespace) -> int:
    from cgan_tui.gan import weights_fetch as wf

    if args.names and args.all:
        raise UserError("give weight names or --all, not both")
    if args.timeout is not None and not args.timeout > 0:
        raise UserError(f"--timeout must be a number of seconds > 0 (got {args.timeout:g})")
    names = wf.resolve_names(args.names, args.all)
    mirror = args.mirror or wf.mirror_from_env()
    return wf.run_fetch(names, mirror=mirror, timeout=args.timeout or wf.DEFAULT_TIMEOUT)


def run_weights_import(args: argparse.Namespace) -> int:
    from cgan_tui.gan import weights

    dest = weights.import_weight(args.name, args.path)
    print(f"imported {args.name}: {dest}")
    return 0


def run_train_classifier(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cgan_tui.gan import classifier
    from cgan_tui.gan.backbones import short_sha256
    from cgan_tui.gan.device import pick_device

    if args.epochs is not None and args.epochs < 1:
        raise UserError(f"--epochs must be >= 1 (got {args.epochs})")
    device = pick_device(args.device)
    epochs = args.epochs or classifier.DEFAULT_EPOCHS
    out = Path(args.out).expanduser() if args.out else None
    print(f"training the Fashion-MNIST classifier on {device} ({epochs} epochs, seed {args.seed}) ...", flush=True)
    info = classifier.train_classifier(
        args.data_dir, epochs=epochs, seed=args.seed, device=device, out=out,
        on_epoch=lambda e, loss: print(f"  epoch {e}/{epochs}: loss {loss:.4f}", flush=True),
    )  # fmt: skip
    from cgan_tui.gan import weights

    path = out or weights.CLASSIFIER.install_path()
    shipped = classifier.read_info(weights.CLASSIFIER.candidates()[-1])
    same = " (same file as the shipped one)" if shipped and shipped.sha256 == info.sha256 else ""
    print(f"test accuracy {info.test_accuracy:.4f} on {info.n_test} images; {info.seconds:.0f} s; "
          f"hash {short_sha256(path)}{same}; saved to {path}")  # fmt: skip
    if out is None:
        print("it now takes precedence over the shipped classifier; delete it to go back", flush=True)
    return 0
