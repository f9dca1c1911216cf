"""Seed 000's cGAN: the Keras-GAN / PyTorch-GAN DCGAN layout its report describes (see seeds/README.md).

G: ``Linear(200+embed -> 128*7*7) -> BN -> Upsample x2 -> Conv3x3(128->128) -> BN -> LeakyReLU(0.2)
-> Upsample x2 -> Conv3x3(128->64) -> BN -> LeakyReLU(0.2) -> Conv3x3(64->1) -> Tanh``.
D: four stride-2 ``Conv3x3`` blocks 16->32->64->128, each ``Conv -> LeakyReLU(0.2) -> Dropout2d(0.25)``
plus ``BN`` from the second block on (PyTorch-GAN's order), 28->14->7->4->2, flattened to F = 512;
head ``Linear(512, 1)``. Every BatchNorm takes the run's ``bn_momentum``/``bn_eps``: the seed's
"momentum 0.8" is Keras's, which is PyTorch ``momentum=0.2`` (PyTorch-GAN's ``BatchNorm2d(C, 0.8)``
sets eps=0.8 by mistake; not copied).
"""

from __future__ import annotations

from torch import nn

from cgan_tui.classes import IMAGE_SHAPE, NUM_CLASSES
from cgan_tui.gan.models.common import ConditionedDiscriminator, ConditionedGenerator

FEATURE_DIM = 128 * 2 * 2


def generator_body(in_dim: int, bn_momentum: float, bn_eps: float) -> nn.Module:
    def bn(c: int) -> nn.BatchNorm2d:
        return nn.BatchNorm2d(c, eps=bn_eps, momentum=bn_momentum)

    return nn.Sequential(
        nn.Linear(in_dim, 128 * 7 * 7),
        nn.Unflatten(1, (128, 7, 7)),
        bn(128),
        nn.Upsample(scale_factor=2),  # 14x14
        nn.Conv2d(128, 128, 3, 1, 1),
        bn(128),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Upsample(scale_factor=2),  # 28x28
        nn.Conv2d(128, 64, 3, 1, 1),
        bn(64),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(64, 1, 3, 1, 1),
        nn.Tanh(),
    )


def discriminator_trunk(in_channels: int, bn_momentum: float, bn_eps: float) -> nn.Module:
    layers: list[nn.Module] = []
    for i, (cin, cout) in enumerate([(in_channels, 16), (16, 32), (32, 64), (64, 128)]):
        layers += [nn.Conv2d(cin, cout, 3, 2, 1), nn.LeakyReLU(0.2, inplace=True), nn.Dropout2d(0.25)]
        if i > 0:
            layers.append(nn.BatchNorm2d(cout, eps=bn_eps, momentum=bn_momentum))
    layers.append(nn.Flatten())  # (128 * 2 * 2,)
    return nn.Sequential(*layers)


def build(config, g_conditioning, d_conditioning):
    """``(G, D)`` for a resolved config; D's default conditioning is the label map (see builtin.models)."""
    encoder = g_conditioning.generator(NUM_CLASSES, config.embed_dim)
    body = generator_body(config.latent_dim + encoder.out_dim, config.bn_momentum, config.bn_eps)
    conditioner = d_conditioning.discriminator(NUM_CLASSES, config.embed_dim, IMAGE_SHAPE, FEATURE_DIM)
    trunk = discriminator_trunk(IMAGE_SHAPE[0] + conditioner.extra_channels, config.bn_momentum, config.bn_eps)
    head = nn.Linear(FEATURE_DIM, 1)
    return ConditionedGenerator(encoder, body, config.latent_dim), ConditionedDiscriminator(conditioner, trunk, head)
