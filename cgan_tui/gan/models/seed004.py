"""Seed 004's DCGAN-style cGAN, layer for layer as in its notebook.

G: ``ConvTranspose(100+10 -> 128, k7) -> BN -> ReLU -> ConvTranspose(128 -> 64, k4 s2 p1) -> BN -> ReLU
-> ConvTranspose(64 -> 1, k4 s2 p1) -> Tanh`` (all without bias).
D: ``Conv(1+extra -> 64, k4 s2 p1) -> BN -> LeakyReLU(0.2) -> Conv(64 -> 128, k4 s2 p1) -> BN -> LeakyReLU(0.2)
-> Conv(128 -> 1, k7)``. The last conv over the whole 7x7 map is written as ``Flatten`` (the trunk's
feature vector, F = 6272) plus ``Linear(6272, 1, bias=False)`` (the head): the same function and the
same default initialisation, but it lets projection/auxiliary-classifier plugins reach the features.
The notebook's final ``Sigmoid`` lives in the ``lsgan-sigmoid`` loss, so D returns raw scores.
"""

from __future__ import annotations

from torch import nn

from cgan_tui.classes import IMAGE_SHAPE, NUM_CLASSES
from cgan_tui.gan.models.common import ConditionedDiscriminator, ConditionedGenerator

FEATURE_DIM = 128 * 7 * 7


def generator_body(in_dim: int, bn_momentum: float, bn_eps: float) -> nn.Module:
    return nn.Sequential(
        nn.Unflatten(1, (in_dim, 1, 1)),
        nn.ConvTranspose2d(in_dim, 128, 7, 1, 0, bias=False),  # (128, 7, 7)
        nn.BatchNorm2d(128, eps=bn_eps, momentum=bn_momentum),
        nn.ReLU(True),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),  # (64, 14, 14)
        nn.BatchNorm2d(64, eps=bn_eps, momentum=bn_momentum),
        nn.ReLU(True),
        nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False),  # (1, 28, 28)
        nn.Tanh(),
    )


def discriminator_trunk(in_channels: int, bn_momentum: float, bn_eps: float) -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(in_channels, 64, 4, 2, 1, bias=False),  # (64, 14, 14)
        nn.BatchNorm2d(64, eps=bn_eps, momentum=bn_momentum),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False),  # (128, 7, 7)
        nn.BatchNorm2d(128, eps=bn_eps, momentum=bn_momentum),
        nn.LeakyReLU(0.2, inplace=True),
        nn.Flatten(),  # (6272,)
    )


def build(config, g_conditioning, d_conditioning):
    """``(G, D)`` for a resolved config; any conditioning pair and embed_dim fits."""
    encoder = g_conditioning.generator(NUM_CLASSES, config.embed_dim)
    body = generator_body(config.latent_dim + encoder.out_dim, config.bn_momentum, config.bn_eps)
    conditioner = d_conditioning.discriminator(NUM_CLASSES, config.embed_dim, IMAGE_SHAPE, FEATURE_DIM)
    trunk = discriminator_trunk(IMAGE_SHAPE[0] + conditioner.extra_channels, config.bn_momentum, config.bn_eps)
    head = nn.Linear(FEATURE_DIM, 1, bias=False)
    return ConditionedGenerator(encoder, body, config.latent_dim), ConditionedDiscriminator(conditioner, trunk, head)
