"""What a metric sees: ``MetricContext`` (lazy samples, real test images, features per extractor,
real-data summaries from a feature cache) and ``MetricResult``, one value as it will be stored."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from cgan_tui.classes import NUM_CLASSES
from cgan_tui.gan import features as feat
from cgan_tui.gan.cache_counter import CacheCounter
from cgan_tui.gan.metrics.extractors import DEFAULT_EXTRACTORS, ExtractorFactory
from cgan_tui.gan.weights import WeightsUnavailable

EVAL_SEED = 12345
"""Noise seed of evaluation samples: every epoch of every run is judged on the same latent points."""
DEFAULT_N_CUDA = 10_000
DEFAULT_N_CPU = 1_000
REAL_DATASET = "fashion-mnist-test"
TRAIN_DATASET = "fashion-mnist-train"
TRAIN_SUBSET = 10_000
"""Training images embedded for the memorisation check: a fixed class-balanced prefix of the training
split, embedded once per classifier and kept in the feature cache (10,000 x 128 float32, 5 MB)."""


def default_n(device: torch.device | str) -> int:
    """10,000 samples on CUDA; 1,000 on CPU (Inception costs ~0.11 s per image on 2 CPU cores)."""
    return DEFAULT_N_CUDA if torch.device(device).type == "cuda" else DEFAULT_N_CPU


@dataclass(frozen=True)
class MetricResult:
    """One value as it will be stored: ``value`` None means unavailable, ``unavailable`` says why."""

    name: str
    value: float | None
    backend: str
    n_samples: int
    unavailable: str | None = None
    metric: str = ""
    backbone: str = ""
    """Short SHA-256 of the backbone weights that produced the value ("" for unversioned backends)."""

    @property
    def key(self) -> str:
        return f"{self.name}@{self.backend}"


@dataclass(frozen=True)
class Counted:
    """A metric's value taken on ``n`` samples other than the evaluation's n (a per-class value):
    stored with that n, so ``show`` says how many samples each class's value rests on."""

    value: float
    n: int

    def __float__(self) -> float:  # a number wherever metric values are checked as numbers
        return float(self.value)


class FeatureCacheLike(Protocol):
    def get(self, dataset: str, backend: str, n: int) -> bytes | None: ...

    def put(self, dataset: str, backend: str, n: int, payload: bytes) -> None: ...


@dataclass
class MemoryFeatureCache(CacheCounter):
    """In-process cache (tests, one-off evaluations); the runner uses a database-backed one."""

    items: dict[tuple[str, str, int], bytes] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0

    def get(self, dataset: str, backend: str, n: int) -> bytes | None:
        return self.counted(self.items.get((dataset, backend, n)))

    def put(self, dataset: str, backend: str, n: int, payload: bytes) -> None:
        self.items[(dataset, backend, n)] = payload


EvalProgress = Callable[[str, int, int], None]
"""``progress(label, done, total)``: images embedded so far, e.g. ``("inception generated", 300, 1000)``."""


