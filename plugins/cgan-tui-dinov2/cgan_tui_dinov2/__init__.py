"""cgan-tui plugin: the ``dinov2`` feature backend and FD-DINOv2 on it (Stein et al. 2023, dgm-eval).

A backend plugs in with two hooks: ``register_backends`` gives the network (an extractor factory) and
its weight file (``cgan-tui weights fetch dinov2-vits14`` downloads it from Meta's URL); a metric with
``backend="dinov2"`` reads its features through the ``MetricContext``. Values are stored as
``fd@dinov2`` and listed by ``cgan-tui ls --backend dinov2``. torch loads only when a metric runs.
"""

from __future__ import annotations

from cgan_tui import Backend, BackendWeights, Metric, hookimpl, lazy

__version__ = "0.1.0"

CGAN_TUI_SPEC = 3
"""The hook spec this plugin needs (``register_backends``): cgan-tui checks it before loading the plugin."""

BACKEND = "dinov2"
URL = "https://dl.fbaipublicfiles.com/dinov2/dinov2_vits14/dinov2_vits14_pretrain.pth"
"""DINOv2 ViT-S/14 backbone, the URL the facebookresearch/dinov2 torch.hub entry downloads."""
SHA256: str | None = None
"""Meta publishes no checksum for this file and the torch.hub entry loads it with ``check_hash=False``.
Until a digest is pinned here (``sha256sum`` of a copy you trust), ``weights fetch`` refuses a download
that does not load as a DINOv2 ViT (strict state-dict load); the hash of the file in use is stored with
every value either way (``backbone``)."""

WEIGHTS = BackendWeights(
    name="dinov2-vits14",
    filename="dinov2_vits14_pretrain.pth",
    url=URL,
    sha256=SHA256,
    used_by="fd (backend dinov2): DINOv2 ViT-S/14 CLS features",
    validate=lazy("cgan_tui_dinov2.vit:validate_file"),
    how_to_get="`cgan-tui weights fetch dinov2-vits14` (needs internet once) or "
    "`cgan-tui weights import dinov2-vits14 FILE`",
)


@hookimpl
def register_backends() -> list[Backend]:
    """``dinov2``: CLS token of DINOv2 ViT-S/14 on images resized to 224 and ImageNet-normalised."""
    return [
        Backend(
            name=BACKEND,
            extractor=lazy("cgan_tui_dinov2.extractor:build"),
            weights=(WEIGHTS,),
            description="DINOv2 ViT-S/14 CLS features (384-d), as dgm-eval",
        )
    ]


@hookimpl
def register_metrics() -> list[Metric]:
    """``fd_dinov2``: Frechet distance between real and generated DINOv2 features (``fd@dinov2``)."""
    return [
        Metric(
            name="fd_dinov2",
            backend=BACKEND,
            compute=lazy("cgan_tui_dinov2.metric:compute"),
            better="lower",
            better_by_value={"fd": "lower"},
            description="FD-DINOv2: Frechet distance on DINOv2 ViT-S/14 features (Stein et al. 2023)",
        )
    ]
