"""The ``dinov2`` extractor: Fashion-MNIST images to DINOv2 CLS features, prepared as dgm-eval does.

dgm-eval's DINOv2 encoder resizes every image to 224 x 224 (bicubic), scales to [0, 1] and normalises
with the ImageNet mean and standard deviation; grey images are repeated over the three channels.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F

from cgan_tui import weight_file
from cgan_tui_dinov2 import BACKEND, WEIGHTS
from cgan_tui_dinov2.vit import load

SIZE = 224
MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
BATCH = {"cpu": 32, "cuda": 256}


def short_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:12]


def prepare(images: torch.Tensor) -> torch.Tensor:
    """uint8 (or [-1, 1] float) ``(N, 1, H, W)`` -> ImageNet-normalised ``(N, 3, 224, 224)``."""
    x = images.float() / 255.0 if images.dtype == torch.uint8 else (images.float().clamp(-1, 1) + 1) / 2
    x = x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x
    x = F.interpolate(x, size=(SIZE, SIZE), mode="bicubic", align_corners=False).clamp(0, 1)
    mean = torch.tensor(MEAN, device=x.device).view(1, 3, 1, 1)
    std = torch.tensor(STD, device=x.device).view(1, 3, 1, 1)
    return (x - mean) / std


class DinoV2Features:
    """The extractor interface of cgan-tui (``name``, ``backend``, ``num_features``, ``device``, ``batch``)."""

    backend = BACKEND

    def __init__(self, path: Path, device: torch.device) -> None:
        self.device = torch.device(device)
        self.net = load(path).to(self.device)
        self.num_features = self.net.num_features
        self.backbone_hash = short_sha256(path)
        self.name = f"dinov2-vits14-{self.backbone_hash}"  # the feature-cache key follows the file
        self.batch = BATCH.get(self.device.type, BATCH["cpu"])
        self.progress = None

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        out = []
        total = int(images.shape[0])
        with torch.no_grad():
            for start in range(0, total, self.batch):
                out.append(self.net(prepare(images[start : start + self.batch].to(self.device))).float())
                if self.progress is not None:
                    self.progress(min(start + self.batch, total), total)
        return torch.cat(out) if out else torch.empty(0, self.num_features, device=self.device)


def build(ctx) -> DinoV2Features:
    """The extractor for one evaluation; ``WeightsUnavailable`` (value stored as unavailable) without the file."""
    return DinoV2Features(weight_file(WEIGHTS.name), ctx.device)
