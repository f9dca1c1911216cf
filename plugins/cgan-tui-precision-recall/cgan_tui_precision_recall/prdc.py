"""Improved precision and recall (Kynkaanniemi et al., NeurIPS 2019) on feature vectors.

Each set is approximated by the union of balls around its points, the radius of a point's ball
being the distance to its k-th nearest neighbour within its own set. Precision is the fraction of
generated points inside the real manifold (fidelity); recall the fraction of real points inside the
generated manifold (coverage). Both in [0, 1], higher is better; k = 3 as in the paper.
"""

from __future__ import annotations

import torch

DEFAULT_K = 3
_ROWS = 1024  # rows of the distance matrix held at once: memory stays O(_ROWS * N)


def _as_matrix(x, what: str, device: torch.device | None = None) -> torch.Tensor:
    t = torch.as_tensor(x).detach()
    t = t.to(device or t.device, torch.float64)
    if t.ndim != 2:
        t = t.flatten(1) if t.ndim > 2 else t
    if t.ndim != 2:
        raise ValueError(f"{what} features must be (N, D), got shape {tuple(t.shape)}")
    return t


def kth_neighbour_radii(feats: torch.Tensor, k: int) -> torch.Tensor:
    """Distance from each row to its k-th nearest other row (the row itself is excluded)."""
    radii = torch.empty(len(feats), dtype=feats.dtype, device=feats.device)
    for start in range(0, len(feats), _ROWS):
        block = torch.cdist(feats[start : start + _ROWS], feats)
        # the k+1 smallest include the point itself at distance 0
        radii[start : start + _ROWS] = block.topk(k + 1, dim=1, largest=False).values[:, k]
    return radii


def _inside(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """For each point: is it within ``radii[i]`` of some centre ``i``?"""
    hit = torch.zeros(len(points), dtype=torch.bool, device=points.device)
    for start in range(0, len(points), _ROWS):
        block = torch.cdist(points[start : start + _ROWS], centres)
        hit[start : start + _ROWS] = (block <= radii.unsqueeze(0)).any(dim=1)
    return hit


def precision_recall(real_feats, fake_feats, k: int = DEFAULT_K) -> dict[str, float]:
    """``{"precision": p, "recall": r}`` for two feature sets ``(N, D)`` (tensors or arrays).

    Computed in float64 on the device of ``fake_feats`` (a GPU when the features live there).
    """
    fake = _as_matrix(fake_feats, "fake")
    real = _as_matrix(real_feats, "real", fake.device)
    if real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature sizes differ: real {real.shape[1]}, fake {fake.shape[1]}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"need more than k={k} samples per set, got {len(real)} real, {len(fake)} fake")
    precision = _inside(fake, real, kth_neighbour_radii(real, k)).double().mean().item()
    recall = _inside(real, fake, kth_neighbour_radii(fake, k)).double().mean().item()
    return {"precision": precision, "recall": recall}
