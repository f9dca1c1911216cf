"""Sample count n as part of a value's identity: FID/KID/IS/LPIPS taken at different n are not comparable.

FID in particular is strongly biased by n (fewer samples, higher FID), so the results never rank or
average values of one column taken at different n as if they were one measurement:

* the *reference n* of a column is the n most models have a value at (ties: the larger n);
* a model evaluated at several n shows its values at the table's reference n (the n most models have
  FID at) when it has them, else at its largest n;
* sorting puts the models at the reference n first (in order), then the others (marked ``*``, grouped
  by n), then the missing ones;
* scores inherit n from their inputs and are computed only from inputs of one n;
* aggregates are grouped by (group, n).

Torch-free; used by ``cgan_tui.results`` and the CLI/TUI views.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from cgan_tui.keys import TRAIN_BACKEND

if TYPE_CHECKING:
    from cgan_tui.results.rows import ResultRow
    from cgan_tui.store.db import Store


def most_common_n(counts: Mapping[int, int]) -> int | None:
    """The n with the most models; ties go to the larger n (more samples, less bias)."""
    if not counts:
        return None
    return max(counts, key=lambda n: (counts[n], n))


def reference_n(rows: Iterable[ResultRow], key: str) -> int | None:
    """The n most rows with a value for ``key`` have; None when the column has no n (losses, ratings)."""
    counts: Counter[int] = Counter()
    for row in rows:
        n = row.n_samples.get(key)
        if n and row.get(key) is not None:
            counts[n] += 1
    return most_common_n(counts)


def reference_ns(rows: Sequence[ResultRow], keys: Iterable[str]) -> dict[str, int | None]:
    return {key: reference_n(rows, key) for key in keys}


Candidates = dict[int, tuple[float | None, str | None]]
"""n -> (value, unavailable reason) of one (model, value key)."""


def table_reference(per_model: Iterable[Mapping[tuple[str, str], Candidates]]) -> int | None:
    """The n most models have their FID at (any backend), else the n most models have any value at:
    the table's reference n, which a model evaluated at several n shows (when it has values at it)."""
    fid: Counter[int] = Counter()
    other: Counter[int] = Counter()
    for slot in per_model:
        fid_ns = {n for (name, _b), by_n in slot.items() if name == "fid" for n, v in by_n.items() if v[0] is not None}
        all_ns = {n for by_n in slot.values() for n, v in by_n.items() if v[0] is not None}
        fid.update(n for n in fid_ns if n)
        other.update(n for n in all_ns if n)
    return most_common_n(fid) or most_common_n(other)


def model_n(slot: Mapping[tuple[str, str], Candidates], reference: int | None) -> int | None:
    """The n one model shows: the table's reference n when it has any value there, else its largest."""
    ns = {n for by_n in slot.values() for n, v in by_n.items() if v[0] is not None and n}
    if reference in ns:
        return reference
    return max(ns) if ns else None


def choose(by_n: Candidates, preferred: int | None) -> tuple[int, float | None, str | None]:
    """The (n, value, reason) a model shows for one key: the present value at the model's n (so its
    values and scores stay at one n), else the present value at the largest n, else the largest n's
    reason."""
    present = {n: v for n, v in by_n.items() if v[0] is not None}
    if preferred is not None and preferred in present:
        n = preferred
    elif present:
        n = max(present)
    else:
        n = max(by_n)
    value, reason = by_n[n]
    return n, value, reason


def order_present(pairs: list[tuple[Any, ResultRow]], key: str, descending: bool) -> list[ResultRow]:
    """Sort (sort value, row) pairs: rows at the column's reference n first, then each other n
    (larger n first), each block in value order."""
    counts: Counter[int] = Counter(r.n_samples.get(key) or 0 for _, r in pairs)
    counts.pop(0, None)
    reference = most_common_n(counts)
    blocks: dict[int, list[tuple[Any, ResultRow]]] = {}
    for pair in pairs:
        blocks.setdefault(pair[1].n_samples.get(key) or 0, []).append(pair)
    order = sorted(blocks, key=lambda n: (n != reference, -n))
    out: list[ResultRow] = []
    for n in order:
        block = blocks[n]
        try:
            block.sort(key=lambda p: p[0], reverse=descending)
        except TypeError:  # mixed types in one column: compare as text
            block.sort(key=lambda p: str(p[0]), reverse=descending)
        out.extend(r for _, r in block)
    return out


