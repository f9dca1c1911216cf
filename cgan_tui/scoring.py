"""The seed study's score formulas as plain functions (torch-free, no database).

* ``combined = FID + 10 / max(IS, 0.1) + 10 * LPIPS`` (seed 000, lower is better).
* ``final = w1 * quantitative + w2 * qualitative`` on a 0..100 scale (higher is better), where

  - ``quantitative = 100 * 50 / (50 + combined)``: a fixed, monotone mapping (combined 0 -> 100,
    combined 50 -> 50, combined 150 -> 25). It depends on this model's own value only, so a model's
    final score never moves when unrelated runs are added. The 50 puts the seed study's combined
    scores (47..61) near the middle of the scale, where the ratings' midpoint (3 -> 50) also lies.
  - ``qualitative = (mean rating - 1) / 4 * 100``: ratings 1..5 mapped onto 0..100; the mean is
    taken per criterion over raters, then over the four criteria. All four criteria must be rated.

Presets for (w1, w2): research 0.7/0.3, commercial 0.4/0.6, academic 0.5/0.5; ``custom`` takes
explicit weights (normalised to sum to 1).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from cgan_tui.errors import UserError

RATING_CRITERIA = ("sharpness", "structure", "detail", "class_fit")
"""The human rating criteria, 1..5 each: the one list the store, CLI flags, TUI and report use."""


def rating_flag(criterion: str) -> str:
    """The CLI flag of a criterion: ``class_fit`` -> ``--class-fit``."""
    return "--" + criterion.replace("_", "-")


def rating_flags_usage() -> str:
    """``--sharpness N --structure N --detail N --class-fit N``: how to give every rating."""
    return " ".join(f"{rating_flag(c)} N" for c in RATING_CRITERIA)

QUANT_SCALE = 50.0
"""Combined score that maps to a quantitative score of 50 (see module docstring)."""
IS_FLOOR = 0.1


@dataclass(frozen=True)
class Preset:
    name: str
    w_quantitative: float
    w_qualitative: float
    description: str = ""


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("research", 0.7, 0.3, "quantitative metrics first"),
        Preset("commercial", 0.4, 0.6, "visual quality first"),
        Preset("academic", 0.5, 0.5, "balanced"),
    )
}

DEFAULT_PRESET = "research"
"""The preset every command, the report and the TUI use unless told otherwise."""


class ScoreError(UserError, ValueError):
    """Bad preset name or custom weights."""


def resolve_weights(preset: str = DEFAULT_PRESET, weights: Sequence[float] | None = None) -> tuple[float, float]:
    """(w1, w2) for a preset name, or explicit weights (``preset="custom"`` or weights given)."""
    if weights is not None:
        if len(weights) != 2:
            raise ScoreError(f"custom weights need two numbers w1,w2, got {list(weights)!r}")
        w1, w2 = (float(w) for w in weights)
        if w1 < 0 or w2 < 0 or w1 + w2 <= 0:
            raise ScoreError(f"custom weights must be >= 0 and not both 0, got {w1}, {w2}")
        total = w1 + w2
        return w1 / total, w2 / total
    if preset == "custom":
        raise ScoreError("preset 'custom' needs weights w1,w2 (e.g. --weights 0.6,0.4)")
    try:
        p = PRESETS[preset]
    except KeyError:
        raise ScoreError(f"unknown preset {preset!r}; valid: {', '.join([*PRESETS, 'custom'])}") from None
    return p.w_quantitative, p.w_qualitative


def combined_score(fid: float, inception_score: float, lpips: float) -> float:
    """Seed 000's combined score (lower is better)."""
    return float(fid) + 10.0 / max(float(inception_score), IS_FLOOR) + 10.0 * float(lpips)


def quantitative(combined: float) -> float:
    """Combined score -> 0..100, higher is better (fixed mapping, see module docstring)."""
    return 100.0 * QUANT_SCALE / (QUANT_SCALE + max(float(combined), 0.0))


def mean_ratings(ratings: Iterable[tuple[str, float]]) -> dict[str, float]:
    """(criterion, value) pairs from any number of raters -> mean per criterion."""
    sums: dict[str, list[float]] = {}
    for criterion, value in ratings:
        sums.setdefault(criterion, []).append(float(value))
    return {c: statistics.fmean(v) for c, v in sums.items()}


def missing_criteria(ratings: Mapping[str, float]) -> list[str]:
    return [c for c in RATING_CRITERIA if ratings.get(c) is None]


def qualitative(ratings: Mapping[str, float]) -> float | None:
    """Mean of the four criteria's mean ratings mapped 1..5 -> 0..100; None unless all are rated."""
    if missing_criteria(ratings):
        return None
    mean = statistics.fmean(float(ratings[c]) for c in RATING_CRITERIA)
    return (mean - 1.0) / 4.0 * 100.0


def final_score(combined: float, ratings: Mapping[str, float], w: tuple[float, float]) -> float | None:
    """``w1 * quantitative(combined) + w2 * qualitative(ratings)``; None when not fully rated."""
    qual = qualitative(ratings)
    if qual is None:
        return None
    return w[0] * quantitative(combined) + w[1] * qual


__all__ = [
    "RATING_CRITERIA",
    "rating_flag",
    "rating_flags_usage",
    "PRESETS",
    "DEFAULT_PRESET",
    "Preset",
    "ScoreError",
    "resolve_weights",
    "combined_score",
    "quantitative",
    "qualitative",
    "mean_ratings",
    "missing_criteria",
    "final_score",
]
