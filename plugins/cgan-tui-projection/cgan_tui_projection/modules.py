"""The torch modules behind the two schemes; imported only when a model is built."""

from __future__ import annotations

import torch
from torch import nn

from cgan_tui import DiscriminatorConditioner, EmbeddingEncoder  # generator side: the built-in embedding

__all__ = ["EmbeddingEncoder", "ProjectionConditioner", "AuxClassifierConditioner"]


class ProjectionConditioner(DiscriminatorConditioner):
    """``projection(phi, y) = sum(embed(y) * phi)``: one learned vector per class, in feature space.

    ``embed_dim`` and ``image_shape`` are unused: the class vectors live in the trunk's feature space.
    """

    extra_channels = 0

    def __init__(self, num_classes: int, embed_dim: int, image_shape, feature_dim: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_classes, feature_dim)
        nn.init.xavier_uniform_(self.embedding.weight)  # as in Miyato's reference code

    def projection(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return (self.embedding(labels) * features.flatten(1)).sum(dim=1)


class AuxClassifierConditioner(DiscriminatorConditioner):
    """``classify(phi) -> logits``: a linear class head on the trunk's features (AC-GAN)."""

    extra_channels = 0

    def __init__(self, num_classes: int, embed_dim: int, image_shape, feature_dim: int) -> None:
        super().__init__()
        self.classifier = nn.Linear(feature_dim, num_classes)

    def classify(self, features: torch.Tensor) -> torch.Tensor:
        return self.classifier(features.flatten(1))
