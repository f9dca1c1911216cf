"""The two families' ``FamilyTrainer``s (cgan-tui's ``ModelFamily.trainer`` contract).

Each returns its training step's values, a sampling module with the GAN generator's interface
(``sampler(z, labels)``: ``z`` is the DDIM start noise, flattened) and its whole state for
checkpoints. Sampling uses an exponential moving average of the UNet's weights (with warm-up, so
short runs sample from recent weights rather than the initialisation).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from cgan_tui_diffusion.autoencoder import AutoEncoder
from cgan_tui_diffusion.diffusion import Diffusion
from cgan_tui_diffusion.unet import UNet

NUM_CLASSES = 10
LATENT_SIZE = 7


class DiffusionSampler(nn.Module):
    """``sampler(z, labels) -> images in [-1, 1]``: DDIM from ``z`` reshaped to ``shape``, decoded
    by ``decoder`` (latent diffusion) after undoing the latent ``scale``."""

    def __init__(self, model: nn.Module, diffusion: Diffusion, shape: tuple[int, ...], steps: int,
                 guidance: float, clip: float | None, decoder: nn.Module | None = None,
                 scale: torch.Tensor | None = None) -> None:  # fmt: skip
        super().__init__()
        self.model, self.diffusion, self.decoder = model, diffusion, decoder
        self.shape, self.steps, self.guidance, self.clip = tuple(shape), int(steps), float(guidance), clip
        self.scale = scale

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        x = self.diffusion.ddim(self.model, z.view(-1, *self.shape), labels, self.steps, self.guidance, self.clip)
        if self.decoder is not None:
            x = self.decoder(x / self.scale)
        return x.clamp(-1, 1)


class _DiffusionCore:
    """UNet + EMA copy + schedule + optimiser: the part both families share."""

    def __init__(self, config, device: torch.device, in_channels: int) -> None:
        extra = dict(config.extra)
        self.extra = extra
        self.unet = UNet(in_channels, int(extra["channels"]), tuple(extra["channel_mults"]), NUM_CLASSES).to(device)
        self.ema_model = copy.deepcopy(self.unet).requires_grad_(False).eval()
        self.diffusion = Diffusion(int(extra["timesteps"]), NUM_CLASSES).to(device)
        self.opt = torch.optim.Adam(self.unet.parameters(), lr=config.lr_g, betas=tuple(config.betas))
        self.diffusion_steps = 0

    def step(self, x0: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        loss = self.diffusion.loss(self.unet, x0, labels, float(self.extra["label_dropout"]))
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.diffusion_steps += 1
        decay = min(float(self.extra["ema"]), (1 + self.diffusion_steps) / (10 + self.diffusion_steps))
        with torch.no_grad():
            for ema, live in zip(self.ema_model.parameters(), self.unet.parameters(), strict=True):
                ema.lerp_(live, 1 - decay)
        return loss

    def sampler(self, shape, clip, decoder=None, scale=None) -> DiffusionSampler:
        return DiffusionSampler(self.ema_model, self.diffusion, shape, int(self.extra["ddim_steps"]),
                                float(self.extra["guidance"]), clip, decoder, scale)  # fmt: skip

    def state_dict(self) -> dict[str, Any]:
        return {"unet": self.unet.state_dict(), "ema": self.ema_model.state_dict(), "opt": self.opt.state_dict(),
                "diffusion_steps": self.diffusion_steps}  # fmt: skip

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.unet.load_state_dict(state["unet"])
        self.ema_model.load_state_dict(state["ema"])
        self.opt.load_state_dict(state["opt"])
        self.diffusion_steps = int(state["diffusion_steps"])


class DDPMTrainer:
    """Diffusion on 1x28x28 pixels; predicted x_0 clipped to [-1, 1] while sampling."""

    def __init__(self, config, device: torch.device) -> None:
        self.core = _DiffusionCore(config, device, in_channels=1)

    def train_step(self, real: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"diffusion_loss": self.core.step(real, labels)}

    def sampler(self) -> nn.Module:
        return self.core.sampler((1, 28, 28), clip=1.0)

    def state_dict(self) -> dict[str, Any]:
        return {"diffusion": self.core.state_dict()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.core.load_state_dict(state["diffusion"])


class LDMTrainer:
    """First ``ae_steps`` steps train the autoencoder (L1 reconstruction); then the autoencoder is
    frozen, the latent scale is fixed from the next batch (latents / their std, as in Stable
    Diffusion) and the same diffusion trains on the scaled 7x7 latents."""

    def __init__(self, config, device: torch.device) -> None:
        extra = dict(config.extra)
        self.latent_channels = int(extra["latent_channels"])
        self.ae_steps = int(extra["ae_steps"])
        self.ae = AutoEncoder(self.latent_channels, int(extra["ae_channels"])).to(device)
        self.ae_opt = torch.optim.Adam(self.ae.parameters(), lr=float(extra["ae_lr"]))
        self.core = _DiffusionCore(config, device, in_channels=self.latent_channels)
        self.ae_steps_done = 0
        self.scale = torch.ones((), device=device)
        self.scale_set = False

    def train_step(self, real: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
        if self.ae_steps_done < self.ae_steps:
            latent = self.ae.encode(real)
            loss = F.l1_loss(self.ae.decode(latent), real) + 1e-4 * latent.pow(2).mean()  # keep latents bounded
            self.ae_opt.zero_grad(set_to_none=True)
            loss.backward()
            self.ae_opt.step()
            self.ae_steps_done += 1
            return {"ae_loss": loss}
        with torch.no_grad():
            latent = self.ae.encode(real)
            if not self.scale_set:
                self.scale = 1.0 / latent.std().clamp(min=1e-6)
                self.scale_set = True
        return {"diffusion_loss": self.core.step(latent * self.scale, labels)}

    def sampler(self) -> nn.Module:
        shape = (self.latent_channels, LATENT_SIZE, LATENT_SIZE)
        return self.core.sampler(shape, clip=None, decoder=self.ae.decoder, scale=self.scale)

    def state_dict(self) -> dict[str, Any]:
        return {
            "autoencoder": self.ae.state_dict(), "ae_opt": self.ae_opt.state_dict(), "ae_steps_done": self.ae_steps_done,
            "scale": float(self.scale), "scale_set": self.scale_set, "diffusion": self.core.state_dict(),
        }  # fmt: skip

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.ae.load_state_dict(state["autoencoder"])
        self.ae_opt.load_state_dict(state["ae_opt"])
        self.ae_steps_done = int(state["ae_steps_done"])
        self.scale = torch.tensor(float(state["scale"]), device=self.scale.device)
        self.scale_set = bool(state["scale_set"])
        self.core.load_state_dict(state["diffusion"])
