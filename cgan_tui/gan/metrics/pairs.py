"""Which images a paired metric compares: generated vs real of the same class, or two generated of one class."""

from __future__ import annotations

import torch


def pair_by_class(fake_labels: torch.Tensor, real_labels: torch.Tensor, num_classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Index pairs (fake i, real j) with equal labels: each fake of class c takes the reals of c in turn."""
    fi, ri = [], []
    fake_labels, real_labels = fake_labels.cpu(), real_labels.cpu()
    for c in range(num_classes):
        fakes = torch.nonzero(fake_labels == c).flatten()
        reals = torch.nonzero(real_labels == c).flatten()
        if len(fakes) == 0 or len(reals) == 0:
            continue
        fi.append(fakes)
        ri.append(reals[torch.arange(len(fakes)) % len(reals)])
    if not fi:
        return torch.empty(0, dtype=torch.long), torch.empty(0, dtype=torch.long)
    return torch.cat(fi), torch.cat(ri)


def within_class_pairs(labels: torch.Tensor, num_classes: int = 10) -> tuple[torch.Tensor, torch.Tensor]:
    """Pairs (i, k) of different samples of the same class: each sample with the next one of its class."""
    a, b = [], []
    labels = labels.cpu()
    for c in range(num_classes):
        idx = torch.nonzero(labels == c).flatten()
        if len(idx) < 2:
            continue
        a.append(idx)
        b.append(idx.roll(-1))
    if not a:
        return torch.empty(0, dtype=torch.long), torch.empty(0, dtype=torch.long)
    return torch.cat(a), torch.cat(b)
