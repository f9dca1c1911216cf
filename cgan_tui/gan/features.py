"""Feature extractors behind one interface, and the summaries of real data that get cached.

Every extractor has ``name`` (also the cache key: it changes when the weights change), ``backend``,
``num_features``, ``device`` and ``batch``, and maps images ``(N, 1, 28, 28)`` (uint8 0..255 or
float in [-1, 1]) to float features ``(N, num_features)`` on its device. Extractors that also give
class logits expose ``logits(images)``.

* ``InceptionFID``: the TF-FID Inception-v3 (``default_1.pt``, TorchScript, pool3 2048-d). Input
  prepared here: 1 -> 3 channels, bilinear resize to 299x299, values ``uint8/128 - 1``. No logits
  layer exists in that file, so no Inception Score from it.
* ``TorchFidelityInception``: torch-fidelity's extractor (2048-d + logits) when the package and its
  weights file are present; gives the standard IS.
* ``ClassifierFeatures``: our Fashion-MNIST CNN (penultimate layer + logits; conv layers for LPIPS).

A missing weight file raises ``WeightsUnavailable`` (metrics store that as unavailable).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cgan_tui.gan import weights
from cgan_tui.gan.weights import WeightsUnavailable

INCEPTION_SIZE = 299
INCEPTION_BATCH = {"cpu": 50, "cuda": 200}
"""Images per Inception forward pass. On CPU a batch of 50 in channels_last beat the former 16 (see
docs/engine.md, evaluation cost); 299x299x3 activations of 50 images stay well under 1 GiB."""
BF16_FEATURES_OK: dict[str, bool] = {}
"""Backend -> whether bf16 autocast features were measured (benchmarks/eval_precision.py, n=1,000
real-vs-generated) to move FID by < 0.5 % from fp32 features. Only listed backends use bf16, and only
on devices where bf16 is native; everything else extracts in fp32. Measured on an H200: classifier
features 0.102 % apart but 6x slower in bf16; Inception not measured there; no native-bf16 CPU was
available to time them. So the list stays empty (docs/engine.md, evaluation costs)."""
KID_REAL_MAX = 2000
"""Real features kept in the cache for KID (KID compares random subsets; 2,000 is plenty)."""
DIVERSITY_MAX_PER_CLASS = 500
"""Per-class pairwise distances use at most this many images per class (cost grows quadratically)."""
CLASS_STATS_MAX_DIM = 512
"""Extractors of at most this many features keep per-class FID sums and every real feature in their
cached summary (the classifier's 128: 10 x 128 x 128 float64 sums and 10,000 x 128 float32 features,
about 6 MB at n = 10,000). Inception's 2048 would need 335 MB of per-class sums: not kept."""


class FeatureExtractor(Protocol):
    name: str
    backend: str
    num_features: int
    device: torch.device
    batch: int

    def __call__(self, images: torch.Tensor) -> torch.Tensor: ...


def as_uint8(images: torch.Tensor) -> torch.Tensor:
    """uint8 images unchanged; float images in [-1, 1] mapped to 0..255."""
    if images.dtype == torch.uint8:
        return images
    return ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


def as_unit_range(images: torch.Tensor) -> torch.Tensor:
    """Float in [-1, 1] from uint8 or float images."""
    if images.dtype == torch.uint8:
        return images.float() / 127.5 - 1.0
    return images.float().clamp(-1, 1)


def default_batch(device: torch.device, cpu: int, cuda: int) -> int:
    return cuda if device.type == "cuda" else cpu


