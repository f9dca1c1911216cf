"""``RunConfig``: the plain value every layer passes around (the engine included), and its label.

A frozen standard-library dataclass with no validation library behind it, so ``cgan_tui.gan`` takes
it as plain values. User input (TOML grids, CLI options, the new-run form) is validated into one by
``cgan_tui.config`` (a pydantic model generated from this dataclass); stored configs and checkpoints
are read back with ``from_dict``. Each field is declared once, with ``spec()``: its type, default,
bounds, check and whether it is a hyper-parameter; adding a field is one line here plus its use.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from cgan_tui.errors import UserError

TRAIN_IMAGES = 60_000
"""Fashion-MNIST's training set: the most images a run trains on (``limit_train`` cuts it)."""
AUTO_LOG_EVERY = "auto"
"""``log_every``'s default: the engine picks K from the epoch's steps (``gan.step_curves.step_window``).
A stored number (old runs: 10) keeps meaning exactly that K."""
AUTO_POINTS = 50
"""``auto``'s most points per value and epoch: K = ceil(steps / 50) is 10 at full scale (469 steps at
batch 128: 47 points, about 0.5 KB an epoch for two losses), 1 for an epoch of <= 50 steps (every step)
and never gives more than 50 points whatever the batch size (batch 32: K = 38), so the database stays small."""


class ConfigError(UserError, ValueError):
    """Bad user input in a run config or grid file; the message says what is valid."""


