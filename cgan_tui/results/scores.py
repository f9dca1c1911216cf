"""Scores of a row: per backend, each score plugin's formula over that backend's view of the values.

A backend's view is its own values overlaid on the shared backends' (LPIPS enters both combined
scores). Scores carry the n of their inputs and are computed only from inputs of one n; a missing
score records why (its first missing input) so that tables can say which command fixes it.
"""

from __future__ import annotations

import graphlib
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cgan_tui import scoring
from cgan_tui.results import sample_n
from cgan_tui.results.rows import (
    BACKEND_ORDER,
    OFFLINE_BACKEND,
    SCORE_BACKEND_PREFERENCE,
    SHARED_BACKENDS,
    ResultRow,
)  # fmt: skip

if TYPE_CHECKING:
    from cgan_tui.plugins import Registries


def _ordered_scores(registries: Registries) -> list:
    """Scores in dependency order: one that needs another score's name comes after it.

    Scores whose needs form a cycle keep their registration order (the ones reached before their
    inputs then show as missing, with the reason) rather than failing the whole table."""
    specs = {s.name: s for s in registries.scores}
    graph = {name: [n for n in s.needs if n in specs and n != name] for name, s in specs.items()}
    try:
        return [specs[name] for name in graphlib.TopologicalSorter(graph).static_order()]
    except graphlib.CycleError:
        return list(specs.values())


def _group(row: ResultRow) -> dict[str, dict[str, tuple[str, float | None]]]:
    grouped: dict[str, dict[str, tuple[str, float | None]]] = {}
    for key, value in row.values.items():
        name, _, backend = key.partition("@")
        grouped.setdefault(backend, {})[name] = (key, value)
    return grouped


