"""Metric arithmetic on features: FID and KID through torchmetrics, IS, PSNR, LPIPS helpers.

Features are extracted once (``features.py``) and shared by FID and KID. Real-data statistics are
the running sums torchmetrics keeps (``RealSummary``), which is what lets a cached summary replace a
second pass over the reals. The formulas are torchmetrics' (its KID kernel and estimator are called
directly); tests check both against torchmetrics' own metric classes.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from cgan_tui.gan.features import RealSummary

KID_SUBSET = 1000
KID_SUBSETS = 100
KID_MIN_SUBSET = 10
"""Below subsets of 10 (n < 20 samples) KID's spread over subsets says nothing: the std is not stored."""


def kid_subset_size(n_real: int, n_fake: int) -> int | None:
    """KID as published (Binkowski et al. 2018; torchmetrics needs ``subset_size < n``): subsets of
    ``min(1000, n/2)`` of each set, so the 100 subsets differ and their std measures something.
    None when that is below ``KID_MIN_SUBSET`` (the std would be meaningless)."""
    m = min(KID_SUBSET, n_real // 2, n_fake // 2)
    return m if m >= KID_MIN_SUBSET else None


def frechet_distance_to_summary(real: RealSummary, fake_features: torch.Tensor) -> float:
    """FID between cached real statistics and fake features, float64.

    Same value as torchmetrics' ``_compute_fid`` (``|mu1-mu2|^2 + tr S1 + tr S2 - 2 tr sqrt(S1 S2)``,
    tested equal), computed in symmetric form: the eigenvalues of ``S_real S_fake`` are those of
    ``Y S_real Y^T`` (``S_fake = Y^T Y``, an n x n matrix when n <= d) or of ``S_real^1/2 S_fake S_real^1/2``.
    ``eigvalsh`` on that is much cheaper than ``eigvals`` of the non-symmetric 2048 x 2048 product
    (about 3 s on 2 cores, far more under load).
    """
    n_r = real.n
    mu_r = torch.as_tensor(real.feature_sum, dtype=torch.float64) / n_r
    sigma_r = (torch.as_tensor(real.cov_sum, dtype=torch.float64) - n_r * torch.outer(mu_r, mu_r)) / (n_r - 1)
    x = fake_features.detach().double().cpu()
    n_f, d = x.shape
    if n_f < 2 or n_r < 2:
        raise ValueError("FID needs at least 2 real and 2 generated samples")
    mu_f = x.mean(dim=0)
    y = (x - mu_f) / math.sqrt(n_f - 1)
    trace_term = float(torch.trace(sigma_r)) + float(y.square().sum())
    if n_f <= d:
        m = y @ sigma_r @ y.T
    else:
        evals, evecs = torch.linalg.eigh(sigma_r)
        root = (evecs * evals.clamp(min=0).sqrt()) @ evecs.T
        m = root @ (y.T @ y) @ root
    m = (m + m.T) / 2
    cross = float(torch.linalg.eigvalsh(m).clamp(min=0).sqrt().sum())
    return float((mu_r - mu_f).square().sum()) + trace_term - 2.0 * cross


def fid_from_summary(real: RealSummary, fake_features: torch.Tensor) -> float:
    """FID of fake features against the cached real summary (see ``frechet_distance_to_summary``)."""
    return frechet_distance_to_summary(real, fake_features)


def kid(
    real_features: np.ndarray | torch.Tensor,
    fake_features: torch.Tensor,
    seed: int = 0,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET,
) -> tuple[float, float]:
    """(KID mean, std over subsets) exactly as torchmetrics computes it (its polynomial kernel and MMD
    estimator, subsets of ``min(1000, n_real, n_fake)``), but with the three kernel matrices computed
    once and subsets taken as index selections: 100 subsets cost about as much as one."""
    from torchmetrics.image.kid import maximum_mean_discrepancy, poly_kernel

    real = torch.as_tensor(real_features).float().cpu()
    fake = fake_features.detach().float().cpu()
    m = min(subset_size, real.shape[0], fake.shape[0])
    if m < 2:
        raise ValueError("KID needs at least 2 real and 2 fake samples")
    k_rr, k_ff, k_rf = poly_kernel(real, real), poly_kernel(fake, fake), poly_kernel(real, fake)
    gen = torch.Generator().manual_seed(seed)
    scores = []
    for _ in range(subsets):
        ir = torch.randperm(real.shape[0], generator=gen)[:m]
        jf = torch.randperm(fake.shape[0], generator=gen)[:m]
        scores.append(maximum_mean_discrepancy(k_rr[ir][:, ir], k_rf[ir][:, jf], k_ff[jf][:, jf]))
    values = torch.stack(scores)
    return float(values.mean()), float(values.std(unbiased=False))


def inception_score(logits: torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """IS = exp(E_x KL(p(y|x) || p(y))), mean and std over ``splits`` consecutive chunks (no shuffle)."""
    probs = logits.detach().double().softmax(dim=1).cpu()
    splits = max(1, min(splits, probs.shape[0]))
    scores = []
    for chunk in probs.chunk(splits):
        marginal = chunk.mean(dim=0, keepdim=True)
        kl = (chunk * (torch.log(chunk + 1e-12) - torch.log(marginal + 1e-12))).sum(dim=1).mean()
        scores.append(math.exp(float(kl)))
    mean = sum(scores) / len(scores)
    std = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    return mean, std


def psnr(fake_u8: torch.Tensor, real_u8: torch.Tensor) -> float:
    """Seed 004's PSNR: torchmetrics PSNR, data_range 1.0 on [0, 1] images, over all paired pixels."""
    from torchmetrics.image import PeakSignalNoiseRatio

    metric = PeakSignalNoiseRatio(data_range=1.0)
    metric.update(fake_u8.float().cpu() / 255.0, real_u8.float().cpu() / 255.0)
    return float(metric.compute())


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


# ------------------------------------------------------------------------------------------ LPIPS

LPIPS_SIZE = 64
"""AlexNet-LPIPS needs at least 31x31 inputs; 28x28 images are upsampled (bilinear) to 64x64."""
_ALEX_SLICES = {0: 1, 3: 2, 6: 3, 8: 4, 10: 5}
"""torchvision alexnet.features conv index -> lpips' slice holding it."""


def build_lpips(alexnet_path: Path, device: torch.device):
    """AlexNet-LPIPS (v0.1 linear layers from the lpips wheel) with ImageNet AlexNet from ``alexnet_path``.

    The backbone is built without downloading (``pnet_rand=True``) and then *every* backbone
    parameter is loaded from the file with ``strict=True``: a random backbone never escapes.
    """
    import warnings

    import lpips

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = lpips.LPIPS(net="alex", pretrained=True, pnet_rand=True, verbose=False)
    state = torch.load(str(alexnet_path), map_location="cpu", weights_only=True)
    mapped = {}
    for key, value in state.items():
        parts = key.split(".")
        if parts[0] != "features":
            continue
        index = int(parts[1])
        mapped[f"slice{_ALEX_SLICES[index]}.{index}.{parts[2]}"] = value
    model.net.load_state_dict(mapped, strict=True)
    return model.to(device).eval()


def lpips_distances(model, a_u8: torch.Tensor, b_u8: torch.Tensor, device: torch.device, batch: int = 256) -> torch.Tensor:
    """LPIPS distance per pair of uint8 grayscale images (N,1,28,28)."""
    out = []
    with torch.no_grad():
        for start in range(0, a_u8.shape[0], batch):
            x = _lpips_input(a_u8[start : start + batch], device)
            y = _lpips_input(b_u8[start : start + batch], device)
            out.append(model(x, y).flatten().cpu())
    return torch.cat(out) if out else torch.empty(0)


def _lpips_input(images_u8: torch.Tensor, device: torch.device) -> torch.Tensor:
    x = images_u8.to(device).float() / 127.5 - 1.0
    x = x.expand(-1, 3, -1, -1)
    return F.interpolate(x, size=(LPIPS_SIZE, LPIPS_SIZE), mode="bilinear", align_corners=False)
