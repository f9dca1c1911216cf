"""Metric arithmetic on features: FID and KID through torchmetrics, IS, PSNR, LPIPS helpers.

Features are extracted once (``features.py``) and fed to torchmetrics through an identity module,
so FID and KID share one pass over the images and the Inception weights stay out of the metrics'
state. Real-data FID statistics enter torchmetrics as its own running sums (``RealSummary``), which
is what lets a cached summary replace a second pass over the reals.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torchmetrics.image.fid import FrechetInceptionDistance
from torchmetrics.image.kid import KernelInceptionDistance

from cgan_tui.gan.features import Identity, RealSummary

KID_SUBSET = 1000
KID_SUBSETS = 50


def fid_from_summary(real: RealSummary, fake_features: torch.Tensor) -> float:
    """FID between cached real statistics and fake features (torchmetrics, float64)."""
    d = int(fake_features.shape[1])
    metric = FrechetInceptionDistance(feature=Identity(d), reset_real_features=False)
    metric.set_dtype(torch.float64)
    metric.real_features_sum = torch.as_tensor(real.feature_sum, dtype=torch.float64)
    metric.real_features_cov_sum = torch.as_tensor(real.cov_sum, dtype=torch.float64)
    metric.real_features_num_samples = torch.tensor(real.n, dtype=torch.long)
    metric.update(fake_features.detach().double().cpu(), real=False)
    return float(metric.compute())


def kid(real_features: np.ndarray | torch.Tensor, fake_features: torch.Tensor, seed: int = 0) -> tuple[float, float]:
    """(KID mean, std) with subsets of ``min(1000, n_real, n_fake)`` (torchmetrics' polynomial kernel)."""
    real = torch.as_tensor(real_features).float()
    fake = fake_features.detach().float().cpu()
    subset = min(KID_SUBSET, real.shape[0], fake.shape[0])
    if subset < 2:
        raise ValueError("KID needs at least 2 real and 2 fake samples")
    with warnings.catch_warnings():  # "will save all extracted features": intended, they are few
        warnings.simplefilter("ignore")
        metric = KernelInceptionDistance(feature=Identity(real.shape[1]), subsets=KID_SUBSETS, subset_size=subset)
    metric.update(real, real=True)
    metric.update(fake, real=False)
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)  # KID samples random subsets: fix them, and leave the global RNG as it was
    try:
        mean, std = metric.compute()
    finally:
        torch.random.set_rng_state(state)
    return float(mean), float(std)


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
