"""Run configurations: the dataclass every layer passes around, grid expansion and validation.

A ``RunConfig`` names plugins by string; ``resolve()`` checks those names against the registries
and fills every hyper-parameter the user left out from (in order) the model family's defaults,
the loss's defaults and the family's per-loss overrides. The resolved config is what gets stored
with a run, so a run is reproducible even if a plugin's defaults change later.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from cgan_tui.errors import UserError

if TYPE_CHECKING:
    from cgan_tui.plugins import Registries


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
    def from_dict(cls, data: Mapping[str, Any]) -> "RunConfig":
        """Build from a mapping (TOML table, stored JSON, CLI); unknown keys are an error."""
        valid = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - valid)
        if unknown:
            raise ConfigError(
                f"unknown config key(s) {', '.join(map(repr, unknown))}; valid: {', '.join(sorted(valid))}"
            )
        values = dict(data)
        for key in ("checkpoint_epochs", "betas", "metrics"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)

    @property
    def label(self) -> str:
        """Short human name in the seed's style, e.g. ``HINGE_32`` or ``seed004/one-hot``."""
        cond = self.conditioning if self.conditioning != "embedding" else str(self.embed_dim)
        return f"{self.loss.upper().replace('-', '_')}_{cond}"


def _require_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")


def validate_shape(cfg: RunConfig) -> None:
    """Checks that need no plugins: numbers in range, checkpoint epochs inside the run."""
    _require_int("epochs", cfg.epochs, 1)
    _require_int("embed_dim", cfg.embed_dim, 1)
    _require_int("seed", cfg.seed, 0)
    _require_int("grid_columns", cfg.grid_columns, 1)
    if cfg.limit_train is not None:
        _require_int("limit_train", cfg.limit_train, 2)
    if cfg.eval_n is not None:
        _require_int("eval_n", cfg.eval_n, 10)
    for epoch in cfg.checkpoint_epochs:
        _require_int("checkpoint epoch", epoch, 1)
    if cfg.device not in ("auto", "cpu", "cuda") and not re.fullmatch(r"cuda:\d+", str(cfg.device)):
        raise ConfigError(f"device must be auto, cpu, cuda or cuda:N, got {cfg.device!r}")
    if cfg.precision not in ("auto", "fp32", "bf16"):
        raise ConfigError(f"precision must be auto, fp32 or bf16, got {cfg.precision!r}")
    for key in ("batch_size", "latent_dim", "n_critic"):
        if getattr(cfg, key) is not None:
            _require_int(key, getattr(cfg, key), 1)
    for key in ("lr_g", "lr_d"):
        value = getattr(cfg, key)
        if value is not None and not (isinstance(value, (int, float)) and value > 0):
            raise ConfigError(f"{key} must be a positive number, got {value!r}")


def resolve(cfg: RunConfig, registries: "Registries") -> RunConfig:
    """Validate plugin names and fill every hyper-parameter; raises ConfigError/UnknownName."""
    validate_shape(cfg)
    family = registries.models.get(cfg.model)
    if not family.adversarial:
        return _resolve_own_trainer(cfg, family, registries)
    loss = registries.losses.get(cfg.loss)
    g_cond = registries.conditionings.get(cfg.conditioning)
    if g_cond.generator is None:
        usable = [c.name for c in registries.conditionings if c.generator is not None]
        raise ConfigError(
            f"conditioning '{cfg.conditioning}' has no generator side; valid: {', '.join(usable)}"
        )
    d_name = cfg.d_conditioning or family.default_d_conditioning(cfg.conditioning)
    d_cond = registries.conditionings.get(d_name)
    if d_cond.discriminator is None:
        usable = [c.name for c in registries.conditionings if c.discriminator is not None]
        raise ConfigError(
            f"d_conditioning '{d_name}' has no discriminator side; valid: {', '.join(usable)}"
        )
    _check_metrics(cfg, registries)
    merged: dict[str, Any] = {}
    merged.update(family.defaults)
    merged.update(loss.defaults)
    merged.update(family.loss_overrides.get(cfg.loss, {}))
    return _finish_resolve(cfg, merged, d_conditioning=d_name)