def spec(default: Any = None, *, doc: str = "", minimum: int | None = None, check: str | None = None,
         hyper: bool = False, flag: str | None = None, factory: Any = None) -> Any:
    """One ``RunConfig`` field and what is known about it, declared in one place.

    ``minimum``: the smallest valid integer; ``check``: a named value check of ``cgan_tui.config``
    (``positive``, ``non_negative``, ``device``, ``precision``, ``betas``, ``epoch_list``, ``finite_json``,
    ``log_every``);
    ``hyper``: a hyper-parameter that ``resolve()`` fills from the plugins' defaults when left as None;
    ``flag``: the field has its own CLI option (``--field-name``) and this is its metavar (every field is
    reachable with ``--set NAME=VALUE``); ``doc``: the description the model and ``--help`` show.
    The validator (``cgan_tui.config.RunConfigModel``), ``HYPER_PARAMETERS``, the stored JSON, the CLI
    options and the form's bounds all derive from these declarations."""
    meta = {"doc": doc, "minimum": minimum, "check": check, "hyper": hyper, "flag": flag}
    if factory is not None:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines one training run: the one declaration of its fields."""

    model: str = spec("seed000", flag="NAME", doc="model family (e.g. seed000, seed004)")
    loss: str = spec("bce", flag="NAME", doc="adversarial loss (e.g. bce, hinge, lsgan, wgan-gp)")
    conditioning: str = spec("embedding", flag="NAME", doc="generator-side conditioning (embedding, one-hot, ...)")
    d_conditioning: str | None = spec(None, flag="NAME",
                                      doc="discriminator-side conditioning (default: the model's choice)")
    embed_dim: int = spec(10, minimum=1, flag="N", doc="label embedding dimension")
    epochs: int = spec(30, minimum=1, flag="N", doc="epochs to train")
    checkpoint_epochs: tuple[int, ...] = spec((10, 20, 30), check="epoch_list", flag="E1,E2,...",
                                              doc="milestone epochs, e.g. 10,20,30 (the last epoch is added)")
    seed: int = spec(0, minimum=0, flag="N", doc="random seed")
    limit_train: int | None = spec(None, minimum=2, flag="N",
                                   doc="use only the first N (class-balanced) training images")
    device: str = spec("auto", check="device", flag="DEVICE", doc="auto, cpu, cuda or cuda:N")
    precision: str = spec("auto", check="precision", flag="auto|fp32|bf16",
                          doc="auto (default: bf16 where the device does it natively, else fp32), fp32 or bf16")
    grid_columns: int = spec(8, minimum=1, doc="columns of the fixed-noise sample grid")
    log_every: int | str = spec(AUTO_LOG_EVERY, check="log_every", flag="K|auto",
                                doc="record step-level losses as means over every K steps (auto, the default: "
                                    f"K = ceil(steps per epoch / {AUTO_POINTS}); 0: per-epoch values only)")
    eval_n: int | None = spec(None, minimum=10, flag="N", doc="samples per evaluation")
    metrics: tuple[str, ...] | None = spec(None, flag="A,B,...",
                                           doc="metrics to evaluate, comma-separated (empty: none)")
    data_dir: str | None = spec(None, flag="DIR", doc="folder with the Fashion-MNIST gzip IDX files")
    # hyper-parameters: None = take the plugin defaults (see resolve)
    latent_dim: int | None = spec(None, minimum=1, hyper=True, flag="N", doc="noise dimension (default: the model's)")
    batch_size: int | None = spec(None, minimum=1, hyper=True, flag="N", doc="batch size (default: the model's)")
    lr_g: float | None = spec(None, check="positive", hyper=True, flag="LR",
                              doc="generator learning rate (default: loss/model)")
    lr_d: float | None = spec(None, check="positive", hyper=True, flag="LR",
                              doc="discriminator learning rate (default: loss/model)")
    betas: tuple[float, float] | None = spec(None, check="betas", hyper=True)
    n_critic: int | None = spec(None, minimum=1, hyper=True)
    hflip: bool | None = spec(None, hyper=True)
    bn_momentum: float | None = spec(None, check="non_negative", hyper=True)
    bn_eps: float | None = spec(None, check="non_negative", hyper=True)
    gp_weight: float | None = spec(None, check="non_negative", hyper=True)
    extra: Mapping[str, Any] = spec(factory=dict, check="finite_json", doc="free-form options plugins may read")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (tuples as lists): the stored config holds every declared field."""
        data = asdict(self)
        data["extra"] = dict(self.extra)
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunConfig:
        """Build from a stored mapping (run JSON, checkpoint) without validating values; unknown keys
        are an error. User input goes through ``cgan_tui.config.validated`` instead. Lists become
        tuples (every sequence field is a tuple: the config is frozen and hashable)."""
        check_keys(data, cls)
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in data.items()})

    @property
    def label(self) -> str:
        """Short human name in the seed's style, e.g. ``HINGE_32`` (``run_label``)."""
        return run_label(self.loss, self.conditioning, self.embed_dim)


HYPER_PARAMETERS: tuple[str, ...] = tuple(f.name for f in fields(RunConfig) if f.metadata["hyper"])
"""Filled by ``resolve()`` from model family / loss defaults when left as None (``spec(hyper=True)``)."""


def check_keys(data: Mapping[str, Any], config_class: type[RunConfig] | None = None) -> None:
    """Unknown keys are a ``ConfigError`` listing the valid ones (of ``config_class``, default ``RunConfig``)."""
    valid = {f.name for f in fields(config_class or RunConfig)}
    unknown = sorted(set(data) - valid)
    if unknown:
        raise ConfigError(f"unknown config key(s) {', '.join(map(repr, unknown))}; valid: {', '.join(sorted(valid))}")


def run_label(loss: str, conditioning: str, embed_dim: int) -> str:
    """The seed study's name of a setting: ``HINGE_32`` (embedding of 32), ``LSGAN_one-hot``.

    The one home of the formula: config, results rows, the queue and the report all call it."""
    cond = conditioning if conditioning != "embedding" else str(embed_dim)
    return f"{loss.upper().replace('-', '_')}_{cond}"


__all__ = ["AUTO_LOG_EVERY", "AUTO_POINTS", "ConfigError", "HYPER_PARAMETERS", "RunConfig", "check_keys", "run_label", "spec"]
