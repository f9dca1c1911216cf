"""What a training checkpoint holds and how a run is put back from it, for every model family.

Two layouts, told apart by ``format`` so every checkpoint ever written still loads:

- ``1`` (G/D families): the trainer's ``G``, ``D``, ``opt_g``, ``opt_d`` at the top level;
- ``"own-trainer-1"`` (a family's own ``FamilyTrainer``): the trainer's state under ``family``.

Both carry ``epoch``, ``images_seen``, the resolved ``config`` and ``rng`` (Python, numpy, torch
CPU, the data-order permutation stream and, on CUDA, the device's), so a resumed run continues
bit-exactly.
"""

from __future__ import annotations

import io
import random
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from cgan_tui.gan.gan_trainer import STATE_KEYS
from cgan_tui.run_config import RunConfig

GAN_FORMAT = 1
OWN_FORMAT = "own-trainer-1"


def checkpoint_bytes(trainer, config: RunConfig, epoch: int, images_seen: int, perm_gen: torch.Generator,
                     device: torch.device, adversarial: bool) -> bytes:  # fmt: skip
    """The serialised checkpoint of ``trainer`` after ``epoch`` (layout 1 when ``adversarial``)."""
    state = trainer.state_dict()
    body: dict[str, Any] = {"format": GAN_FORMAT if adversarial else OWN_FORMAT, "epoch": epoch,
                            "images_seen": images_seen, "config": config.to_dict()}  # fmt: skip
    if adversarial:
        body.update((key, state[key]) for key in STATE_KEYS)
    else:
        body["family"] = state
    body["rng"] = rng_state(perm_gen, device)
    buf = io.BytesIO()
    torch.save(body, buf)
    return buf.getvalue()


def trainer_state(ckpt: Mapping[str, Any]) -> Mapping[str, Any]:
    """The part of a loaded checkpoint its trainer's ``load_state_dict`` takes, whatever the layout."""
    if ckpt.get("format") == OWN_FORMAT:
        return ckpt["family"]
    return {key: ckpt[key] for key in STATE_KEYS}


def rng_state(perm_gen: torch.Generator, device: torch.device) -> dict:
    """Every random stream training draws from, to store with a checkpoint."""
    rng = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "perm": perm_gen.get_state(),
    }
    if device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(device)
    return rng


def restore_rng(rng: dict, perm_gen: torch.Generator, device: torch.device) -> None:
    """Put back the streams ``rng_state`` saved, so a resumed run continues bit-exactly."""
    random.setstate(rng["python"])
    np.random.set_state(rng["numpy"])
    torch.set_rng_state(rng["torch"])
    perm_gen.set_state(rng["perm"])
    if device.type == "cuda" and "cuda" in rng:
        torch.cuda.set_rng_state(rng["cuda"], device)