class MetricContext:
    """Lazy access to what metrics need; each piece is computed at most once per evaluation."""

    def __init__(
        self,
        generator: torch.nn.Module,
        *,
        latent_dim: int,
        n: int,
        device: torch.device | str,
        real: Any = None,  # cgan_tui.gan.data.ImageData of the test split; loaded when None
        train: Any = None,  # ImageData of training images for the memorisation check; loaded when None
        data_dir: str | Path | None = None,
        feature_cache: FeatureCacheLike | None = None,
        extractors: Mapping[str, ExtractorFactory] | None = None,
        seed: int = EVAL_SEED,
        num_classes: int = NUM_CLASSES,
        progress: EvalProgress | None = None,
    ) -> None:
        self.generator = generator
        self.progress = progress
        self.latent_dim = latent_dim
        self.n = int(n)
        self.device = torch.device(device)
        self.data_dir = data_dir
        self.cache = feature_cache if feature_cache is not None else MemoryFeatureCache()
        self.factories = {**DEFAULT_EXTRACTORS, **(extractors or {})}
        self.seed = seed
        self.num_classes = num_classes
        self._real = real
        self._train = train
        self._train_features: dict[str, torch.Tensor] = {}
        self._fake: tuple[torch.Tensor, torch.Tensor] | None = None
        self._extractors: dict[str, Any] = {}
        self._extractor_errors: dict[str, WeightsUnavailable] = {}
        self._fake_features: dict[str, torch.Tensor] = {}
        self._fake_logits: dict[str, torch.Tensor] = {}
        self._real_summaries: dict[str, feat.RealSummary] = {}
        self._dataset_key: str | None = None
        self._train_key: str | None = None
        self.real_extractions = 0
        """How many times real images went through an extractor (0 when the cache served them)."""

    # ---------------------------------------------------------------------------------- samples
    @property
    def fake(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(uint8 images (n,1,28,28), labels) class-balanced (label i % 10), fixed noise seed."""
        if self._fake is None:
            self._fake = generate(self.generator, self.n, self.latent_dim, self.device, self.seed, self.num_classes)
        return self._fake

    @property
    def fake_images(self) -> torch.Tensor:
        return self.fake[0]

    @property
    def fake_labels(self) -> torch.Tensor:
        return self.fake[1]

    @property
    def real(self):
        """The test split, a class-balanced prefix of ``n`` images (all of them when fewer)."""
        if self._real is None:
            from cgan_tui.gan.data import load_fashion_mnist

            self._real = load_fashion_mnist(self.data_dir, "test", device="cpu", limit=self.n)
        elif len(self._real) > self.n:
            self._real = self._real.subset(self.n)
        return self._real

    @property
    def train(self):
        """``TRAIN_SUBSET`` training images, a class-balanced prefix (the split's arrays are read once
        per process: ``data._load_arrays`` keeps them)."""
        if self._train is None:
            from cgan_tui.gan.data import load_fashion_mnist

            self._train = load_fashion_mnist(self.data_dir, "train", device="cpu", limit=TRAIN_SUBSET)
        return self._train

    @property
    def train_key(self) -> str:
        """``fashion-mnist-train:<digest>`` of the training images the memorisation check compares with."""
        if self._train_key is None:
            self._train_key = f"{TRAIN_DATASET}:{_digest(self.train)}"
        return self._train_key

    @property
    def dataset_key(self) -> str:
        """``fashion-mnist-test:<digest of the images used>``: a cache never mixes data sets."""
        if self._dataset_key is None:
            self._dataset_key = f"{REAL_DATASET}:{_digest(self.real)}"
        return self._dataset_key

    # ------------------------------------------------------------------------------- extractors
    def extractor(self, key: str):
        """The extractor for ``key`` (built once); ``WeightsUnavailable`` when its weights are missing."""
        if key in self._extractor_errors:
            raise self._extractor_errors[key]
        if key not in self._extractors:
            try:
                factory = self.factories[key]
            except KeyError:
                raise WeightsUnavailable(f"no feature extractor {key!r}; known: {', '.join(self.factories)}") from None
            try:
                self._extractors[key] = factory(self)
            except WeightsUnavailable as exc:
                self._extractor_errors[key] = exc
                raise
        return self._extractors[key]

    def backbone(self, key: str) -> str:
        """The ``backbone_hash`` of extractor ``key`` if it was built and has one, else ""."""
        return str(getattr(self._extractors.get(key), "backbone_hash", "") or "")

    def _reporting(self, ext, label: str) -> None:
        """Point an extractor's per-batch progress at ``self.progress`` under ``label`` (if it reports)."""
        if self.progress is not None and hasattr(ext, "progress"):
            report = self.progress
            ext.progress = lambda done, total: report(label, done, total)

    def fake_features(self, key: str) -> torch.Tensor:
        if key not in self._fake_features:
            ext = self.extractor(key)
            self._reporting(ext, f"{key} generated")
            if hasattr(ext, "features_and_logits"):
                feats, logits = ext.features_and_logits(self.fake_images)
                self._fake_logits[key] = logits
            else:
                feats = ext(self.fake_images)
            self._fake_features[key] = feats.float()
        return self._fake_features[key]

    def fake_logits(self, key: str) -> torch.Tensor:
        if key not in self._fake_logits:
            ext = self.extractor(key)
            if not hasattr(ext, "logits"):
                raise WeightsUnavailable(f"extractor {ext.name} gives no class logits")
            self._fake_logits[key] = ext.logits(self.fake_images)
        return self._fake_logits[key]

    def real_summary(self, key: str) -> feat.RealSummary:
        """Real test-set statistics for extractor ``key``, from the feature cache when present."""
        if key not in self._real_summaries:
            ext = self.extractor(key)
            n_real = len(self.real)
            payload = self.cache.get(self.dataset_key, ext.name, n_real)
            summary = feat.RealSummary.from_bytes(payload) if payload is not None else None
            if summary is None or not summary.complete:  # not cached, or cached before per-class sums existed
                self.real_extractions += 1
                self._reporting(ext, f"{key} real")
                feats = ext(self.real.images)
                summary = feat.RealSummary.from_features(feats, self.real.labels, self.num_classes)
                self.cache.put(self.dataset_key, ext.name, n_real, summary.to_bytes())
            self._real_summaries[key] = summary
        return self._real_summaries[key]

    def train_features(self, key: str) -> torch.Tensor:
        """Features of ``self.train`` for extractor ``key`` (float32, CPU), from the feature cache when present."""
        if key not in self._train_features:
            ext = self.extractor(key)
            train = self.train
            dataset = self.train_key
            payload = self.cache.get(dataset, ext.name, len(train))
            if payload is not None:
                feats = torch.from_numpy(np.load(io.BytesIO(payload), allow_pickle=False))
            else:
                self._reporting(ext, f"{key} train")
                feats = ext(train.images).float().cpu()
                buf = io.BytesIO()
                np.save(buf, feats.numpy(), allow_pickle=False)
                self.cache.put(dataset, ext.name, len(train), buf.getvalue())
            self._train_features[key] = feats
        return self._train_features[key]


def _digest(data) -> str:
    """Short SHA-1 of images and labels: a cache key never mixes data sets."""
    digest = hashlib.sha1(data.images.cpu().numpy().tobytes())
    digest.update(data.labels.cpu().numpy().tobytes())
    return digest.hexdigest()[:12]


def generate(generator, n: int, latent_dim: int, device: torch.device, seed: int = EVAL_SEED, num_classes: int = NUM_CLASSES):
    """Class-balanced uint8 samples via the engine's ``sampling.generate`` (labels ``i % classes``)."""
    from cgan_tui.gan import sampling

    images, labels = sampling.generate(generator, n, latent_dim, device=device, seed=seed, as_uint8=True, num_classes=num_classes)
    return images, labels