def _check_metrics(cfg: RunConfig, registries: "Registries") -> None:
    if cfg.metrics is not None:
        backends = {m.backend for m in registries.metrics}
        for name in cfg.metrics:
            if name not in backends:  # a backend name selects all its metrics
                registries.metrics.get(name)


def _finish_resolve(cfg: RunConfig, merged: Mapping[str, Any], **fields_: Any) -> RunConfig:
    """Fill every hyper-parameter from ``merged`` and close the checkpoint epochs."""
    filled = {}
    for key in HYPER_PARAMETERS:
        value = getattr(cfg, key)
        if value is None:
            value = merged.get(key)
        if value is None:
            raise ConfigError(f"model '{cfg.model}' gives no default for {key}; set it explicitly")
        filled[key] = tuple(value) if key == "betas" else value
    epochs = tuple(sorted({e for e in cfg.checkpoint_epochs if e <= cfg.epochs} | {cfg.epochs}))
    resolved = replace(cfg, checkpoint_epochs=epochs, **fields_, **filled)
    validate_shape(resolved)
    return resolved


_DEFAULTS = RunConfig()


def _resolve_own_trainer(cfg: RunConfig, family, registries: "Registries") -> RunConfig:
    """A family with its own trainer (not a G/D pair): it fixes loss and conditioning itself.

    A loss or conditioning the user named that differs from the family's is an error (it would be
    silently ignored otherwise); left at the defaults, they become the family's names.
    """
    fixed: dict[str, Any] = {}
    for key in ("loss", "conditioning", "d_conditioning"):
        given, own = getattr(cfg, key), str(family.fixed.get(key, ""))
        if given not in (getattr(_DEFAULTS, key), own):
            raise ConfigError(
                f"model '{cfg.model}' trains with its own objective ({key} '{own or '-'}'); "
                f"{key.replace('_', '-')} '{given}' does not apply to it: leave it out"
            )
        fixed[key] = own
    if cfg.precision == "bf16":
        raise ConfigError(f"model '{cfg.model}' trains in fp32 (its own trainer); precision must be auto or fp32")
    _check_metrics(cfg, registries)
    extra = {**dict(family.extra_defaults), **dict(cfg.extra)}
    resolved = _finish_resolve(cfg, family.defaults, extra=extra, **fixed)
    problem = family.check(resolved) if family.check is not None else None
    if problem:
        raise ConfigError(f"model '{cfg.model}': {problem}")
    return resolved


@dataclass(frozen=True)
class GridSpec:
    """A named experiment: a base config and a matrix of values whose product gives the runs."""

    name: str
    base: Mapping[str, Any]
    matrix: Mapping[str, list[Any]]
    description: str = ""

    def expand(self) -> list[RunConfig]:
        keys = list(self.matrix)
        combos = itertools.product(*(self.matrix[k] for k in keys)) if keys else [()]
        return [RunConfig.from_dict({**self.base, **dict(zip(keys, combo))}) for combo in combos]


def load_grid(path: str | Path) -> GridSpec:
    """Read a grid TOML file: ``[experiment] name/description``, ``[base]``, ``[matrix]``."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"grid file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"grid file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"experiment", "base", "matrix"})
    if unknown:
        raise ConfigError(f"grid file {path}: unknown table(s) {unknown}; valid: experiment, base, matrix")
    experiment = data.get("experiment", {})
    matrix = data.get("matrix", {})
    for key, values in matrix.items():
        if not isinstance(values, list) or not values:
            raise ConfigError(f"grid file {path}: matrix.{key} must be a non-empty list")
    spec = GridSpec(
        name=experiment.get("name", path.stem),
        description=experiment.get("description", ""),
        base=data.get("base", {}),
        matrix=matrix,
    )
    try:
        spec.expand()  # surfaces unknown keys now, not half-way through a queue
    except ConfigError as exc:
        raise ConfigError(f"grid file {path}: {exc}") from None
    return spec


def expand_all(configs: Iterable[RunConfig], registries: "Registries") -> list[RunConfig]:
    """Resolve a batch up front so one typo rejects the whole batch before anything is stored."""
    return [resolve(c, registries) for c in configs]
