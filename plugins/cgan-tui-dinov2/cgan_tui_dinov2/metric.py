"""``compute(ctx)``: FD-DINOv2, the Frechet distance between real and generated DINOv2 features.

The real test images' statistics come from the evaluation's feature cache (keyed by the extractor's
name, which carries the weight file's hash), so they are embedded once per data set and file.
"""

from __future__ import annotations

from cgan_tui import frechet_distance
from cgan_tui_dinov2 import BACKEND


def compute(ctx) -> dict[str, float]:
    """``{"fd": value}`` (dgm-eval's FD_dinov2)."""
    return {"fd": frechet_distance(ctx.real_summary(BACKEND), ctx.fake_features(BACKEND))}
