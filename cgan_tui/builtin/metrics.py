"""Built-in metrics, registered like any plugin's. Torch-free at import: bodies are lazy.

Backends: ``inception`` (standard FID Inception features: FID, KID; IS needs torch-fidelity's
logits), ``lpips`` (AlexNet-LPIPS: to-real distance as in seed 000, and within-class diversity),
``pixel`` (seed 004's PSNR) and ``classifier`` (our Fashion-MNIST CNN, shipped in the package: domain
FID, IS and LPIPS, so ``combined@classifier`` exists on every install; class consistency, per-class
diversity with a mode-collapse count, intra-FID, precision/recall/density/coverage and memorisation). ``available()`` only checks files,
so a missing weight is reported without loading anything.
"""

from __future__ import annotations

import importlib.util

from cgan_tui.gan import weights
from cgan_tui.gan.metrics import body
from cgan_tui.hooks import hookimpl
from cgan_tui.specs import Metric


def _needs(*names: str):
    def available() -> str | None:
        for name in names:
            st = weights.status(name)
            if st.path is None:
                return st.reason()
        return None

    return available


def _inception_available() -> str | None:
    if weights.status("fid-inception").path is not None:
        return None
    fidelity = weights.status("torch-fidelity-inception")
    if fidelity.path is not None and not fidelity.note:
        return None
    return weights.status("fid-inception").reason()


def _is_available() -> str | None:
    st = weights.status("torch-fidelity-inception")
    if importlib.util.find_spec("torch_fidelity") is None:
        return (
            "Inception Score needs Inception class logits: torch-fidelity's network (pip install torch-fidelity "
            f"and its weights {st.spec.filename}); default_1.pt has no logits layer"
        )
    if st.path is None:
        return "Inception Score needs Inception class logits: " + st.reason()
    return None


METRICS = [
    Metric(
        name="fid",
        backend="inception",
        compute=body("fid_inception"),
        better="lower",
        better_by_value={"fid": "lower"},
        available=_inception_available,
        description="Frechet Inception Distance on standard FID Inception pool3 features",
    ),
    Metric(
        name="kid",
        backend="inception",
        compute=body("kid_inception"),
        better="lower",
        better_by_value={"kid": "lower", "kid_std": "lower", "kid_se": "lower"},
        hidden_values=("kid_std", "kid_se"),
        available=_inception_available,
        description="Kernel Inception Distance (torchmetrics, subsets of min(1000, n))",
    ),
    Metric(
        name="is",
        backend="inception",
        compute=body("is_inception"),
        better="higher",
        better_by_value={"is": "higher", "is_std": "lower"},
        hidden_values=("is_std",),
        available=_is_available,
        description="Inception Score from torch-fidelity's Inception logits",
    ),
    Metric(
        name="lpips",
        backend="lpips",
        compute=body("lpips_to_real"),
        better="lower",
        better_by_value={"lpips": "lower"},
        available=_needs("lpips-alex", "lpips-alex-linear"),
        description="AlexNet-LPIPS between each sample and a real image of its class (seed 000)",
    ),
    Metric(
        name="lpips_diversity",
        backend="lpips",
        compute=body("lpips_diversity"),
        better="higher",
        better_by_value={"lpips_diversity": "higher"},
        available=_needs("lpips-alex", "lpips-alex-linear"),
        description="Mean AlexNet-LPIPS between samples of the same class",
    ),
    Metric(
        name="psnr",
        backend="pixel",
        compute=body("psnr_pixel"),
        better="higher",
        better_by_value={"psnr": "higher"},
        every_epoch=True,
        description="PSNR of samples vs real images of the same class, range [0, 1] (seed 004)",
    ),
    Metric(
        name="classifier_fid",
        backend="classifier",
        compute=body("fid_classifier"),
        better="lower",
        better_by_value={"fid": "lower", "fid_se": "lower"},
        hidden_values=("fid_se",),
        every_epoch=True,
        description="Domain FID on the Fashion-MNIST classifier's penultimate features (fid_se: bootstrap SE)",
    ),
    Metric(
        name="classifier_is",
        backend="classifier",
        compute=body("is_classifier"),
        better="higher",
        better_by_value={"is": "higher", "is_std": "lower"},
        hidden_values=("is_std",),
        every_epoch=True,
        description="Domain Inception Score from the Fashion-MNIST classifier's logits",
    ),
    Metric(
        name="classifier_lpips",
        backend="classifier",
        compute=body("lpips_classifier"),
        better="lower",
        better_by_value={"lpips": "lower"},
        every_epoch=True,
        description="LPIPS (uniform weights) on the classifier's conv layers, sample vs real of its class; "
        "not comparable with AlexNet-LPIPS",
    ),
    Metric(
        name="classifier_lpips_diversity",
        backend="classifier",
        compute=body("lpips_diversity_classifier"),
        better="higher",
        better_by_value={"lpips_diversity": "higher"},
        every_epoch=True,
        description="Mean classifier-LPIPS between samples of the same class",
    ),
    Metric(
        name="class_acc",
        backend="classifier",
        compute=body("class_acc"),
        better="higher",
        better_by_value={"class_acc": "higher"},
        every_epoch=True,
        description="Class consistency: share of class-c samples classified as c",
    ),
    Metric(
        name="diversity",
        backend="classifier",
        compute=body("diversity"),
        better="higher",
        better_by_value={"diversity": "higher", "min_diversity": "higher", "mode_collapse": "lower"},
        hidden_values=("diversity", "min_diversity"),  # per-class detail: mode_collapse is the headline
        every_epoch=True,
        description="Per-class feature diversity vs real; mode_collapse counts classes below 0.5x real",
    ),
    Metric(
        name="intra_fid",
        backend="classifier",
        compute=body("intra_fid"),
        better="lower",
        better_by_value={"intra_fid": "lower", "intra_fid_se": "lower"},
        hidden_values=("intra_fid_se",),
        every_epoch=True,
        description="Intra-FID: mean of the per-class FIDs (intra_fid_cK, each with its n), bootstrap SE",
    ),
    Metric(
        name="prdc",
        backend="classifier",
        compute=body("prdc_classifier"),
        better="higher",
        better_by_value={"precision": "higher", "recall": "higher", "density": "higher", "coverage": "higher"},
        every_epoch=True,
        description="Precision/recall (Kynkaanniemi 2019), density/coverage (Naeem 2020), k=5, generated vs real",
    ),
    Metric(
        name="memorisation",
        backend="classifier",
        compute=body("memorisation"),
        better="lower",
        better_by_value={"memorised": "lower"},
        description="Share of samples nearer to the training set than 99 % of real test images (1st percentile)",
    ),
]


@hookimpl
def register_metrics() -> list[Metric]:
    """FID/KID/IS (inception), LPIPS (lpips), PSNR (pixel), domain metrics (classifier)."""
    return list(METRICS)
