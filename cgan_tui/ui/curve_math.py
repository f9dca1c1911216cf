"""What a chart shows, as pure functions: EMA smoothing, the log-scale check, y ticks, the one-line
summary a chart gives when it has no room and the curves compare can overlay. The ``Curves`` widget draws their results; tests call them."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

SMOOTHING: tuple[float, ...] = (0.0, 0.6, 0.9, 0.99)
"""The EMA weights the smoothing key cycles through (0: off)."""
MIN_ROWS, MIN_COLUMNS = 8, 30
"""Below this a chart is unreadable (plotext draws too few y rows to place its ticks right, and at one
row it labels the axis upside down): the widget shows ``summary_line`` instead."""


def ema(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with TensorBoard's start-up debiasing (the first points are not pulled
    towards 0); ``weight`` 0 returns the values. Non-finite values are passed through and skipped."""
    if weight <= 0:
        return list(values)
    out, state, seen = [], 0.0, 0
    for value in values:
        if not math.isfinite(value):
            out.append(value)
            continue
        seen += 1
        state = weight * state + (1 - weight) * value
        out.append(state / (1 - weight**seen))
    return out


def log_refusal(series: Mapping[str, Sequence[float]]) -> str | None:
    """Why a log y axis cannot show ``series`` (a value at or below 0, as WGAN losses are), else None."""
    bad = sorted(name for name, ys in series.items() if any(math.isfinite(y) and y <= 0 for y in ys))
    if bad:
        return f"log y off: {', '.join(bad)} has values <= 0"
    return None


def smoothing_label(weight: float) -> str:
    return f"EMA {weight:g}" if weight > 0 else ""


def y_ticks(low: float, high: float, rows: int, log: bool = False) -> tuple[list[float], list[str]]:
    """Tick positions (in plotted units: log10 of the value when ``log``) and their labels, low to high,
    about one tick every two rows; the labels are the values themselves (``1e-3`` on a log axis)."""
    count = max(2, min(6, rows // 2))
    if high <= low:
        high = low + (abs(low) or 1.0) * 0.1
    ticks = [low + (high - low) * i / (count - 1) for i in range(count)]
    return ticks, [_number(10**t if log else t) for t in ticks]


def _number(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e4 or magnitude < 1e-2:
        return f"{value:.1e}"
    return f"{value:.3g}" if magnitude < 100 else f"{value:.0f}"


def summary_parts(series: Mapping[str, Sequence[float]]) -> list[str]:
    """``G 1.23 → 0.87 (min 0.8)`` for each series: first → last and the minimum."""
    parts = []
    for name, ys in series.items():
        finite = [y for y in ys if math.isfinite(y)]
        if finite:
            parts.append(f"{name} {_number(finite[0])} → {_number(finite[-1])} (min {_number(min(finite))})")
    return parts


def summary_line(series: Mapping[str, Sequence[float]]) -> str:
    """``G 1.23 → 0.87 (min 0.8) · D 0.45 → 0.61 (min 0.4)``: what a chart with no room shows."""
    return " · ".join(summary_parts(series)) or "no data yet"


def summary_text(title: str, series: Mapping[str, Sequence[float]], width: int, rows: int) -> str:
    """The summary in ``rows`` lines of ``width``: the title, then a line per series when they fit, else
    everything on as few lines as there are (each cut with ``…``)."""
    parts = summary_parts(series) or ["no data yet"]
    if not summary_parts(series) and rows <= 2:
        return _cut(f"{title}: no data yet", width)
    lines = [title, *parts] if len(parts) + 1 <= rows else [f"{title}: {' · '.join(parts)}"] if rows <= 1 else [
        title, " · ".join(parts)]  # fmt: skip
    return "\n".join(_cut(line, width) for line in lines[: max(1, rows)])


def _cut(line: str, width: int) -> str:
    return line if len(line) <= width else line[: max(0, width - 1)] + "…"


def overlays(steps: Mapping[int, Mapping[str, Any]], epochs: Mapping[int, Sequence[Any]], run_ids: Sequence[int],
             models: Iterable[Any] = (), keys: Sequence[str] = ()) -> dict[str, dict[int, tuple[list, list]]]:
    """Title -> run id -> (x in epochs, y): each step-level value (``g_loss per step``, then ``d_loss``; a run without step
    curves falls back to its per-epoch value), then each per-epoch column ``keys`` of the ``models``
    (``ResultRow``: FID, combined, class_acc, ..., the values sorting uses) over the runs' epochs."""
    out: dict[str, dict[int, tuple[list, list]]] = {}
    names = list(dict.fromkeys([*(n for i in run_ids for n in sorted(steps.get(i, {}))),
                                *(("g_loss", "d_loss") if any(epochs.values()) else ())]))  # fmt: skip
    names.sort(key=lambda n: {"g_loss": 0, "d_loss": 1}.get(n, 2))  # G, D first, as run detail orders them
    for name in names:
        by_run: dict[int, tuple[list, list]] = {}
        for i in run_ids:
            curve = steps.get(i, {}).get(name)
            if curve is not None:
                by_run[i] = (list(curve.epochs), list(curve.values))
                continue
            rows = [(e.epoch, e.losses.get(name, getattr(e, name, None))) for e in epochs.get(i, [])]
            points = [(x, y) for x, y in rows if y is not None]
            if points:
                by_run[i] = ([x for x, _ in points], [y for _, y in points])
        if by_run:
            out[f"{name} per {'step' if any(name in steps.get(i, {}) for i in run_ids) else 'epoch'}"] = by_run
    wanted = set(run_ids)
    by_model = sorted((m for m in models if m.run_id in wanted), key=lambda m: (m.run_id, m.epoch))
    for key in keys:
        per_run: dict[int, tuple[list, list]] = {}
        for model in by_model:
            value = model.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                xs, ys = per_run.setdefault(model.run_id, ([], []))
                xs.append(model.epoch)
                ys.append(float(value))
        if per_run:
            out[key] = per_run
    return out
