"""LPIPS: AlexNet-LPIPS (``lpips`` backend: to a real image of the class, and within-class diversity) and
its classifier-features variant (``classifier`` backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from cgan_tui.gan import weights
from cgan_tui.gan.metrics.context import MetricContext
from cgan_tui.gan.metrics.pairs import pair_by_class, within_class_pairs
from cgan_tui.gan.weights import MetricUnavailable

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


_LPIPS_MODELS: dict[tuple, Any] = {}
"""(file, size, mtime, device) -> built LPIPS network: building one initialises a full AlexNet."""


def _lpips_model(ctx: MetricContext):
    alex = weights.require("lpips-alex")
    weights.require("lpips-alex-linear")
    st = alex.stat()
    key = (str(alex), st.st_size, st.st_mtime_ns, str(ctx.device))
    if key not in _LPIPS_MODELS:
        _LPIPS_MODELS.clear()
        _LPIPS_MODELS[key] = build_lpips(alex, ctx.device)
    return _LPIPS_MODELS[key]


def lpips_to_real(ctx: MetricContext) -> dict[str, float]:
    """Seed 000's LPIPS: each generated image vs a real image of the same class (lower = closer)."""
    model = _lpips_model(ctx)
    fi, ri = pair_by_class(ctx.fake_labels, ctx.real.labels, ctx.num_classes)
    d = lpips_distances(model, ctx.fake_images[fi.to(ctx.fake_images.device)], ctx.real.images[ri], ctx.device)
    return {"lpips": float(d.mean())}


def lpips_diversity(ctx: MetricContext) -> dict[str, float]:
    """Mean LPIPS between generated images of the same class (each with the next one; higher = more diverse)."""
    model = _lpips_model(ctx)
    a, b = within_class_pairs(ctx.fake_labels, ctx.num_classes)
    dev = ctx.fake_images.device
    d = lpips_distances(model, ctx.fake_images[a.to(dev)], ctx.fake_images[b.to(dev)], ctx.device)
    return {"lpips_diversity": float(d.mean())}


def lpips_classifier(ctx: MetricContext) -> dict[str, float]:
    """LPIPS on the classifier's conv layers, paired exactly as ``lpips_to_real`` (lower = closer)."""
    ext = ctx.extractor("classifier")
    fi, ri = pair_by_class(ctx.fake_labels, ctx.real.labels, ctx.num_classes)
    d = ext.lpips(ctx.fake_images[fi.to(ctx.fake_images.device)], ctx.real.images[ri])
    return {"lpips": float(d.mean())}


def lpips_diversity_classifier(ctx: MetricContext) -> dict[str, float]:
    """Classifier LPIPS between generated images of the same class, paired as ``lpips_diversity``."""
    ext = ctx.extractor("classifier")
    a, b = within_class_pairs(ctx.fake_labels, ctx.num_classes)
    if len(a) == 0:
        raise MetricUnavailable(
            f"lpips_diversity needs at least 2 samples per class (n={ctx.n} gives {ctx.n // ctx.num_classes}); use n >= 20"
        )
    dev = ctx.fake_images.device
    d = ext.lpips(ctx.fake_images[a.to(dev)], ctx.fake_images[b.to(dev)])
    return {"lpips_diversity": float(d.mean())}
