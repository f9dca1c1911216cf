"""One evaluation of a generator: class-balanced samples, every selected metric, honest results.

``evaluate()`` builds a lazy ``MetricContext`` (samples, real test images, features per extractor)
and calls each metric plugin's ``compute(ctx)``. Real-data summaries are looked up in a feature
cache keyed by (dataset + content digest, extractor name, n) before any real image is embedded, so a
second evaluation pays nothing for the reals. A metric whose weights are missing yields results
with ``value=None`` and the reason; a metric that raises yields the error text the same way.

The built-in metrics' ``compute`` functions live at the bottom of this module (the plugin module
``cgan_tui.builtin.metrics`` refers to them lazily, so listing plugins never imports torch).
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Protocol

import torch

from cgan_tui.gan import features as feat
from cgan_tui.gan.cache_counter import CacheCounter
from cgan_tui.gan import fid as fidlib
from cgan_tui.gan import weights
from cgan_tui.gan.weights import MetricUnavailable, WeightsUnavailable

log = logging.getLogger(__name__)

NUM_CLASSES = 10
EVAL_SEED = 12345
"""Noise seed of evaluation samples: every epoch of every run is judged on the same latent points."""
DEFAULT_N_CUDA = 10_000
DEFAULT_N_CPU = 1_000
MODE_COLLAPSE_THRESHOLD = 0.5
"""A class is flagged as mode-collapsed when its generated samples' mean pairwise classifier-feature
distance is below this fraction of the real test images' (same class, same classifier)."""
REAL_DATASET = "fashion-mnist-test"


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


ExtractorFactory = Callable[["MetricContext"], Any]
EvalProgress = Callable[[str, int, int], None]
"""``progress(label, done, total)``: images embedded so far, e.g. ``("inception generated", 300, 1000)``."""


def _inception(ctx: "MetricContext"):
    if weights.status("fid-inception").path is None and weights.status("torch-fidelity-inception").path is not None:
        try:
            return feat.TorchFidelityInception(ctx.device)
        except (ImportError, WeightsUnavailable):
            pass
    return feat.InceptionFID(ctx.device)


def _inception_logits(ctx: "MetricContext"):
    if weights.status("fid-inception").path is None:  # FID runs on torch-fidelity's network too:
        try:  # IS shares its model and its one pass over the samples
            shared = ctx.extractor("inception")
        except WeightsUnavailable:
            shared = None
        if isinstance(shared, feat.TorchFidelityInception):
            return shared
    try:
        return feat.TorchFidelityInception(ctx.device)
    except WeightsUnavailable as exc:
        raise WeightsUnavailable(
            f"Inception Score needs Inception logits: {exc.reason} (default_1.pt has no logits layer)"
        ) from None
    except ImportError:
        raise WeightsUnavailable(
            "Inception Score needs torch-fidelity's Inception (pip install torch-fidelity, plus its weights "
            "file); default_1.pt has no logits layer"
        ) from None


def _classifier(ctx: "MetricContext"):
    from cgan_tui.gan import classifier

    return classifier.extractor(ctx.device)


DEFAULT_EXTRACTORS: dict[str, ExtractorFactory] = {
    "inception": _inception,
    "inception_logits": _inception_logits,
    "classifier": _classifier,
}
"""Extractor key -> factory(ctx). Tests and plugins may pass their own mapping to ``evaluate``."""


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
        self._fake: tuple[torch.Tensor, torch.Tensor] | None = None
        self._extractors: dict[str, Any] = {}
        self._extractor_errors: dict[str, WeightsUnavailable] = {}
        self._fake_features: dict[str, torch.Tensor] = {}
        self._fake_logits: dict[str, torch.Tensor] = {}
        self._real_summaries: dict[str, feat.RealSummary] = {}
        self._dataset_key: str | None = None
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
    def dataset_key(self) -> str:
        """``fashion-mnist-test:<digest of the images used>``: a cache never mixes data sets."""
        if self._dataset_key is None:
            digest = hashlib.sha1(self.real.images.cpu().numpy().tobytes())
            digest.update(self.real.labels.cpu().numpy().tobytes())
            self._dataset_key = f"{REAL_DATASET}:{digest.hexdigest()[:12]}"
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
            if payload is not None:
                summary = feat.RealSummary.from_bytes(payload)
            else:
                self.real_extractions += 1
                self._reporting(ext, f"{key} real")
                feats = ext(self.real.images)
                summary = feat.RealSummary.from_features(feats, self.real.labels, self.num_classes)
                self.cache.put(self.dataset_key, ext.name, n_real, summary.to_bytes())
            self._real_summaries[key] = summary
        return self._real_summaries[key]


