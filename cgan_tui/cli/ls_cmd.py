"""``cgan-tui ls``: the results table, one row per model (run x evaluated epoch); never imports torch."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from cgan_tui.cli.shared import add_score_options, make_console, open_from_args, registries_from_args, score_args
from cgan_tui.errors import UserError
from cgan_tui.formatting import NOT_AVAILABLE as UNAVAILABLE
from cgan_tui.keys import TRAIN_BACKEND
from cgan_tui.safe_text import one_line


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.shared import add_common

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
    ls.add_argument("--filter", default="", metavar="TEXT",
                    help="the app's filter: free text (label/loss/conditioning/status/model/experiment/tags) and "
                         "field:value terms, e.g. 'loss:hinge emb:32 status:completed cond:one-hot seed:1 tag:best'")
    ls.add_argument("--archived", action="store_true", help="list archived runs too (hidden by default; the "
                    "filter archived:yes lists only them)")  # fmt: skip
    ls.add_argument("--loss", help="only this loss")
    ls.add_argument("--status", help="only this run status")
    ls.add_argument("--columns", metavar="A,B", help="columns to show (keys or short names; 'all' for every column, "
                    "whatever the width)")
    ls.add_argument("--width", type=int, metavar="N", help="fit the table to N characters (default: the terminal's "
                    "width; unlimited into a pipe or file)")
    add_score_options(ls)
    ls.add_argument("--aggregate", metavar="BY", help="mean, 95%% CI, std and best per group: setting (one per "
                    "config, seeds pooled), loss, embed_dim, conditioning, ...")
    ls.add_argument("--value", metavar="KEY", help="value aggregated by --aggregate (default: combined, else fid)")
    ls.add_argument("--limit", type=int, help="show at most N rows")
    add_common(ls)
    ls.set_defaults(func=run_ls)


def resolve_key(name: str, keys: Sequence[str], backend: str | None = None, note: str = "") -> str:
    """A column key from a short name: ``fid`` -> ``fid@inception`` (or ``--backend``'s), exact keys pass.

    ``note``: ``Registries.note``, naming the plugins not loaded (the column may be theirs)."""
    from cgan_tui import results

    if name in keys or name in results.BASE_KEYS:
        return name
    matches = [k for k in keys if k.partition("@")[0] == name]
    if backend:
        preferred = [k for k in matches if k.endswith("@" + backend)]
        if preferred:
            return preferred[0]
    if matches:
        order = {b: i for i, b in enumerate(results.SCORE_BACKEND_PREFERENCE)}  # the one home of the score backends
        return sorted(matches, key=lambda k: (order.get(k.partition("@")[2], 5), k))[0]
    valid = sorted(set(results.BASE_KEYS) | {k.partition("@")[0] for k in keys} | set(keys))
    raise UserError(f"unknown column {name!r}; valid: {', '.join(valid)}{note}")


def parse_sort(spec: str | None, keys: Sequence[str], backend: str | None, desc: bool,
               note: str = "") -> list[tuple[str, bool]]:
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
        out.append((resolve_key(part, keys, backend, note), descending))
    return out


def _default_columns(cols, backend: str | None, registries=None) -> list:
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
        if results.hidden_by_default(c.key, registries):  # shown with --columns all (or by name), as the TUI's k shows them
            continue
        if backend and b not in (backend, *results.SHARED_BACKENDS, TRAIN_BACKEND):
            continue
        if backend and b in results.SHARED_BACKENDS and f"{name}@{backend}" in keys:
            continue
        shown.append(c)
    return base + shown


def run_ls(args: argparse.Namespace) -> int:
    from rich.table import Table

    from cgan_tui import results
    from cgan_tui.cli import ls_view
    from cgan_tui.results.filtering import no_match_line, parse_filter

    preset, weights = score_args(args)
    registries = registries_from_args(args)
    _check_ls_args(args, registries)
    store = open_from_args(args)
    try:
        rows = results.load_results(store, registries, preset=preset, weights=weights)
    finally:
        store.dispose()
    cols = results.columns_for(rows, registries)
    present = {c.key for c in cols}
    # registered keys count as valid even before any row has a value (queued runs only)
    keys = [c.key for c in cols] + [k for k in results.known_keys(registries) if k not in present]
    text, equals = parse_filter(args.filter or "")  # the app's filter language (results.filtering)
    equals.update({k: v for k, v in (("loss", args.loss), ("status", args.status)) if v})
    if args.archived:
        equals.setdefault("archived", "all")
    in_database = len(rows)
    in_archive = results.archived_hidden(rows, text, **equals)
    rows = results.filter_rows(rows, text, **equals)
    backend = args.backend or results.default_backend(rows)
    if args.aggregate:
        return _print_aggregate(rows, keys, args, registries, backend)
    sort = parse_sort(args.sort, keys, backend, args.desc, registries.note)
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
        wanted = [resolve_key(p.strip(), keys, backend, registries.note) for p in args.columns.split(",") if p.strip()]
        chosen = [by_key.get(k) or (results.Column(k, k, None, "text") if k in results.BASE_KEYS
                                    else results.column_for(k, registries)) for k in wanted]  # fmt: skip
    else:
        chosen = _default_columns(cols, backend, registries)
        by_key = {c.key: c for c in cols}
        chosen += [by_key[k] for k, _ in sort if k in by_key and by_key[k] not in chosen]  # the sort key shows
    console = make_console(args.width)
    if not rows:
        if in_database:
            asked = " ".join(x for x in (args.filter, args.loss and f"--loss {args.loss}",
                                         args.status and f"--status {args.status}") if x)  # fmt: skip
            console.print(no_match_line(asked, in_database, in_archive, "--archived"), markup=False, highlight=False)
        else:
            console.print("no models yet: train with `cgan-tui train ...` or enqueue with `cgan-tui queue add ...`",
                          markup=False, highlight=False)  # fmt: skip
        return 0
    console.print(_backend_line(backend, args.backend is not None), highlight=False, markup=False)
    grid = ls_view.cells(rows, chosen)
    within = ls_view.mark_within_error(rows, chosen, grid, sort[0][0]) if args.sort else None  # ranked neighbours
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
    if within:
        console.print(within, highlight=False, markup=False)
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
        valid = ", ".join(backends) or "none (no metrics loaded)"
        raise UserError(f"unknown backend {args.backend!r}; valid: {valid}{registries.note}")


def _print_aggregate(rows, keys: Sequence[str], args: argparse.Namespace, registries, backend: str | None = None) -> int:
    from rich.table import Table

    from cgan_tui import results

    note = registries.note
    by = results.SETTING if args.aggregate == results.SETTING else resolve_key(args.aggregate, keys, note=note)
    if args.value:
        value_key = resolve_key(args.value, keys, backend, note)
    else:
        candidates = [k for k in keys if k.startswith("combined@")] or [k for k in keys if k.startswith("fid@")]
        preferred = [k for k in candidates if backend and k.endswith("@" + backend)]
        value_key = (preferred or candidates or ["g_loss@train"])[0]
    from cgan_tui.formatting import compact_n
    from cgan_tui.results import sample_n

    table = Table(title=f"{value_key} by {by}", header_style="bold")
    for title in (by, "at n", "models", "runs", "mean", "± 95% CI", "std", "best"):
        table.add_column(title, justify="left" if title == by else "right")
    for agg in results.aggregate(rows, by, value_key, registries=registries):  # plugins' directions pick best
        ci = f"± {results.format_value(agg.ci, value_key)}" if agg.ci is not None else results.MISSING
        table.add_row(one_line(agg.group), compact_n(agg.sample_n) if agg.sample_n else results.MISSING, str(agg.n),
                      str(agg.runs), results.format_value(agg.mean, value_key), ci,
                      *(results.format_value(v, value_key) for v in (agg.std, agg.best)))  # fmt: skip
    console = make_console()
    console.print(table)
    console.print("95% CI: Student-t interval of the mean where a group holds one value from each of >= 2 runs "
                  "(— otherwise: epochs of one run are not independent); --aggregate setting groups the seeds "
                  "of one config", highlight=False, soft_wrap=True)  # fmt: skip
    mixed = sample_n.mixed_n_message(rows, value_key)
    if mixed:
        console.print(mixed, highlight=False, soft_wrap=True)
    if by == results.SETTING:
        _print_setting_tests(console, rows, value_key)
    return 0


def _print_setting_tests(console, rows, value_key: str) -> None:
    """Every testable pair of settings (``stats.setting_tests``, the report's test): seeds per side, Welch's p,
    its Holm adjustment across the pairs shown and Hedges' g; the caption names the evidence."""
    from rich.table import Table
    from rich.text import Text

    from cgan_tui import stats

    pairs = stats.setting_tests(rows, value_key)
    if pairs:
        table = Table(title=f"pairs of settings on {value_key}", header_style="bold")
        for i, title in enumerate(stats.PAIR_HEADERS):
            table.add_column(title, justify="left" if i < 2 else "right")
        for pair in pairs:
            texts = stats.pair_texts(pair)
            table.add_row(*(Text(one_line(t)) for t in texts))  # names as text, never markup
        console.print(table)
    console.print(stats.pairs_caption(value_key, pairs), highlight=False, markup=False, soft_wrap=True)
