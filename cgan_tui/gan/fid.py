"""The old home of the metric arithmetic (FID, KID, IS, PSNR, LPIPS helpers): now one module per metric
in ``cgan_tui.gan.metrics``. Every name is re-exported so existing imports keep working."""

from __future__ import annotations

from cgan_tui.gan.metrics.fid import fid_from_summary, frechet_distance_to_summary
from cgan_tui.gan.metrics.inception_score import inception_score
from cgan_tui.gan.metrics.kid import KID_MIN_SUBSET, KID_SUBSET, KID_SUBSETS, kid, kid_subset_size
from cgan_tui.gan.metrics.lpips import _ALEX_SLICES, LPIPS_SIZE, _lpips_input, build_lpips, lpips_distances
from cgan_tui.gan.metrics.pairs import pair_by_class, within_class_pairs
from cgan_tui.gan.metrics.psnr import psnr

__all__ = [
    "fid_from_summary", "frechet_distance_to_summary", "inception_score", "KID_MIN_SUBSET", "KID_SUBSET",
    "KID_SUBSETS", "kid", "kid_subset_size", "_ALEX_SLICES", "LPIPS_SIZE", "_lpips_input", "build_lpips",
    "lpips_distances", "pair_by_class", "within_class_pairs", "psnr",
]  # fmt: skip