def generate(generator, n: int, latent_dim: int, device: torch.device, seed: int = EVAL_SEED, num_classes: int = NUM_CLASSES):
    """Class-balanced uint8 samples via the engine's ``sampling.generate`` (labels ``i % classes``)."""
    from cgan_tui.gan import sampling

    images, labels = sampling.generate(generator, n, latent_dim, device=device, seed=seed, as_uint8=True, num_classes=num_classes)
    return images, labels


# ------------------------------------------------------------------------------------- evaluate


def value_names(metric) -> list[str]:
    """The value names a metric produces (declared through ``better_by_value``, else its name)."""
    return list(metric.better_by_value) or [metric.name]


def select_metrics(registry: Iterable, wanted: Iterable[str] | None = None, every_epoch_only: bool = False) -> list:
    """Metrics by name or backend name (``["fid", "classifier"]``); all when ``wanted`` is None."""
    metrics = list(registry)
    if wanted is not None:
        wanted = list(wanted)
        names = {m.name for m in metrics} | {m.backend for m in metrics}
        unknown = [w for w in wanted if w not in names]
        if unknown:
            from cgan_tui.errors import UserError

            raise UserError(
                f"unknown metric(s) {', '.join(unknown)}; valid: {', '.join(sorted({m.name for m in metrics}))} "
                f"or a backend: {', '.join(sorted({m.backend for m in metrics}))}"
            )
        metrics = [m for m in metrics if m.name in wanted or m.backend in wanted]
    if every_epoch_only:
        metrics = [m for m in metrics if m.every_epoch]
    return metrics


def evaluate(
    generator: torch.nn.Module,
    config,  # cgan_tui.config.RunConfig (resolved)
    registries,  # cgan_tui.plugins.Registries
    *,
    epoch: int,
    n: int | None = None,
    device: torch.device | str = "cpu",
    metrics: Iterable[str] | None = None,
    feature_cache: FeatureCacheLike | None = None,
    extractors: Mapping[str, ExtractorFactory] | None = None,
    real: Any = None,
    every_epoch_only: bool = False,
    context: MetricContext | None = None,
    progress: EvalProgress | None = None,
) -> list[MetricResult]:
    """Compute every selected metric for ``generator`` at ``epoch``; never raises for missing weights.

    ``progress(label, done, total)`` is called after every batch of images an extractor embeds."""
    device = torch.device(device)
    n = int(n or default_n(device))
    selected = select_metrics(registries.metrics, metrics, every_epoch_only)
    ctx = context or MetricContext(
        generator, latent_dim=int(config.latent_dim), n=n, device=device, real=real, data_dir=config.data_dir,
        feature_cache=feature_cache, extractors=extractors, progress=progress,
    )  # fmt: skip
    if progress is not None and ctx.progress is None:
        ctx.progress = progress
    results: list[MetricResult] = []
    for metric in selected:
        started = time.perf_counter()
        reason = None
        try:
            reason = metric.available()
        except Exception as exc:  # noqa: BLE001
            reason = f"availability check failed: {type(exc).__name__}: {exc}"
        if reason is None:
            try:
                values = dict(metric.compute(ctx))
            except MetricUnavailable as exc:
                reason = exc.reason
            except Exception as exc:  # noqa: BLE001 - one broken metric must not lose the others
                log.exception("metric %s failed", metric.name)
                reason = f"error: {type(exc).__name__}: {exc}"
        backbone = _backbone(ctx, metric.backend)
        if reason is not None:
            results.extend(
                MetricResult(v, None, metric.backend, ctx.n, reason, metric.name, backbone) for v in value_names(metric)
            )
            continue
        for name, value in values.items():
            if isinstance(value, MetricUnavailable):  # one value of a metric cannot be computed here
                results.append(MetricResult(name, None, metric.backend, ctx.n, value.reason, metric.name))
                continue
            ok = value is not None and torch.isfinite(torch.tensor(float(value))).item()
            results.append(
                MetricResult(name, float(value) if ok else None, metric.backend, ctx.n,
                             None if ok else "not a finite number", metric.name, backbone)  # fmt: skip
            )
        log.info("metric %s (%s) n=%d took %.2fs", metric.name, metric.backend, ctx.n, time.perf_counter() - started)
    return results


