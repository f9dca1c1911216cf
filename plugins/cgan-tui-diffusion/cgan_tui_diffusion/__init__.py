"""cgan-tui plugin: class-conditional diffusion model families that train next to the GANs.

- ``ddpm``: a small class-conditional UNet on 1x28x28 pixels, cosine noise schedule, epsilon
  prediction, classifier-free guidance (labels dropped with probability ``label_dropout`` while
  training), sampled with deterministic DDIM in ``ddim_steps`` steps (default 50).
- ``ldm``: a small autoencoder to a 4x7x7 latent, trained first (``ae_steps`` steps), then the same
  diffusion in latent space; the autoencoder's weights are part of every checkpoint of the run.

Both bring their own training step through ``ModelFamily.trainer`` (hook spec version 3): the engine
keeps the epoch loop, checkpoints, fixed-noise grids (the grid's noise is the sampler's initial noise,
so DDIM maps the same noise to the same images every epoch), evaluation and resume. Options go in
``RunConfig.extra`` (``--set extra.ddim_steps=20``); the defaults are stored with each run.
This module stays torch-free: listing plugins never imports torch.
"""

from __future__ import annotations

from typing import Any

from cgan_tui import ModelFamily, hookimpl

CGAN_TUI_SPEC = 3
"""The hook spec this plugin needs (``ModelFamily.trainer``): cgan-tui checks it before loading the plugin."""

__version__ = "0.1.0"

IMAGE_NUMBERS = 1 * 28 * 28
"""The DDPM sampler's initial noise is one 28x28 image: ``latent_dim`` 784."""
LATENT_SIZE = 7

_COMMON_EXTRA: dict[str, Any] = {
    "timesteps": 1000,  # training noise levels (cosine schedule)
    "ddim_steps": 50,  # sampling steps (deterministic DDIM)
    "guidance": 2.0,  # classifier-free guidance scale w: eps_u + w (eps_c - eps_u); 1.0 = none (half the cost)
    "label_dropout": 0.1,  # probability a training label is replaced by the null class (for guidance)
    "ema": 0.999,  # EMA decay of the sampling weights (with warm-up)
}
DDPM_EXTRA = {**_COMMON_EXTRA, "channels": 16, "channel_mults": [1, 2, 4]}
LDM_EXTRA = {
    **_COMMON_EXTRA, "channels": 32, "channel_mults": [1, 2], "latent_channels": 4,
    "ae_steps": 200, "ae_channels": 16, "ae_lr": 1e-3,
}  # fmt: skip


def _defaults(latent_dim: int, lr: float) -> dict[str, Any]:
    """The engine's hyper-parameters: ``lr_g`` is the diffusion model's learning rate; the G/D-only
    ones (lr_d, n_critic, bn_*, gp_weight) are unused and set so configs resolve and compare."""
    return dict(latent_dim=latent_dim, batch_size=128, lr_g=lr, lr_d=lr, betas=(0.9, 0.999), n_critic=1,
                hflip=False, bn_momentum=0.1, bn_eps=1e-5, gp_weight=0.0)  # fmt: skip


def check(config) -> str | None:
    """Torch-free validation of the options, so a bad value is refused when the run is submitted."""
    extra = dict(config.extra)
    ints = {"timesteps": 2, "ddim_steps": 1, "channels": 8, "latent_channels": 1, "ae_steps": 0, "ae_channels": 8}
    for key, minimum in ints.items():
        if key in extra and (isinstance(extra[key], bool) or not isinstance(extra[key], int) or extra[key] < minimum):
            return f"extra.{key} must be an integer >= {minimum}, got {extra[key]!r}"
    if extra.get("ddim_steps", 1) > extra.get("timesteps", 1000):
        return f"extra.ddim_steps ({extra['ddim_steps']}) cannot exceed extra.timesteps ({extra['timesteps']})"
    for key, low, high in (("label_dropout", 0.0, 1.0), ("ema", 0.0, 1.0)):
        value = extra.get(key, 0.0)
        if not isinstance(value, (int, float)) or not low <= value < high:
            return f"extra.{key} must be a number in [{low}, {high}), got {value!r}"
    if not isinstance(extra.get("guidance", 1.0), (int, float)) or extra.get("guidance", 1.0) < 0:
        return f"extra.guidance must be a number >= 0 (1.0: no guidance), got {extra.get('guidance')!r}"
    mults = extra.get("channel_mults", [1])
    if not isinstance(mults, (list, tuple)) or not mults or not all(isinstance(m, int) and m >= 1 for m in mults):
        return f"extra.channel_mults must be a non-empty list of integers >= 1, got {mults!r}"
    channels = 1 if config.model == "ddpm" else extra.get("latent_channels", 4)
    size = 28 if config.model == "ddpm" else LATENT_SIZE
    if config.latent_dim != channels * size * size:
        return (f"latent_dim must be {channels * size * size} (the sampler's initial noise, {channels}x{size}x{size}), "
                f"got {config.latent_dim}")  # fmt: skip
    return None


def ddpm_trainer(config, device):
    """``ModelFamily.trainer`` of ddpm; torch loads only when a run starts."""
    from cgan_tui_diffusion.trainers import DDPMTrainer

    return DDPMTrainer(config, device)


def ldm_trainer(config, device):
    """``ModelFamily.trainer`` of ldm."""
    from cgan_tui_diffusion.trainers import LDMTrainer

    return LDMTrainer(config, device)


def _not_applicable(name: str) -> dict[str, str]:
    return {
        "g_loss": f"{name} is a diffusion model, not a GAN: no generator loss (see diffusion_loss)",
        "d_loss": f"{name} is a diffusion model: it has no discriminator",
    }


@hookimpl
def register_models() -> list[ModelFamily]:
    """``ddpm`` (pixel space) and ``ldm`` (7x7 latent space)."""
    common = dict(fixed={"loss": "eps-mse", "conditioning": "cfg"}, check=check, bf16_auto=False)
    return [
        ModelFamily(
            name="ddpm", trainer=ddpm_trainer, defaults=_defaults(IMAGE_NUMBERS, 4e-4),
            extra_defaults=DDPM_EXTRA, not_applicable=_not_applicable("ddpm"),
            description="class-conditional DDPM, small UNet on 28x28, cosine schedule, CFG, DDIM sampling",
            **common,
        ),
        ModelFamily(
            name="ldm", trainer=ldm_trainer, defaults=_defaults(4 * LATENT_SIZE**2, 4e-4),
            extra_defaults=LDM_EXTRA, not_applicable=_not_applicable("ldm"),
            description="latent diffusion: autoencoder to 4x7x7 (trained first), then the DDPM in latent space",
            **common,
        ),
    ]  # fmt: skip