def inputs_n(
    needs: Sequence[str], view_keys: Mapping[str, str], n_samples: Mapping[str, int]
) -> tuple[int | None, str | None]:
    """(common n of a score's inputs, reason they conflict): ``view_keys`` maps a bare input name to
    the key it came from (``fid`` -> ``fid@inception``); inputs without n (ratings) do not count."""
    seen: dict[str, int] = {}
    for need in needs:
        key = view_keys.get(need)
        n = n_samples.get(key) if key else None
        if n:
            seen[key] = n  # type: ignore[index]
    if len(set(seen.values())) > 1:
        parts = ", ".join(f"{k} n={n}" for k, n in seen.items())
        return None, f"inputs taken at different sample counts ({parts}); evaluate them at one n"
    return (next(iter(seen.values())) if seen else None), None


def aggregate_groups(rows: Iterable[ResultRow], by: str, value_key: str) -> dict[tuple[Any, int | None], list[float]]:
    """Values of ``value_key`` per (group, n): values at different n are never pooled. A group whose
    rows all miss the value appears once with n None and no values."""
    import math

    groups: dict[tuple[Any, int | None], list[float]] = {}
    empty: list[Any] = []
    for row in rows:
        group = row.get(by)
        value = row.get(value_key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            groups.setdefault((group, row.n_samples.get(value_key) or None), []).append(float(value))
        else:
            empty.append(group)
    have = {g for g, _ in groups}
    for group in empty:
        if group not in have:
            groups.setdefault((group, None), [])
    return groups


def mixed_n_message(rows: Iterable[ResultRow], value_key: str) -> str | None:
    """One line when ``value_key`` was taken at several n among ``rows`` (None when one n or none)."""
    ns = sorted({row.n_samples.get(value_key) for row in rows if row.get(value_key) is not None} - {None, 0})
    if len(ns) < 2:
        return None
    listed = ", ".join(map(str, ns))
    return f"{value_key} was taken at n = {listed}: groups are split by n (values at different n are not comparable)"


def table_n(store: Store) -> int | None:
    """The sample count most evaluated models in the database have their FID at (else any non-training
    value at): what a user-started evaluation defaults to, so that it stays comparable."""
    from sqlalchemy import select

    from cgan_tui.store.queries import read
    from cgan_tui.store.tables import MetricValue

    def fetch(session) -> list:
        return session.connection().execute(
            select(MetricValue.run_id, MetricValue.epoch, MetricValue.n_samples, MetricValue.name == "fid")
            .where(MetricValue.backend != TRAIN_BACKEND, MetricValue.n_samples > 0, MetricValue.value.is_not(None))
            .distinct()
        ).all()

    fid: dict[int, set] = {}
    other: dict[int, set] = {}
    for run_id, epoch, n, is_fid in read(store, fetch):
        (fid if is_fid else other).setdefault(int(n), set()).add((run_id, epoch))
        other.setdefault(int(n), set()).add((run_id, epoch))
    counts = fid or other  # FID is the headline value: its n decides when there is one
    return most_common_n({n: len(models) for n, models in counts.items()})


def metric_series(metrics: list) -> dict[str, dict[int, float]]:
    """MetricValue rows -> key (name@backend) -> epoch -> value, training stats excluded, and for a
    versioned backend (the classifier) only values of the network in use now. One curve is one sample
    count: the n that covers the most epochs (ties: the larger), as values at different n are not
    comparable (``cgan_tui.results.sample_n``)."""
    from cgan_tui.gan import backbones

    current = backbones.current_all()
    by_n: dict[str, dict[int, dict[int, float]]] = {}
    for row in metrics:
        if row.backend == TRAIN_BACKEND or row.value is None:
            continue
        if row.backend in current and (getattr(row, "backbone", "") or "") != current[row.backend]:
            continue
        key = f"{row.name}@{row.backend}"
        by_n.setdefault(key, {}).setdefault(row.n_samples, {})[row.epoch] = float(row.value)
    out: dict[str, dict[int, float]] = {}
    for key, curves in by_n.items():
        n = max(curves, key=lambda k: (len(curves[k]), k))
        out[key] = curves[n]
    return out