def _backbone(ctx: MetricContext, backend: str) -> str:
    """The backbone hash a value of ``backend`` is stored with: the hash of the extractor of the same
    key when the backend has a versioned backbone (``cgan_tui.gan.backbones``), else ""."""
    from cgan_tui.gan import backbones

    expected = backbones.current(backend)
    if expected is None:
        return ""
    return ctx.backbone(backend) or expected


# ------------------------------------------------------------------------ built-in metric bodies


def fid_inception(ctx: MetricContext) -> dict[str, float]:
    return {"fid": fidlib.fid_from_summary(ctx.real_summary("inception"), ctx.fake_features("inception"))}


def kid_inception(ctx: MetricContext) -> dict[str, Any]:
    """KID over 100 subsets of min(1000, n/2); with too few samples for subsets, the mean over the
    whole sets and no std (stored as unavailable with the reason)."""
    real, fake = ctx.real_summary("inception").kid_features, ctx.fake_features("inception")
    m = fidlib.kid_subset_size(len(real), len(fake))
    if m is None:
        mean, _ = fidlib.kid(real, fake, subsets=1, subset_size=max(len(real), len(fake)))
        reason = (f"n={len(fake)} is too small for KID subsets (needs n >= {2 * fidlib.KID_MIN_SUBSET}): "
                  "no spread to report")  # fmt: skip
        return {"kid": mean, "kid_std": MetricUnavailable(reason)}
    mean, std = fidlib.kid(real, fake, subset_size=m)
    return {"kid": mean, "kid_std": std}


def is_inception(ctx: MetricContext) -> dict[str, float]:
    mean, std = fidlib.inception_score(ctx.fake_logits("inception_logits"))
    return {"is": mean, "is_std": std}


_LPIPS_MODELS: dict[tuple, Any] = {}
"""(file, size, mtime, device) -> built LPIPS network: building one initialises a full AlexNet."""


def _lpips_model(ctx: MetricContext):
    alex = weights.require("lpips-alex")
    weights.require("lpips-alex-linear")
    st = alex.stat()
    key = (str(alex), st.st_size, st.st_mtime_ns, str(ctx.device))
    if key not in _LPIPS_MODELS:
        _LPIPS_MODELS.clear()
        _LPIPS_MODELS[key] = fidlib.build_lpips(alex, ctx.device)
    return _LPIPS_MODELS[key]


def lpips_to_real(ctx: MetricContext) -> dict[str, float]:
    """Seed 000's LPIPS: each generated image vs a real image of the same class (lower = closer)."""
    model = _lpips_model(ctx)
    fi, ri = fidlib.pair_by_class(ctx.fake_labels, ctx.real.labels, ctx.num_classes)
    d = fidlib.lpips_distances(model, ctx.fake_images[fi.to(ctx.fake_images.device)], ctx.real.images[ri], ctx.device)
    return {"lpips": float(d.mean())}


def lpips_diversity(ctx: MetricContext) -> dict[str, float]:
    """Mean LPIPS between generated images of the same class (each with the next one; higher = more diverse)."""
    model = _lpips_model(ctx)
    a, b = fidlib.within_class_pairs(ctx.fake_labels, ctx.num_classes)
    dev = ctx.fake_images.device
    d = fidlib.lpips_distances(model, ctx.fake_images[a.to(dev)], ctx.fake_images[b.to(dev)], ctx.device)
    return {"lpips_diversity": float(d.mean())}


