"""``train()``: a plain function that trains one run of any model family and reports through callbacks.

It knows nothing of databases or screens: the CLI prints progress, the worker writes rows. It picks
the family's ``FamilyTrainer`` (the built-in ``GanTrainer`` for G/D families, the family's own
otherwise) and hands it to the one epoch loop (``gan.epoch_loop``). It is deterministic for a given
seed on CPU, resumes bit-exactly from an epoch checkpoint, and stops with ``Diverged`` on a NaN/inf
loss, leaving the last good checkpoint in place.
"""

from __future__ import annotations

from pathlib import Path

import torch

from cgan_tui.gan.checkpoint_file import read_checkpoint
from cgan_tui.gan.checkpoint_state import trainer_state
from cgan_tui.gan.train_events import CheckpointSaved, Diverged, EpochEnd, Progress, TrainCallbacks, TrainResult
from cgan_tui.gan.trainer import FamilyTrainer
from cgan_tui.run_config import RunConfig

__all__ = [  # the events live in gan.train_events; this is where callers import them from
    "CheckpointSaved", "Diverged", "EpochEnd", "Progress", "TrainCallbacks", "TrainResult",
    "load_checkpoint", "load_generator", "train", "training_data",
]  # fmt: skip


def train(
    config: RunConfig,
    registries,  # cgan_tui.plugins.Registries
    checkpoint_dir: Path,
    callbacks: TrainCallbacks | None = None,
    resume_from: Path | None = None,
    data=None,  # cgan_tui.gan.data.ImageData; loaded from config.data_dir when None
) -> TrainResult:
    """Train ``config`` (already ``resolve()``d) and return how far it got. Raises ``Diverged``."""
    from cgan_tui.config import HYPER_PARAMETERS, resolve
    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.epoch_loop import EpochLoop, seed_everything

    if config.d_conditioning is None or any(getattr(config, key) is None for key in HYPER_PARAMETERS):
        config = resolve(config, registries)  # a caller passed an unresolved config: fill it the same way
    family = registries.models.get(config.model)
    device = pick_device(config.device)
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(config.seed)
    trainer, precision = _trainer(family, config, registries, device)
    loop = EpochLoop(
        config=config, trainer=trainer, data=training_data(config, data, device), device=device,
        checkpoint_dir=checkpoint_dir, callbacks=callbacks or TrainCallbacks(), adversarial=family.adversarial,
        precision=precision, not_applicable=dict(family.not_applicable),
    )  # fmt: skip
    if resume_from is not None:
        loop.resume(Path(resume_from))
    return loop.run(Path(resume_from) if resume_from is not None else None)


def _trainer(family, config: RunConfig, registries, device: torch.device) -> tuple[FamilyTrainer, tuple[str, str]]:
    """The family's ``FamilyTrainer`` on ``device`` and the precision it trains in (and why)."""
    if family.adversarial:
        from cgan_tui.gan.gan_trainer import GanTrainer

        trainer = GanTrainer(config, registries, device)
        return trainer, (trainer.precision.precision, trainer.precision.reason)
    return family.trainer(config, device), ("fp32", f"model '{family.name}' trains in fp32 (its own trainer)")


def training_data(config: RunConfig, data, device: torch.device):
    """The run's training images on ``device``: ``data`` cut to ``limit_train``, else read from ``data_dir``."""
    from cgan_tui.gan.data import load_fashion_mnist

    if data is None:
        return load_fashion_mnist(config.data_dir, "train", device, limit=config.limit_train)
    return data.subset(config.limit_train).to(device)


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """The checkpoint dict, verified first: a damaged file raises ``DamagedCheckpoint`` (see checkpoint_file)."""
    return read_checkpoint(path, map_location)


def load_generator(path: Path, registries, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, RunConfig]:
    """Rebuild the sampling module (a GAN's G) from a checkpoint, in eval mode, for evaluation and
    sampling; returns (module, config)."""
    ckpt = load_checkpoint(path, device)
    config = RunConfig.from_dict(ckpt["config"])
    family = registries.models.get(config.model)
    if not family.adversarial:  # the family's own trainer knows its state; only its sampler is kept
        trainer = family.trainer(config, torch.device(device))
        trainer.load_state_dict(trainer_state(ckpt))
        return trainer.sampler().to(device).eval(), config
    g_cond = registries.conditionings.get(config.conditioning)
    d_cond = registries.conditionings.get(config.d_conditioning or family.default_d_conditioning(config.conditioning))
    G, _ = family.build(config, g_cond, d_cond)
    G.load_state_dict(ckpt["G"])
    return G.to(device).eval(), config


