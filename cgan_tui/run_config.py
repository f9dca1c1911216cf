"""``RunConfig``: the plain value every layer passes around (the engine included), and its label.

A frozen standard-library dataclass with no validation library behind it, so ``cgan_tui.gan`` takes
it as plain values. User input (TOML grids, CLI options, the new-run form) is validated into one by
``cgan_tui.config`` (a pydantic model); stored configs and checkpoints are read back with ``from_dict``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from cgan_tui.errors import UserError

TRAIN_IMAGES = 60_000
"""Fashion-MNIST's training set: the most images a run trains on (``limit_train`` cuts it)."""


class ConfigError(UserError, ValueError):
    """Bad user input in a run config or grid file; the message says what is valid."""


HYPER_PARAMETERS = (
    "latent_dim",
    "batch_size",
    "lr_g",
    "lr_d",
    "betas",
    "n_critic",
    "hflip",
    "bn_momentum",
    "bn_eps",
    "gp_weight",
)
"""Filled by ``resolve()`` from model family / loss defaults when left as None."""


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one training run."""

    model: str = "seed000"
    loss: str = "bce"
    conditioning: str = "embedding"
    d_conditioning: str | None = None
    embed_dim: int = 10
    epochs: int = 30
    checkpoint_epochs: tuple[int, ...] = (10, 20, 30)
    seed: int = 0
    limit_train: int | None = None
    device: str = "auto"
    precision: str = "auto"  # auto | fp32 | bf16; the run stores what auto chose
    grid_columns: int = 8
    eval_n: int | None = None
    metrics: tuple[str, ...] | None = None
    data_dir: str | None = None
    # hyper-parameters: None = take the plugin defaults (see resolve)
    latent_dim: int | None = None
    batch_size: int | None = None
    lr_g: float | None = None
    lr_d: float | None = None
    betas: tuple[float, float] | None = None
    n_critic: int | None = None
    hflip: bool | None = None
    bn_momentum: float | None = None
    bn_eps: float | None = None
    gp_weight: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["checkpoint_epochs"] = list(self.checkpoint_epochs)
        if self.betas is not None:
            data["betas"] = list(self.betas)
        if self.metrics is not None:
            data["metrics"] = list(self.metrics)
        data["extra"] = dict(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """Build from a stored mapping (run JSON, checkpoint) without validating values; unknown keys
        are an error. User input goes through ``cgan_tui.config.validated`` instead."""
        check_keys(data)
        values = dict(data)
        for key in ("checkpoint_epochs", "betas", "metrics"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)

    @property
    def label(self) -> str:
        """Short human name in the seed's style, e.g. ``HINGE_32`` (``run_label``)."""
        return run_label(self.loss, self.conditioning, self.embed_dim)


def check_keys(data: Mapping[str, Any]) -> None:
    """Unknown keys are a ``ConfigError`` listing the valid ones."""
    valid = {f.name for f in fields(RunConfig)}
    unknown = sorted(set(data) - valid)
    if unknown:
        raise ConfigError(f"unknown config key(s) {', '.join(map(repr, unknown))}; valid: {', '.join(sorted(valid))}")


def run_label(loss: str, conditioning: str, embed_dim: int) -> str:
    """The seed study's name of a setting: ``HINGE_32`` (embedding of 32), ``LSGAN_one-hot``.

    The one home of the formula: config, results rows, the queue and the report all call it."""
    cond = conditioning if conditioning != "embedding" else str(embed_dim)
    return f"{loss.upper().replace('-', '_')}_{cond}"


__all__ = ["ConfigError", "HYPER_PARAMETERS", "RunConfig", "check_keys", "run_label"]