def psnr_pixel(ctx: MetricContext) -> dict[str, float]:
    """Seed 004's PSNR: generated vs real images paired by class, data range [0, 1]."""
    fi, ri = fidlib.pair_by_class(ctx.fake_labels, ctx.real.labels, ctx.num_classes)
    return {"psnr": fidlib.psnr(ctx.fake_images[fi.to(ctx.fake_images.device)], ctx.real.images[ri])}


def fid_classifier(ctx: MetricContext) -> dict[str, float]:
    return {"fid": fidlib.fid_from_summary(ctx.real_summary("classifier"), ctx.fake_features("classifier"))}


def is_classifier(ctx: MetricContext) -> dict[str, float]:
    mean, std = fidlib.inception_score(ctx.fake_logits("classifier"))
    return {"is": mean, "is_std": std}


def lpips_classifier(ctx: MetricContext) -> dict[str, float]:
    """LPIPS on the classifier's conv layers, paired exactly as ``lpips_to_real`` (lower = closer)."""
    ext = ctx.extractor("classifier")
    fi, ri = fidlib.pair_by_class(ctx.fake_labels, ctx.real.labels, ctx.num_classes)
    d = ext.lpips(ctx.fake_images[fi.to(ctx.fake_images.device)], ctx.real.images[ri])
    return {"lpips": float(d.mean())}


def lpips_diversity_classifier(ctx: MetricContext) -> dict[str, float]:
    """Classifier LPIPS between generated images of the same class, paired as ``lpips_diversity``."""
    ext = ctx.extractor("classifier")
    a, b = fidlib.within_class_pairs(ctx.fake_labels, ctx.num_classes)
    if len(a) == 0:
        raise MetricUnavailable(
            f"lpips_diversity needs at least 2 samples per class (n={ctx.n} gives {ctx.n // ctx.num_classes}); use n >= 20"
        )
    dev = ctx.fake_images.device
    d = ext.lpips(ctx.fake_images[a.to(dev)], ctx.fake_images[b.to(dev)])
    return {"lpips_diversity": float(d.mean())}


def class_acc(ctx: MetricContext) -> dict[str, float]:
    """Class consistency: the share of samples of class c that the classifier assigns to c."""
    pred = ctx.fake_logits("classifier").argmax(dim=1).cpu()
    return {"class_acc": float((pred == ctx.fake_labels.cpu()).double().mean())}


def diversity(ctx: MetricContext) -> dict[str, float]:
    """Per-class diversity relative to real data and the number of mode-collapsed classes."""
    real_div = torch.as_tensor(ctx.real_summary("classifier").class_diversity)
    fake_div = feat.class_diversity(ctx.fake_features("classifier"), ctx.fake_labels, ctx.num_classes)
    ratio = fake_div / real_div
    valid = torch.isfinite(ratio)
    if not bool(valid.any()):
        raise MetricUnavailable(
            f"diversity needs at least 2 samples per class (n={ctx.n} gives {ctx.n // ctx.num_classes}); use n >= 20"
        )
    ratio = ratio[valid]
    return {
        "diversity": float(ratio.mean()),
        "min_diversity": float(ratio.min()),
        "mode_collapse": float((ratio < MODE_COLLAPSE_THRESHOLD).sum()),
    }


def collapsed_classes(ctx: MetricContext) -> list[int]:
    """Which classes ``diversity`` flags (for reports)."""
    real_div = torch.as_tensor(ctx.real_summary("classifier").class_diversity)
    fake_div = feat.class_diversity(ctx.fake_features("classifier"), ctx.fake_labels, ctx.num_classes)
    ratio = fake_div / real_div
    return [c for c in range(ctx.num_classes) if bool(torch.isfinite(ratio[c])) and float(ratio[c]) < MODE_COLLAPSE_THRESHOLD]
