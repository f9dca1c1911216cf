"""Label encoders (generator side) and conditioners (discriminator side) of the built-in schemes.

Factories follow ``cgan_tui.specs.Conditioning``: ``generator(num_classes, embed_dim)`` and
``discriminator(num_classes, embed_dim, image_shape, feature_dim)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from cgan_tui.gan.models.common import DiscriminatorConditioner, LabelEncoder


class EmbeddingEncoder(LabelEncoder):
    """``nn.Embedding(num_classes, embed_dim)`` (seed 000: dims 10/32; seed 004: 10)."""

    def __init__(self, num_classes: int, embed_dim: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_classes, embed_dim)
        self.out_dim = embed_dim

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return self.embedding(labels)


class OneHotEncoder(LabelEncoder):
    """One-hot labels (seed 004's ``F.one_hot(label, 10)``); ``embed_dim`` is ignored."""

    def __init__(self, num_classes: int, embed_dim: int = 0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.out_dim = num_classes

    def forward(self, labels: torch.Tensor) -> torch.Tensor:
        return F.one_hot(labels, self.num_classes).float()


class EmbeddingChannels(DiscriminatorConditioner):
    """Seed 004's ``Discriminator_Embedding``: an embedding broadcast to ``embed_dim`` full-size channels."""

    def __init__(self, num_classes: int, embed_dim: int, image_shape=(1, 28, 28), feature_dim: int = 0) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_classes, embed_dim)
        self.extra_channels = embed_dim

    def channels(self, labels: torch.Tensor, height: int, width: int) -> torch.Tensor:
        emb = self.embedding(labels)
        return emb.view(emb.shape[0], -1, 1, 1).expand(-1, -1, height, width)


class OneHotChannels(DiscriminatorConditioner):
    """Seed 004's ``Discriminator_OneHot``: ``num_classes`` one-hot channels (11 channels in with the image)."""

    def __init__(self, num_classes: int, embed_dim: int = 0, image_shape=(1, 28, 28), feature_dim: int = 0) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.extra_channels = num_classes

    def channels(self, labels: torch.Tensor, height: int, width: int) -> torch.Tensor:
        onehot = F.one_hot(labels, self.num_classes).float()
        return onehot.view(-1, self.num_classes, 1, 1).expand(-1, -1, height, width)


class LabelMap(DiscriminatorConditioner):
    """Seed 000's "28x28 label map" channel: ``nn.Embedding(num_classes, H*W)`` reshaped to ``1xHxW``."""

    extra_channels = 1

    def __init__(self, num_classes: int, embed_dim: int = 0, image_shape=(1, 28, 28), feature_dim: int = 0) -> None:
        super().__init__()
        self.height, self.width = int(image_shape[-2]), int(image_shape[-1])
        self.embedding = nn.Embedding(num_classes, self.height * self.width)

    def channels(self, labels: torch.Tensor, height: int, width: int) -> torch.Tensor:
        return self.embedding(labels).view(-1, 1, self.height, self.width)