def feature_autocast(device: torch.device, backend: str):
    """bf16 autocast for ``backend``'s features only where bf16 is native and was measured harmless."""
    if BF16_FEATURES_OK.get(backend):
        from cgan_tui.gan.precision import native_bf16

        if native_bf16(device)[0]:
            return torch.autocast(device_type=device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _batched(fn, images: torch.Tensor, batch: int, device: torch.device, progress=None, backend: str = "") -> torch.Tensor:
    """``fn`` over ``images`` in batches (no grad, float32 results); ``progress(done, total)`` after each."""
    out = []
    total = int(images.shape[0])
    with torch.no_grad(), feature_autocast(device, backend):
        for start in range(0, total, batch):
            out.append(fn(images[start : start + batch].to(device)).float())
            if progress is not None:
                progress(min(start + batch, total), total)
    if not out:
        return torch.empty(0, device=device)
    return torch.cat(out)


def file_tag(path: Path) -> str:
    """Short fingerprint of a weight file (size + mtime), so caches follow a replaced file."""
    st = path.stat()
    return hashlib.sha1(f"{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:8]


class InceptionFID(nn.Module):
    """The standard FID Inception network from ``default_1.pt`` (2048-d pool3 features)."""

    backend = "inception"
    num_features = 2048

    def __init__(
        self, device: torch.device | str = "cpu", batch: int | None = None, path: Path | None = None,
        channels_last: bool = True,
    ) -> None:  # fmt: skip
        super().__init__()
        path = path or weights.require("fid-inception")
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.device = torch.device(device)
        self.batch = batch or default_batch(self.device, INCEPTION_BATCH["cpu"], INCEPTION_BATCH["cuda"])
        try:  # channels_last: the convolutions' fast layout on CPU (oneDNN) and GPU (cuDNN); same numbers
            self.net = torch.jit.load(str(path), map_location=self.device).eval().to(memory_format=self.memory_format)
        except Exception as exc:  # noqa: BLE001
            raise WeightsUnavailable(f"fid-inception weights at {path} do not load: {type(exc).__name__}: {exc}") from None
        self.name = "fid-inception"
        self.progress = None  # optional progress(done, total), set by the caller for long extractions

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        x = as_uint8(images).to(self.device).float() / 128.0 - 1.0
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = F.interpolate(x, size=(INCEPTION_SIZE, INCEPTION_SIZE), mode="bilinear", align_corners=False)
        return x.contiguous(memory_format=self.memory_format)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return _batched(lambda b: self.net(self.prepare(b)).reshape(b.shape[0], -1), images, self.batch, self.device,
                        self.progress, self.backend)  # fmt: skip


class TorchFidelityInception(nn.Module):
    """torch-fidelity's Inception (features + logits for IS); needs the package and its weights."""

    backend = "inception"
    num_features = 2048

    def __init__(self, device: torch.device | str = "cpu", batch: int | None = None) -> None:
        super().__init__()
        path = weights.require("torch-fidelity-inception")
        from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

        self.device = torch.device(device)
        self.batch = batch or default_batch(self.device, INCEPTION_BATCH["cpu"], INCEPTION_BATCH["cuda"])
        self.progress = None
        self.net = FeatureExtractorInceptionV3(
            "inception-v3-compat", ["2048", "logits_unbiased"], feature_extractor_weights_path=str(path)
        ).to(self.device).eval()
        self.name = "torch-fidelity-inception"
        self._last: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None

    def _both(self, images: torch.Tensor) -> torch.Tensor:
        x = as_uint8(images).to(self.device)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        feats, logits = self.net(x)
        return torch.cat([feats.reshape(x.shape[0], -1), logits], dim=1)

    def features_and_logits(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One pass for both (IS and FID share it); the last input's result is kept for the other call."""
        if self._last is None or self._last[0] is not images:
            both = _batched(self._both, images, self.batch, self.device, self.progress, self.backend)
            self._last = (images, both[:, : self.num_features], both[:, self.num_features :])
        return self._last[1], self._last[2]

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.features_and_logits(images)[0]

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.features_and_logits(images)[1]


class ClassifierFeatures(nn.Module):
    """Penultimate-layer features, logits and conv-layer LPIPS of our Fashion-MNIST classifier.

    ``backbone_hash`` (the weight file's short SHA-256) is stored with every value it produces.
    """

    backend = "classifier"

    def __init__(self, model: nn.Module, device: torch.device | str = "cpu", batch: int | None = None, tag: str = "") -> None:
        super().__init__()
        self.device = torch.device(device)
        self.model = model.to(self.device).eval().to(memory_format=torch.channels_last)  # see InceptionFID
        self.num_features = int(model.num_features)
        self.batch = batch or default_batch(self.device, 1000, 5000)
        self.name = f"classifier-{tag}" if tag else "classifier"
        self.backbone_hash = tag
        self.progress = None

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return _batched(lambda b: self.model.features(as_unit_range(b)), images, self.batch, self.device,
                        self.progress, self.backend)  # fmt: skip

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return _batched(lambda b: self.model(as_unit_range(b)), images, self.batch, self.device, None, self.backend)

    def features_and_logits(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self(images)
        with torch.no_grad():
            logits = self.model.head(feats)
        return feats, logits

    def lpips(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """Per-pair LPIPS on this network's conv layers (uniform weights), shape ``(N,)``."""
        out = []
        with torch.no_grad():
            for start in range(0, a.shape[0], self.batch):
                xa = as_unit_range(a[start : start + self.batch].to(self.device))
                xb = as_unit_range(b[start : start + self.batch].to(self.device))
                out.append(lpips_distance(self.model.conv_layers(xa), self.model.conv_layers(xb)))
        return torch.cat(out) if out else torch.empty(0, device=self.device)


def lpips_distance(layers_a: list[torch.Tensor], layers_b: list[torch.Tensor], eps: float = 1e-10) -> torch.Tensor:
    """The LPIPS construction with uniform layer weights (Zhang et al. 2018, "baseline" variant).

    Each layer's activations are unit-normalised over channels at every position; the squared
    difference is summed over channels, averaged over positions, and summed over the layers with
    uniform weights 1 (what ``lpips.LPIPS(lpips=False)`` does on AlexNet), giving one distance per
    image pair: 0 for identical inputs, symmetric, at most 4 per layer.
    """
    total = None
    for fa, fb in zip(layers_a, layers_b, strict=True):
        na = fa / (fa.pow(2).sum(dim=1, keepdim=True).sqrt() + eps)
        nb = fb / (fb.pow(2).sum(dim=1, keepdim=True).sqrt() + eps)
        d = (na - nb).pow(2).sum(dim=1).mean(dim=(1, 2))
        total = d if total is None else total + d
    assert total is not None, "no layers"
    return total


class Identity(nn.Module):
    """Passes precomputed features to torchmetrics' FID/KID (``num_features`` avoids its probe)."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


# ------------------------------------------------------------------------------- real summaries


@dataclass
class RealSummary:
    """What metrics need of the real data for one extractor: FID sums, KID subset, class diversity and,
    for extractors of at most ``CLASS_STATS_MAX_DIM`` features, per-class FID sums (intra-FID) and every
    real feature (precision/recall/density/coverage, memorisation). Those three are None in a summary
    cached before they existed (``complete`` is then False and the context recomputes it once)."""

    n: int
    feature_sum: np.ndarray  # (d,) float64
    cov_sum: np.ndarray  # (d, d) float64: sum of x^T x, as torchmetrics keeps it
    kid_features: np.ndarray  # (m, d) float32, m <= KID_REAL_MAX
    class_diversity: np.ndarray  # (C,) float64 mean pairwise distance within each class (nan if < 2)
    class_count: np.ndarray | None = None  # (C,) int64 real images per class
    class_sum: np.ndarray | None = None  # (C, d) float64
    class_cov_sum: np.ndarray | None = None  # (C, d, d) float64: per-class sum of x^T x
    features: np.ndarray | None = None  # (n, d) float32: every real feature, in the real images' order
    labels: np.ndarray | None = None  # (n,) int64

    EXTENDED = ("class_count", "class_sum", "class_cov_sum", "features", "labels")

    @property
    def complete(self) -> bool:
        """Whether the per-class sums and the features are present (or not kept for this feature size)."""
        if self.feature_sum.shape[0] > CLASS_STATS_MAX_DIM:
            return True
        return all(getattr(self, name) is not None for name in self.EXTENDED)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        extended = {k: getattr(self, k) for k in self.EXTENDED if getattr(self, k) is not None}
        np.savez(buf, n=np.array(self.n), feature_sum=self.feature_sum, cov_sum=self.cov_sum,
                 kid_features=self.kid_features, class_diversity=self.class_diversity, **extended)  # fmt: skip
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, payload: bytes) -> RealSummary:
        with np.load(io.BytesIO(payload)) as data:
            return cls(
                n=int(data["n"]),
                feature_sum=data["feature_sum"],
                cov_sum=data["cov_sum"],
                kid_features=data["kid_features"],
                class_diversity=data["class_diversity"],
                **{k: data[k] for k in cls.EXTENDED if k in data.files},
            )

    @classmethod
    def from_features(cls, features: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> RealSummary:
        f64 = features.detach().double()
        extended = {}
        if f64.shape[1] <= CLASS_STATS_MAX_DIM:
            lab = labels.to(f64.device)
            groups = [f64[lab == c] for c in range(num_classes)]
            extended = {
                "class_count": np.array([len(g) for g in groups], dtype=np.int64),
                "class_sum": torch.stack([g.sum(0) for g in groups]).cpu().numpy(),
                "class_cov_sum": torch.stack([g.t() @ g for g in groups]).cpu().numpy(),
                "features": features.detach().float().cpu().numpy(),
                "labels": labels.detach().cpu().numpy().astype(np.int64),
            }
        return cls(
            n=int(features.shape[0]),
            feature_sum=f64.sum(0).cpu().numpy(),
            cov_sum=(f64.t() @ f64).cpu().numpy(),
            kid_features=features[:KID_REAL_MAX].detach().float().cpu().numpy(),
            class_diversity=class_diversity(features, labels, num_classes).cpu().numpy(),
            **extended,
        )


def class_diversity(features: torch.Tensor, labels: torch.Tensor, num_classes: int = 10) -> torch.Tensor:
    """Mean pairwise Euclidean distance between features of the same class, per class (float64)."""
    out = torch.full((num_classes,), float("nan"), dtype=torch.float64)
    labels = labels.to(features.device)
    for c in range(num_classes):
        feats = features[labels == c][:DIVERSITY_MAX_PER_CLASS].double()
        k = feats.shape[0]
        if k < 2:
            continue
        dist = torch.cdist(feats, feats)
        out[c] = (dist.sum() / (k * (k - 1))).item()
    return out


# ------------------------------------------------------------------------------------ validators


def validate_torchscript(path: Path) -> None:
    torch.jit.load(str(path), map_location="cpu")


def validate_state_dict(path: Path) -> None:
    data = torch.load(str(path), map_location="cpu", weights_only=True)
    if not isinstance(data, dict) or not data:
        raise ValueError("not a state dict")


def validate_alexnet(path: Path) -> None:
    from torchvision.models import alexnet

    alexnet().load_state_dict(torch.load(str(path), map_location="cpu", weights_only=True))