def score_backends(row: ResultRow, grouped: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Backends that get scores: those with an ``fid`` value (or an unavailable ``fid``) in the row."""
    grouped = _group(row) if grouped is None else grouped
    backends = [b for b, names in grouped.items() if "fid" in names]
    return sorted(backends, key=lambda b: (BACKEND_ORDER.get(b, 5), b))


def backend_view(
    row: ResultRow, backend: str, grouped: Mapping[str, Mapping[str, tuple[str, float | None]]] | None = None
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Bare-name values a score sees for ``backend``: shared backends' values overlaid by its own."""
    grouped = _group(row) if grouped is None else grouped
    view: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    for wanted in (*SHARED_BACKENDS, backend):
        for name, (key, value) in grouped.get(wanted, {}).items():
            view[name] = value
            if value is None:
                reason = row.unavailable.get(key)
                reasons[name] = f"{key} unavailable: {reason}" if reason else f"{key} missing"
    return view, reasons


def _compute_scores(row: ResultRow, specs: list, options: Mapping[str, Any], grouped=None) -> None:
    grouped = _group(row) if grouped is None else grouped
    for backend in score_backends(row, grouped):
        view, reasons = backend_view(row, backend, grouped)
        view_keys = _view_keys(grouped, backend)
        opts = {**options, "backend": backend}
        for spec in specs:
            key = f"{spec.name}@{backend}"
            n, conflict = sample_n.inputs_n(spec.needs, view_keys, row.n_samples)
            if conflict:  # never mix sample counts in one score
                value = None
                row.unavailable[key] = conflict
            else:
                try:
                    value = spec.compute(view, row.ratings, opts)
                except Exception as exc:  # noqa: BLE001 - a broken score plugin must not break the table
                    value = None
                    row.unavailable[key] = f"score '{spec.name}' raised {type(exc).__name__}: {exc}"
            value = None if value is None or (isinstance(value, float) and not math.isfinite(value)) else float(value)
            row.scores[key] = value
            view_keys[spec.name] = key
            if n:
                row.n_samples[key] = n
            view[spec.name] = value
            if value is None:
                if key not in row.unavailable:
                    row.unavailable[key] = _missing_inputs(spec, view, reasons, row.ratings, backend)
                    if _waiting(spec, view, view_keys, row):
                        row.pending.add(key)
                first = _first_missing(spec, view, row.ratings, backend, grouped)
                if first is not None:
                    row.missing_input[key] = first
                reasons[spec.name] = f"{key} missing ({row.unavailable[key]})"


def _view_keys(grouped: Mapping[str, Mapping[str, tuple[str, float | None]]], backend: str) -> dict[str, str]:
    """Bare name -> the key its value came from in ``backend_view`` (own backend over shared ones)."""
    keys: dict[str, str] = {}
    for wanted in (*SHARED_BACKENDS, backend):
        for name, (key, _value) in grouped.get(wanted, {}).items():
            keys[name] = key
    return keys


def _waiting(spec, view: Mapping[str, Any], view_keys: Mapping[str, str], row: ResultRow) -> bool:
    """True when a missing score only waits for inputs not computed yet (none of them is n/a)."""
    waiting = False
    for need in spec.needs:
        if need == "ratings":
            waiting = waiting or bool(scoring.missing_criteria(row.ratings))
            continue
        if view.get(need) is not None:
            continue
        key = view_keys.get(need)
        if key is not None and key in row.unavailable and key not in row.pending:
            return False  # an input cannot be computed here: the score cannot either
        waiting = True
    return waiting


def _first_missing(spec, view, ratings, backend: str, grouped) -> str | None:
    """The key of the first input ``spec`` lacks in ``backend``'s view (own value over shared ones)."""
    for need in spec.needs:
        if need == "ratings":
            if scoring.missing_criteria(ratings):
                return "ratings"
        elif view.get(need) is None:
            owners = [b for b in (*SHARED_BACKENDS, backend) if need in grouped.get(b, {})]
            return f"{need}@{owners[-1] if owners else backend}"
    return None


def _missing_inputs(spec, view, reasons, ratings, backend) -> str:
    parts = []
    for need in spec.needs:
        if need == "ratings":
            missing = scoring.missing_criteria(ratings)
            if missing:
                parts.append("ratings of " + ", ".join(missing))
        elif view.get(need) is None:
            parts.append(reasons.get(need, f"{need}@{backend} not computed yet"))
    return "needs " + "; ".join(parts) if parts else "inputs out of range"


def default_backend(rows: Iterable[ResultRow]) -> str:
    """The score backend a results view opens on: the first of ``SCORE_BACKEND_PREFERENCE`` where
    some model has ``combined``, else the offline backend (where it appears once a run is evaluated)."""
    rows = list(rows)
    for backend in SCORE_BACKEND_PREFERENCE:
        key = f"combined@{backend}"
        if any(r.scores.get(key) is not None for r in rows):
            return backend
    return OFFLINE_BACKEND


def missing_hint(row: ResultRow, key: str) -> str:
    """One short line: why ``key`` is missing for ``row`` (its first missing input) and the command
    that fixes it. Scores are followed down to the value they lack (final -> combined -> is)."""
    asked, seen = key, set()
    while row.scores.get(key, 0.0) is None and key not in seen:
        seen.add(key)
        needs = row.missing_input.get(key)
        if needs is None:
            break
        if needs == "ratings":
            missing = scoring.missing_criteria(row.ratings)
            flag = scoring.rating_flag(missing[0])
            return f"{asked} needs ratings of {', '.join(missing)}: cgan-tui rate {row.run_id} --epoch {row.epoch} {flag} N ..."
        key = needs
    if key == asked:
        return f"{key}: {_value_hint(row, key)}"
    return f"{asked} needs {key}: {_value_hint(row, key)}"


def _value_hint(row: ResultRow, key: str) -> str:
    reason = row.unavailable.get(key) if key in row.values else None
    if not reason:
        return f"not computed yet: cgan-tui eval {row.run_id} --epoch {row.epoch}"
    if "weights" in reason or "pip install" in reason:  # a missing file: the weights listing says how to get it
        short = reason.split(" (", 1)[0].split("; ", 1)[0].rstrip(":. ")
        return f"{short}; `cgan-tui weights` says how to get it"
    return reason if len(reason) <= 140 else reason[:139] + "…"
