"""What ``cgan-tui ls`` prints: cells with n, a column set that fits the terminal, each note once.

Torch-free. The column choice keeps the columns a reader needs to read the ranking (run, label, the
sort keys, the combined score, status) and adds the others while they fit; hidden ones are named in
one line (``--columns all`` shows every column, e.g. on a wide screen or into a pipe).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from cgan_tui import formatting
from cgan_tui.results import sample_n
from cgan_tui.safe_text import one_line

if TYPE_CHECKING:
    from cgan_tui.results import Column, ResultRow

CELL_OVERHEAD = 3
"""Rich's default table: one space of padding either side and one border per column."""
ARROWS = {"lower": " ↓", "higher": " ↑"}


def header(col: Column) -> str:
    return one_line(col.title) + ARROWS.get(col.better or "", "")


def cells(rows: Sequence[ResultRow], cols: Sequence[Column]) -> list[list[str]]:
    """Every cell's text: values with their n, ``*`` when taken at another n than the column's reference."""
    refs = sample_n.reference_ns(rows, [c.key for c in cols])
    return [[_cell(row, c.key, refs.get(c.key)) for c in cols] for row in rows]


def _cell(row: ResultRow, key: str, reference: int | None) -> str:
    from cgan_tui.results import BASE_KEYS

    if key in BASE_KEYS:
        value = row.get(key)
        return formatting.NOT_YET if value is None else one_line(value)  # names from users: one line each
    return formatting.cell_text(row, key, reference)


def fit_columns(
    cols: Sequence[Column], grid: Sequence[Sequence[str]], width: int, keep: Iterable[str]
) -> tuple[list[int], list[Column]]:
    """(indices of the columns shown, columns hidden) so that the table fits ``width`` characters:
    the ``keep`` keys first (in that order), then values and scores left to right, then the other base
    columns (the label already names loss, conditioning and epoch) while they fit; shown columns keep
    their table order and are never narrowed."""
    from cgan_tui.results import BASE_KEYS

    need = [max([len(header(c)), *(len(r[i]) for r in grid)]) + CELL_OVERHEAD for i, c in enumerate(cols)]
    index = {c.key: i for i, c in enumerate(cols)}
    order = [index[k] for k in dict.fromkeys(keep) if k in index]
    order += [i for i in range(len(cols)) if i not in order and cols[i].key not in BASE_KEYS]
    order += [i for i in range(len(cols)) if i not in order]
    used, shown = 1, []
    for i in order:
        if used + need[i] <= width or not shown:
            shown.append(i)
            used += need[i]
    hidden = [cols[i] for i in range(len(cols)) if i not in shown]
    return sorted(shown), hidden


def notes(
    rows: Sequence[ResultRow], cols: Sequence[Column], grid: Sequence[Sequence[str]], *, scores: bool = True
) -> list[str]:
    """Lines under the table: each distinct reason a shown value is n/a once (with every key it
    explains), each distinct reason a shown score is not computed yet once, and the ``*`` legend.
    ``scores=False`` leaves scores out (``ls`` explains a missing score in one short hint line instead)."""
    keys = [c.key for c in cols]
    unavailable: dict[str, list[str]] = {}
    pending: dict[str, tuple[list[str], str]] = {}
    for row in rows:
        for key in keys:
            if row.get(key) is not None or key not in row.unavailable or (not scores and key in row.scores):
                continue
            reason = row.unavailable[key]
            if formatting.is_unavailable(row, key):
                bucket = unavailable.setdefault(reason, [])
                if key not in bucket:
                    bucket.append(key)
            elif key in row.scores:
                found = pending.setdefault(reason, ([], row.label))
                if key not in found[0]:
                    found[0].append(key)
    lines = [f"{formatting.NOT_AVAILABLE} {', '.join(k)}: {reason}" for reason, k in unavailable.items()]
    lines += [f"{formatting.NOT_YET} {', '.join(k)} (e.g. {label}): {reason}" for reason, (k, label) in pending.items()]
    if any(cell.endswith(formatting.OTHER_N_MARK) for r in grid for cell in r):
        refs = sample_n.reference_ns(rows, keys)
        shown = ", ".join(f"{k} n={n}" for k, n in refs.items() if n)
        lines.append(f"{formatting.OTHER_N_NOTE} (most models: {shown})")
    return lines


WITHIN_ERROR_MARK = "≈"


def within_error_of_above(rows: Sequence[ResultRow], key: str) -> list[int]:
    """Indices of rows (in their sort order) whose ``key`` lies within the bootstrap error of the row just
    above: both have a value and its standard error (``formatting.se_key``), at the same n, and
    ``|a - b| <= se_a + se_b`` (their ±1 SE bars overlap): the sort order between them is not resolved."""
    import math

    out = []
    for i in range(1, len(rows)):
        above, row = rows[i - 1], rows[i]
        a, b, sa, sb = above.get(key), row.get(key), formatting.error_of(above, key), formatting.error_of(row, key)
        if None in (a, b, sa, sb) or above.n_samples.get(key) != row.n_samples.get(key):
            continue
        if all(math.isfinite(float(v)) for v in (a, b, sa, sb)) and abs(float(a) - float(b)) <= float(sa) + float(sb):
            out.append(i)
    return out


def mark_within_error(
    rows: Sequence[ResultRow], cols: Sequence[Column], grid: list[list[str]], key: str
) -> str | None:
    """Put ``WITHIN_ERROR_MARK`` before ``key``'s value of each row within error of the row above (in
    ``grid``, in place); returns the legend line, or None when no row is marked or ``key`` is not shown."""
    index = next((i for i, c in enumerate(cols) if c.key == key), None)
    marked = within_error_of_above(rows, key) if index is not None else []
    for i in marked:
        grid[i][index] = WITHIN_ERROR_MARK + grid[i][index]  # type: ignore[index]
    if not marked:
        return None
    return (f"{WITHIN_ERROR_MARK} {key} within the bootstrap error of the model just above: |difference| <= the sum "
            f"of their standard errors ({formatting.se_key(key)}), so their order is not resolved at this n")  # fmt: skip
