"""Shells shared by every model family so that any conditioning scheme fits any architecture.

A generator is ``label encoder -> concat with noise -> body``; a discriminator is
``extra label channels -> trunk -> features -> head (+ projection term) (+ auxiliary classifier)``.
Model families supply the bodies/trunks; conditioning plugins supply the label parts.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


class DiscOutput(NamedTuple):
    """Raw critic score per image (no sigmoid) and, for AC-GAN-style schemes, class logits."""

    score: torch.Tensor
    class_logits: torch.Tensor | None = None


class LabelEncoder(nn.Module):
    """Generator-side conditioning: labels ``(N,)`` -> ``(N, out_dim)``. Subclasses set ``out_dim``."""

    out_dim: int


class DiscriminatorConditioner(nn.Module):
    """Discriminator-side conditioning. The defaults do nothing; subclasses override what they use.

    ``extra_channels``: channels ``channels()`` returns, concatenated to the image.
    ``projection(features, labels)``: a term added to the score (projection discriminator).
    ``classify(features)``: class logits for an auxiliary-classifier loss, or None.
    """

    extra_channels: int = 0

    def channels(self, labels: torch.Tensor, height: int, width: int) -> torch.Tensor | None:
        return None

    def projection(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor | None:
        return None

    def classify(self, features: torch.Tensor) -> torch.Tensor | None:
        return None


class ConditionedGenerator(nn.Module):
    """``G(z, labels)``: concatenates the encoded labels to the noise and runs the family's body.

    ``encoder``: a ``LabelEncoder`` (a conditioning plugin's generator side, ``out_dim`` numbers per
    label); ``body``: maps ``(N, latent_dim + encoder.out_dim)`` to images ``(N, 1, 28, 28)`` in
    ``[-1, 1]``; ``latent_dim``: the noise size (``config.latent_dim``). A body whose class sets
    ``takes_labels = True`` is called ``body(x, labels)`` (conditional batch norm and other schemes
    that condition inside the body); any other body is called ``body(x)``.
    """

    def __init__(self, encoder: LabelEncoder, body: nn.Module, latent_dim: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.body = body
        self.latent_dim = latent_dim
        self.body_takes_labels = bool(getattr(body, "takes_labels", False))

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = torch.cat([z, self.encoder(labels)], dim=1)
        return self.body(x, labels) if self.body_takes_labels else self.body(x)


class ConditionedDiscriminator(nn.Module):
    """``D(images, labels) -> DiscOutput``.

    ``conditioner``: a ``DiscriminatorConditioner`` (a conditioning plugin's discriminator side);
    ``trunk``: maps ``(N, 1 + conditioner.extra_channels, H, W)`` to features ``(N, F)``; ``head``: maps
    the features to one raw score per image (``nn.Linear(F, 1)``). The conditioner's projection term is
    added to the score and its ``classify(features)`` gives the class logits (or None)."""

    def __init__(self, conditioner: DiscriminatorConditioner, trunk: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.conditioner = conditioner
        self.trunk = trunk
        self.head = head

    def forward(self, images: torch.Tensor, labels: torch.Tensor) -> DiscOutput:
        extra = self.conditioner.channels(labels, images.shape[-2], images.shape[-1])
        x = images if extra is None else torch.cat([images, extra.to(images.dtype)], dim=1)
        features = self.trunk(x)
        score = self.head(features).view(-1)
        projected = self.conditioner.projection(features, labels)
        if projected is not None:
            score = score + projected.view(-1)
        return DiscOutput(score=score, class_logits=self.conditioner.classify(features))
