"""How numbers and missing values are written, everywhere (CLI tables, TUI, exports): one home.

Two kinds of missing value, never confused:

* ``n/a`` (``NOT_AVAILABLE``): cannot be computed here; the stored reason says why (weights missing,
  n too small, a score whose inputs were taken at different n).
* ``—`` (``NOT_YET``): not computed yet (no evaluation at that epoch, a score waiting for ratings).

A value with a sample count is written with its n after a middle dot: ``352.94·1k``. A value taken at
another n than most models of that column (see ``cgan_tui.results.sample_n``) also gets ``OTHER_N_MARK``.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from cgan_tui.run_config import AUTO_LOG_EVERY, AUTO_POINTS

NOT_AVAILABLE = "n/a"
NOT_YET = "—"
N_SEPARATOR = "·"
OTHER_N_MARK = "*"
OTHER_N_NOTE = f"{OTHER_N_MARK} taken at another sample count n than most models: sorted after them, not comparable"


class RowLike(Protocol):
    values: dict[str, float | None]
    scores: dict[str, float | None]
    unavailable: dict[str, str]
    n_samples: dict[str, int]
    pending: set[str]

    def get(self, key: str) -> Any: ...


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 run``, ``2 runs``, ``0 models``: the one place a number meets its noun."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def format_eta(seconds: float | None) -> str:
    """Time left as ``12:04`` or ``1:02:03`` (h:mm:ss); ``—`` when unknown. The CLI and the TUI both write it."""
    if seconds is None:
        return NOT_YET
    hours, rest = divmod(int(round(max(seconds, 0.0))), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def compact_n(n: int) -> str:
    """1000 -> ``1k``, 1500 -> ``1.5k``, 10000 -> ``10k``, 50000 -> ``50k``, 17 -> ``17``."""
    if n >= 1_000_000 and n % 100_000 == 0:
        return f"{n / 1_000_000:g}M"
    if n >= 1000 and n % 100 == 0:
        return f"{n / 1000:g}k"
    return str(n)


def is_unavailable(row: RowLike, key: str) -> bool:
    """True when ``key`` is missing *with a stored reason* (n/a), not merely not computed yet."""
    if row.get(key) is not None or key in row.pending or not row.unavailable.get(key):
        return False
    return key in row.values or key in row.scores


def missing_text(row: RowLike, key: str) -> str:
    """``n/a`` for a value that cannot be computed here, ``—`` for one not computed yet."""
    return NOT_AVAILABLE if is_unavailable(row, key) else NOT_YET


def value_n(row: RowLike, key: str) -> int | None:
    """The sample count a value (or score) was taken at; None for values without one (losses, ratings)."""
    n = row.n_samples.get(key)
    return n if n else None


def cell_text(row: RowLike, key: str, reference_n: int | None = None, show_n: bool = True) -> str:
    """A table cell: the number with its n (``38.15·1k``), ``*`` when n differs from ``reference_n``;
    ``n/a``/``—`` when missing."""
    value = row.get(key)
    if value is None:
        return missing_text(row, key)
    text = format_number(value, key)
    n = value_n(row, key) if show_n else None
    if n is not None:
        text += N_SEPARATOR + compact_n(n)
        if reference_n is not None and n != reference_n:
            text += OTHER_N_MARK
    return text


COUNT_VALUES = {"mode_collapse"}
"""Values that are counts (stored as floats): shown without decimals."""


def format_number(value: Any, key: str = "") -> str:
    """Human text for a number with sensible precision; None as ``—`` (use ``cell_text`` for rows)."""
    if value is None:
        return NOT_YET
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if key.partition("@")[0] in COUNT_VALUES and value.is_integer():
            return str(int(value))
        magnitude = abs(value)
        if magnitude != 0 and magnitude < 0.01:
            return f"{value:.2e}"
        if magnitude < 10:
            return f"{value:.3f}"
        return f"{value:.2f}"
    return str(value)


SE_SUFFIX = "_se"
"""A value's bootstrap standard error is stored beside it as ``NAME_se@BACKEND`` (``fid_se@classifier``)."""


def se_key(key: str) -> str:
    """``fid@classifier`` -> ``fid_se@classifier``: where ``key``'s standard error is stored."""
    name, at, backend = key.partition("@")
    return f"{name}{SE_SUFFIX}{at}{backend}"


def error_of(row: RowLike, key: str) -> float | None:
    """The standard error of ``row``'s value of ``key``, only when both are of the same n: a model shown
    at n = 1,000 whose only stored error is of its n = 10,000 value has no error at the n shown."""
    se = se_key(key)
    value_n, error_n = row.n_samples.get(key), row.n_samples.get(se)
    return row.get(se) if value_n is not None and value_n == error_n else None


def format_with_error(value: float, se: float | None, key: str = "") -> str:
    """``38.2±0.4``: the standard error to one significant digit (two when it starts with 1), the value
    to the same decimal place; the value alone (``format_number``) when there is no finite error."""
    if se is None or not math.isfinite(se) or se <= 0 or not math.isfinite(value):
        return format_number(value, key)
    exponent = math.floor(math.log10(se))
    digits = 2 if f"{se:e}".startswith("1") else 1
    decimals = digits - 1 - exponent
    if decimals > 6:  # tiny values (KID ~ 1e-3 with error 1e-5): scientific, one shared exponent
        scale = math.floor(math.log10(abs(value))) if value else exponent
        v, s = value / 10**scale, se / 10**scale
        d = max(0, digits - 1 - math.floor(math.log10(s)))
        return f"({v:.{d}f}±{s:.{d}f})e{scale}"
    places = max(decimals, 0)
    return f"{value:.{places}f}±{se:.{places}f}"


def step_window_note(log_every: Any, every: int | None) -> str:
    """How a run's step-level losses are recorded, as ``show`` and the run detail say it: the K its
    epochs used (``every``, stored per epoch; None before any) and what ``log_every`` asked for, so
    ``auto`` is never shown without the K it chose."""
    if log_every == 0:
        return "step losses: not recorded (log_every 0: per-epoch values only)"
    auto = f": K = ceil(steps per epoch / {AUTO_POINTS})" if log_every == AUTO_LOG_EVERY else ""
    asked = f"log_every {log_every}{auto}"
    if not every:
        return f"step losses: none recorded ({asked})"
    return f"step losses: mean of every {every} step{'' if every == 1 else 's'} ({asked})"
