"""The latent diffusion's autoencoder: 1x28x28 <-> C x 7 x 7, deterministic, trained with L1."""

from __future__ import annotations

import torch
from torch import nn


def _block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.GroupNorm(min(8, cout), cout), nn.SiLU())


class AutoEncoder(nn.Module):
    def __init__(self, latent_channels: int = 4, channels: int = 32) -> None:
        super().__init__()
        c = channels
        self.encoder = nn.Sequential(
            _block(1, c), nn.Conv2d(c, c, 4, stride=2, padding=1),  # 28 -> 14
            _block(c, 2 * c), nn.Conv2d(2 * c, 2 * c, 4, stride=2, padding=1),  # 14 -> 7
            _block(2 * c, 2 * c), nn.Conv2d(2 * c, latent_channels, 1),
        )  # fmt: skip
        self.decoder = nn.Sequential(
            nn.Conv2d(latent_channels, 2 * c, 3, padding=1), _block(2 * c, 2 * c),
            nn.ConvTranspose2d(2 * c, c, 4, stride=2, padding=1), _block(c, c),  # 7 -> 14
            nn.ConvTranspose2d(c, c, 4, stride=2, padding=1), _block(c, c),  # 14 -> 28
            nn.Conv2d(c, 1, 3, padding=1), nn.Tanh(),
        )  # fmt: skip

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)
