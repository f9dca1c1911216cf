"""``cgan-tui export``: the results rows as CSV or JSON, with each value's n and n/a reason, or the paper's
tables as LaTeX (``report.latex``: models and settings with mean ± CI, best in bold, significance marks)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys

from cgan_tui.cli.shared import add_score_options, open_from_args, registries_from_args, score_args
from cgan_tui.errors import UserError
from cgan_tui.formatting import count


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.shared import add_common

    export = subparsers.add_parser("export", help="write the results rows as CSV or JSON, or the tables as LaTeX")
    export.add_argument("--format", choices=("csv", "json", "latex"), default="csv",
                        help="csv/json: every row and value; latex: models table per backend, settings table "
                             "(mean ± 95%% CI over seeds) and its pairs (Welch, Holm, Hedges' g), booktabs")  # fmt: skip
    export.add_argument("--backend", help="latex: the backend the settings table tests on (default: the results "
                                          "view's, the first with a combined score)")  # fmt: skip
    export.add_argument("-o", "--output", metavar="FILE", help="file to write (default: stdout)")
    add_score_options(export)
    add_common(export)
    export.set_defaults(func=run_export)


EXPORT_SUFFIXES = (":n", ":unavailable")
"""CSV columns next to each value/score ``KEY``: ``KEY:n`` (its sample count) and ``KEY:unavailable``."""


def export_rows(rows, fmt: str) -> str:
    """Results rows as CSV or JSON, both with every value's n and the reason a value is n/a.

    CSV: base columns, then for each value or score ``KEY``: ``KEY`` (the number, ``n/a`` when it
    cannot be computed here, ``—`` when not computed yet), ``KEY:n`` and ``KEY:unavailable`` (the
    reason when n/a); ratings have only ``KEY``; a value with a bootstrap standard error (its
    ``NAME_se@BACKEND`` column) also gets ``KEY:with_se``, the text ``38.2±0.4``. JSON: one object per
    row with the same values (null when missing), ``n_samples``, ``unavailable``, ``missing`` (key ->
    ``n/a`` or ``—``) and ``with_se`` (key -> ``38.2±0.4``).
    """
    from cgan_tui import formatting, results

    cols = results.columns_for(rows)
    value_keys = [c.key for c in cols if c.key not in results.BASE_KEYS]
    with_se = {k for k in value_keys if formatting.se_key(k) in value_keys}
    if fmt == "json":
        data = []
        for row in rows:
            item = row.to_dict()
            item["n_samples"] = dict(row.n_samples)
            item["unavailable"] = {k: v for k, v in row.unavailable.items() if formatting.is_unavailable(row, k)}
            item["missing"] = {k: formatting.missing_text(row, k) for k in value_keys
                               if row.get(k) is None and (k in row.values or k in row.scores)}  # fmt: skip
            item["with_se"] = {k: _with_se(row, k) for k in sorted(with_se) if _with_se(row, k)}
            data.append(item)
        return json.dumps(data, indent=2, default=str) + "\n"
    keys = list(results.BASE_KEYS)
    for key in value_keys:
        keys.append(key)
        if not key.endswith("@" + results.RATING_BACKEND):
            keys.extend(key + suffix for suffix in EXPORT_SUFFIXES)
        if key in with_se:
            keys.append(key + ":with_se")
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
            if key in with_se:
                out[key + ":with_se"] = _with_se(row, key)
        writer.writerow(out)
    return buf.getvalue()


def _with_se(row, key: str) -> str:
    """``38.2±0.4`` for a value with a standard error, "" when either is missing."""
    from cgan_tui import formatting

    value, se = row.get(key), formatting.error_of(row, key)
    return "" if value is None or se is None else formatting.format_with_error(value, se, key)


def run_export(args: argparse.Namespace) -> int:
    from cgan_tui import results

    preset, weights = score_args(args)
    registries = registries_from_args(args)
    backends = sorted({m.backend for m in registries.metrics})
    if args.backend and args.backend not in backends:
        raise UserError(f"unknown backend {args.backend!r}; valid: {', '.join(backends)}")
    store = open_from_args(args)
    try:
        rows = results.load_results(store, registries, preset=preset, weights=weights)
    finally:
        store.dispose()
    if args.format == "latex":
        from cgan_tui.report.latex import export_latex

        text = export_latex(rows, results.directions(registries), args.backend)
    else:
        text = export_rows(rows, args.format)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as exc:
            raise UserError(f"cannot write {args.output}: {exc.strerror or exc}") from None
        what = f"the tables of {count(len(rows), 'model')}" if args.format == "latex" else count(len(rows), "row")
        print(f"wrote {what} to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
