"""Built-in model families: the two seed architectures with the seeds' hyper-parameters."""

from __future__ import annotations

from cgan_tui.hooks import hookimpl
from cgan_tui.lazy import lazy
from cgan_tui.specs import ModelFamily

BF16_AUTO_DEVICES = ("cpu",)
"""Where ``precision = auto`` may train these families in bf16 (where native). Not CUDA: on an H200
bf16 autocast was slower than fp32 for both (seed004 18,983 vs 21,580 images/s, seed000 4,299 vs
5,045; FID within seed-to-seed noise; benchmarks/train_throughput.py, docs/engine.md)."""

SEED000_DEFAULTS = {
    "latent_dim": 200,  # seed 000: "잠재 벡터 차원: 200"
    "batch_size": 64,  # seed 000: "배치 크기: 64"
    "lr_g": 2e-4,  # seed 000: "학습률: BCE/Hinge 0.0002, WGAN-GP 0.0001"
    "lr_d": 2e-4,
    "betas": (0.5, 0.999),  # Keras-GAN / PyTorch-GAN DCGAN Adam(0.0002, 0.5)
    "n_critic": 1,
    "hflip": False,  # seed 000 names no augmentation
    "bn_momentum": 0.2,  # seed 000 "Momentum 0.8" (Keras) == PyTorch 0.2
    "bn_eps": 1e-3,  # Keras BatchNormalization default epsilon (the seed's momentum is Keras-style)
    "gp_weight": 10.0,
}

SEED004_DEFAULTS = {
    "latent_dim": 100,  # notebook: noise_dim=100
    "batch_size": 128,  # notebook: DataLoader(batch_size=128)
    "lr_g": 2e-4,  # notebook: optim.Adam(netG.parameters(), lr=0.0002)
    "lr_d": 1e-4,  # notebook: optim.Adam(netD.parameters(), lr=0.0001)
    "betas": (0.9, 0.999),  # notebook passes no betas: PyTorch's Adam default
    "n_critic": 1,
    "hflip": True,  # notebook: transforms.RandomHorizontalFlip()
    "bn_momentum": 0.1,  # notebook: nn.BatchNorm2d(C) defaults
    "bn_eps": 1e-5,
    "gp_weight": 10.0,
}


SEED000_LABEL_MAP_SCHEMES = frozenset({"embedding", "one-hot"})
"""G-side schemes for which seed 000's D takes its 28x28 label-map channel instead."""


def _label_map(g_conditioning: str) -> str:
    """Seed 000's D gets the image plus a 28x28 label map for the seed's own G schemes.

    Any other scheme (a plugin's projection or AC-GAN, say) is D-side by nature and keeps its name,
    so ``--conditioning projection`` really conditions the discriminator by projection.
    """
    return "label-map" if g_conditioning in SEED000_LABEL_MAP_SCHEMES else g_conditioning


def _same_scheme(g_conditioning: str) -> str:
    """Seed 004 conditions D with the same scheme as G (one-hot/one-hot, embedding/embedding)."""
    return g_conditioning


@hookimpl
def register_models() -> list[ModelFamily]:
    """seed000 (Keras-GAN-style DCGAN, 24-model study) and seed004 (the notebook's DCGAN)."""
    return [
        ModelFamily(
            "seed000",
            build=lazy("cgan_tui.gan.models.seed000:build"),
            defaults=SEED000_DEFAULTS,
            loss_overrides={"wgan-gp": {"lr_g": 1e-4, "lr_d": 1e-4}},
            default_d_conditioning=_label_map,
            description="seed 000: FC->BN->upsample->conv G (latent 200), image+label-map D",
            bf16_auto_devices=BF16_AUTO_DEVICES,
        ),
        ModelFamily(
            "seed004",
            build=lazy("cgan_tui.gan.models.seed004:build"),
            defaults=SEED004_DEFAULTS,
            default_d_conditioning=_same_scheme,
            description="seed 004: ConvTranspose 110->128x7x7->64x14x14->1x28x28 G, 11-channel D",
            bf16_auto_devices=BF16_AUTO_DEVICES,
        ),
    ]
