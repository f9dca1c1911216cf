"""What the results screen writes around its table: the status line, the backend line, the detail line, the column order
on a narrow terminal. Pure functions of the screen's state (no widgets), so the screen only wires them."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from cgan_tui.formatting import OTHER_N_MARK, compact_n, count, missing_text
from cgan_tui.results import Column, ResultRow, missing_hint
from cgan_tui.results.filtering import ARCHIVED_MARK, SHOW_ARCHIVED
from cgan_tui.safe_text import literal

EMPTY_HINT = (
    "No runs yet. Press 2 for the queue, then n for a new run or g to load a grid "
    "(grids/seed000.toml is the 24-model study), and w to start a local worker."
)


def status_text(*, shown: int, total: int, status_counts: dict[str, int], sort_keys: list[tuple[str, bool]],
                titles: dict[str, str], backend: str, preset: str, weights: tuple[float, float] | None,
                filter_text: str, page: int, pages: int, marked: int, marked_hidden: int = 0,
                archived_hidden: int = 0, archived_shown: int = 0) -> Text:  # fmt: skip
    """``6/6 models │ runs completed:3 │ sort FID ▲ │ backend inception │ preset research …``; archived
    runs' models left out by the filter are counted (``3/4 models · 1 archived hidden: filter archived:all``)."""
    sort = ", ".join(f"{titles.get(k, k)} {'▼' if d else '▲'}" for k, d in sort_keys) or "run id"
    counts = " ".join(f"{k}:{v}" for k, v in sorted(status_counts.items()))
    parts = [
        f"{shown}/{count(total, 'model')}"
        + (f" · {archived_hidden} archived hidden: {SHOW_ARCHIVED}" if archived_hidden else "")
        + (f" · {ARCHIVED_MARK} {archived_shown} archived" if archived_shown else ""),
        f"runs {counts}" if counts else "no runs",
        f"sort {sort}",
        f"backend {backend}",
        f"preset {preset}" + (f" {weights[0]:g}/{weights[1]:g}" if weights else ""),
    ]
    if filter_text:
        parts.append(f"filter '{filter_text}'")
    if pages > 1:
        parts.append(f"page {page + 1}/{pages} ([ ])")
    if marked:
        hidden = f" ({marked_hidden} hidden by the filter, compared too)" if marked_hidden else ""
        parts.append(f"{marked} marked{hidden}")
    return literal(" │ ".join(parts))


def detail_text(row: ResultRow | None, col: Column | None, references: dict[str, int | None]) -> Text | str:
    """The cell under the cursor in words: its value and sample count, or why it is missing."""
    if row is None or col is None:
        return ""
    value = row.get(col.key)
    if col.key in ("run_id", "epoch", "label"):  # the line's start already says it (not "· run: 1")
        return literal(f"run {row.run_id} epoch {row.epoch} ({row.label})")
    where = f"run {row.run_id} epoch {row.epoch} ({row.label}) · {col.title}"
    if value is None and col.kind == "number" and col.key not in ("run_id", "epoch", "embed_dim"):
        return literal(f"{where}: missing ({missing_text(row, col.key)}) — {missing_hint(row, col.key)}")
    n = row.n_samples.get(col.key)
    reference = references.get(col.key)
    extra = f" (n={n})" if n else ""
    if n and reference and n != reference:
        extra += f" {OTHER_N_MARK} most models have n={compact_n(reference)}: not comparable, sorted after them"
    error = f" · error: {row.error}" if row.error and col.key == "status" else ""
    return literal(f"{where}: {value}{extra}{error}")


def narrow_order(columns: list[Column], sort_keys: list[str], backend: str) -> list[Column]:
    """Columns for a narrow terminal: run, label, status, the sort keys and the combined score first
    (run and label stay fixed when scrolling right), then the rest in their usual order."""
    first = ["run_id", "label", "status", *sort_keys, f"combined@{backend}"]
    by_key = {c.key: c for c in columns}
    head = [by_key[k] for k in dict.fromkeys(first) if k in by_key]
    return head + [c for c in columns if c not in head]


def swap_backend(key: str, backend: str, switchable: tuple[str, ...] | list[str] = ()) -> str:
    """A sort key on one score backend's column, moved to the same column of ``backend``: the scores and
    FID/IS always, any value of a backend in ``switchable`` (those ``b`` cycles through) too."""
    name, _, old = key.partition("@")
    if old and (name in ("combined", "final", "fid", "is") or old in switchable):
        return f"{name}@{backend}"
    return key


def move_sort_keys(sort_keys: list[tuple[str, bool]], backend: str, backends: list[str], before: dict[str, str],
                   titles: dict[str, str]) -> tuple[list[tuple[str, bool]], str]:  # fmt: skip
    """The sort keys moved to ``backend`` (``titles``: its columns' key -> title; ``before``: the previous
    backend's), and a line saying what the table sorts by now when a key has no column there ("" if none)."""
    moved = [(swap_backend(k, backend, backends), d) for k, d in sort_keys]
    dropped = [before.get(k, k) for (k, _), (new, _) in zip(sort_keys, moved, strict=True) if new not in titles]
    kept = [(k, d) for k, d in moved if k in titles]
    if not dropped:
        return kept, ""
    now = ", ".join(titles[k] for k, _ in kept) or "run id"
    return kept, f"backend {backend} has no column for {', '.join(dropped)}: sorted by {now} now"


def backend_note(rows: list[ResultRow], backend: str, missing_weights: Callable[[], list[tuple[str, str]]]) -> str:
    """One line when ``backend`` has no values for some of ``rows`` (the models shown): why (weights
    missing, unavailable, never evaluated there) and the commands that fill them; "" when all have some.
    ``missing_weights()``: (name, how to get it) of its files not here, asked only when a model lacks values."""
    suffix = f"@{backend}"
    # a model is a (run, evaluated epoch): one with any value (a queued/running run's evaluated epochs too) counts;
    # only a run with nothing evaluated yet is skipped (its values come as it goes on)
    started = [r for r in rows if r.status not in ("queued", "running") or any(v is not None for v in r.values.values())]
    lacking = [r for r in started if not any(v is not None for k, v in r.values.items() if k.endswith(suffix))]
    if not lacking:
        return ""
    first = lacking[0]
    reason = next((why for r in lacking for k, why in r.unavailable.items() if k.endswith(suffix) and why), "")
    evaluate = f"`cgan-tui eval {first.run_id} --epoch {first.epoch} --metrics {backend}`"
    missing_weights = missing_weights()
    if missing_weights:
        fetch = [name for name, how in missing_weights if how.startswith("`cgan-tui weights fetch ")]
        other = [f"{name}: {how}" for name, how in missing_weights if name not in fetch]
        get = "; ".join([f"`cgan-tui weights fetch {' '.join(fetch)}`"] * bool(fetch) + other)
        why = f"weights missing: {get}, then {evaluate}"
    elif reason:
        short = reason.split(" (", 1)[0].split("; ", 1)[0].rstrip(":. ")
        why = f"unavailable when evaluated ({short}); `cgan-tui weights` says what is missing, then {evaluate}"
    else:
        why = f"never evaluated with {backend}: {evaluate}"
    which = f"no values for the {count(len(rows), 'model')} shown" if len(lacking) == len(rows) else (
        f"no values for {len(lacking)} of the {count(len(rows), 'model')} shown")
    more = " (per model)" if len(lacking) > 1 else ""
    return f"backend {backend}: {which} — {why}{more}"
