"""Built-in scores: seed 000's combined score and the final score mixing in human ratings.

Scores are computed per backend from the values of one (run, epoch): ``values`` maps bare metric
names to numbers for that backend's view (its own ``fid``/``is`` plus the shared ``lpips`` backend's
``lpips``, see ``cgan_tui.results``) and earlier scores (``combined``). Torch-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cgan_tui import scoring
from cgan_tui.hooks import hookimpl
from cgan_tui.specs import Score


def combined(values: Mapping[str, float | None], ratings: Mapping[str, float], options: Mapping[str, Any]) -> float | None:
    fid, inception_score, lpips = values.get("fid"), values.get("is"), values.get("lpips")
    if fid is None or inception_score is None or lpips is None:
        return None
    return scoring.combined_score(fid, inception_score, lpips)


def final(values: Mapping[str, float | None], ratings: Mapping[str, float], options: Mapping[str, Any]) -> float | None:
    comb = values.get("combined")
    if comb is None:
        return None
    weights = options.get("weights_resolved") or scoring.resolve_weights(
        options.get("preset", scoring.DEFAULT_PRESET), options.get("weights")
    )
    return scoring.final_score(comb, ratings, weights)


SCORES = [
    Score(
        name="combined",
        compute=combined,
        needs=("fid", "is", "lpips"),
        better="lower",
        description="FID + 10/max(IS, 0.1) + 10*LPIPS (seed 000)",
    ),
    Score(
        name="final",
        compute=final,
        needs=("combined", "ratings"),
        better="higher",
        description="w1*quantitative + w2*qualitative on 0..100 (presets research/commercial/academic)",
    ),
]


@hookimpl
def register_scores() -> list[Score]:
    """Combined and final scores."""
    return list(SCORES)
