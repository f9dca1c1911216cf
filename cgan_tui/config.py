"""Run configurations from user input: one pydantic model validates TOML grids, CLI options and the form.

``RunConfig`` (``cgan_tui.run_config``, re-exported here) is the plain value every layer passes.
Whatever a user typed becomes one through ``validated()``: ``RunConfigModel`` checks every field with
the one-line messages the CLI and the TUI show ("epochs must be an integer >= 1, got 0"), and
``GridFile`` checks a grid file's tables. ``INT_MINIMUMS`` is the one home of the integer bounds.

A ``RunConfig`` names plugins by string; ``resolve()`` checks those names against the registries
and fills every hyper-parameter the user left out from (in order) the model family's defaults,
the loss's defaults and the family's per-loss overrides. The resolved config is what gets stored
with a run, so a run is reproducible even if a plugin's defaults change later.
"""

from __future__ import annotations

import itertools
import math
import re
import tomllib
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args, get_type_hints

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from cgan_tui.run_config import (
    AUTO_LOG_EVERY,
    HYPER_PARAMETERS,
    TRAIN_IMAGES,
    ConfigError,
    RunConfig,
    check_keys,
    run_label,
)

if TYPE_CHECKING:
    from cgan_tui.plugins import Registries

INT_MINIMUMS: dict[str, int] = {f.name: f.metadata["minimum"] for f in fields(RunConfig) if f.metadata["minimum"] is not None}
"""The smallest valid value of each integer field (declared by ``spec(minimum=...)``; forms and flags name them)."""
DEVICES = ("auto", "cpu", "cuda")
"""Valid devices besides ``cuda:N``."""
PRECISIONS = ("auto", "fp32", "bf16")
GRID_TABLES = ("experiment", "base", "matrix")


def _require_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def _epoch_list(name: str, value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{name} must be a list of integers >= 1, got {value!r}")
    return tuple(_require_int("checkpoint epoch", e, 1) for e in value)


def _device(name: str, value: Any) -> Any:
    if value not in DEVICES and not (isinstance(value, str) and re.fullmatch(r"cuda:\d+", value)):
        raise ValueError(f"{name} must be {', '.join(DEVICES)} or cuda:N, got {value!r}")
    return value


def _precision(name: str, value: Any) -> Any:
    if value not in PRECISIONS:
        raise ValueError(f"{name} must be {', '.join(PRECISIONS[:-1])} or {PRECISIONS[-1]}, got {value!r}")
    return value


def _log_every(name: str, value: Any) -> Any:
    """``auto`` or an integer K >= 0 (a CLI option's text ``"5"`` becomes 5)."""
    if value == AUTO_LOG_EVERY:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be {AUTO_LOG_EVERY} or an integer K >= 0 (0: per-epoch values only), got {value!r}")
    return value


def _positive(name: str, value: Any) -> Any:
    if not _is_number(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite positive number, got {value!r}")
    return value


def _non_negative(name: str, value: Any) -> Any:
    if not _is_number(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


def _betas(name: str, value: Any) -> Any:
    pair = list(value) if isinstance(value, (list, tuple)) else None
    if pair is None or len(pair) != 2 or not all(_is_number(b) and 0 <= b < 1 for b in pair):
        raise ValueError(f"{name} must be two numbers in [0, 1) like [0.5, 0.999], got {value!r}")
    return value


def _finite_mapping(name: str, value: Any) -> Any:
    for key, item in (value.items() if isinstance(value, Mapping) else ()):
        if not _finite_json(item):
            raise ValueError(f"{name}.{key} must hold finite numbers (no NaN or infinity), got {item!r}")
    return value


CHECKS: dict[str, Callable[[str, Any], Any]] = {
    "epoch_list": _epoch_list, "device": _device, "precision": _precision, "positive": _positive,
    "non_negative": _non_negative, "betas": _betas, "finite_json": _finite_mapping, "log_every": _log_every,
}  # fmt: skip
"""The value checks a field can name with ``spec(check=...)``: (field name, value) -> value, or a
``ValueError`` whose message is the one line users see. None passes where the type admits None."""


class RunConfigChecks(BaseModel):
    """The checks of a run config, applied to each field by what its ``spec()`` declares (kept in the
    field's JSON-schema extras: ``minimum``, ``check``). ``config_model`` adds the fields themselves."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _declared(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name
        declared = cls.model_fields[name]
        extra = declared.json_schema_extra if isinstance(declared.json_schema_extra, dict) else {}
        if value is None and type(None) in get_args(declared.annotation):
            return None
        if extra.get("minimum") is not None:
            value = _require_int(name, value, int(extra["minimum"]))  # type: ignore[arg-type]
        if extra.get("check") is not None:
            value = CHECKS[str(extra["check"])](name, value)
        return value

    @model_validator(mode="after")
    def _fits(self, info: ValidationInfo) -> RunConfigChecks:
        given = (info.context or {}).get("given")
        named = (lambda key: True) if given is None else given.__contains__  # defaults (a family's, ours) fit
        cfg: Any = self  # the fields come from ``config_model``
        images = min(cfg.limit_train or TRAIN_IMAGES, TRAIN_IMAGES)
        if cfg.batch_size is not None and cfg.batch_size > images and named("batch_size"):
            what = f"limit_train ({images})" if images < TRAIN_IMAGES else f"the training set ({images} images)"
            raise ValueError(f"batch_size must be at most {what}, got {cfg.batch_size}")
        late = [e for e in cfg.checkpoint_epochs if e > cfg.epochs]
        if late and named("checkpoint_epochs"):  # the default milestones are cut to the run's length
            raise ValueError(f"checkpoint epochs must be <= epochs ({cfg.epochs}), got {', '.join(map(str, late))}")
        return self


def config_model(config_class: type[RunConfig] = RunConfig) -> type[RunConfigChecks]:
    """A pydantic model of ``config_class``'s declared fields (every one required: ``validated`` fills
    the defaults), with their ``spec`` docs as descriptions and ``RunConfigChecks``' checks."""
    hints = get_type_hints(config_class)
    declared = {}
    for f in fields(config_class):
        extra = {key: f.metadata[key] for key in ("minimum", "check") if f.metadata.get(key) is not None}
        declared[f.name] = (hints[f.name], Field(description=f.metadata.get("doc") or None, json_schema_extra=extra))
    return create_model(f"{config_class.__name__}Model", __base__=RunConfigChecks, **declared)  # type: ignore[call-overload]


RunConfigModel = config_model()
"""One run's configuration, every field present, validated (generated from ``RunConfig``)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite_json(value: Any) -> bool:
    """No NaN or infinity anywhere in ``value`` (they are not JSON: SQLite's json_extract rejects them)."""
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_finite_json(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_finite_json(v) for v in value)
    return True


def _one_line(exc: ValidationError, where: str = "", given: Mapping[str, Any] | None = None) -> str:
    """The first problem of a ``ValidationError`` as the one line users see: our validators' own
    message, else the field, pydantic's reason and the value as given (``hflip: input should be a
    valid boolean, ..., got 'maybe'``)."""
    err = exc.errors(include_url=False)[0]
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, ValueError):
        return where + str(cause)
    field = str(err["loc"][0]) if err["loc"] else "config"
    value = given[field] if given is not None and field in given else err.get("input")
    return f"{where}{field}: {err['msg'][:1].lower()}{err['msg'][1:]}, got {value!r}"


def validated(data: Mapping[str, Any], given: Collection[str] | None = None,
              config_class: type[RunConfig] = RunConfig) -> RunConfig:
    """A ``RunConfig`` from user input (TOML table, CLI options, form): fields not given take
    ``RunConfig``'s defaults; a bad one is a ``ConfigError`` naming it and what is valid.

    ``given``: the fields the user named (default: every key of ``data``). Checkpoint epochs the user
    named must lie within ``epochs``; the default milestones are cut to the run's length by ``resolve``."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"a run config is a table of KEY = VALUE, got {data!r}")
    check_keys(data, config_class)
    model_class = RunConfigModel if config_class is RunConfig else config_model(config_class)
    full = {**config_class().to_dict(), **data}
    try:
        model = model_class.model_validate(full, context={"given": frozenset(data if given is None else given)})
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, given=full)) from None
    return config_class(**{f.name: getattr(model, f.name) for f in fields(config_class)})


def validate_shape(cfg: RunConfig) -> None:
    """The checks that need no plugins, on a config already built (``resolve`` runs them twice); its
    checkpoint epochs count as defaults (the entry points checked those the user named)."""
    validated(cfg.to_dict(), given=())


def parse_int_list(text: str, what: str = "") -> list[int]:
    """``"10,20,30"`` or ``"10 20 30"`` -> [10, 20, 30]; a ``ConfigError`` naming ``what`` and the text otherwise.

    The one parser of integer lists typed by a user (CLI ``--checkpoint-epochs``, the new-run form)."""
    try:
        return [int(part) for part in text.replace(" ", ",").split(",") if part.strip()]
    except ValueError:
        subject = f"{what} must be" if what else "expected"
        raise ConfigError(f"{subject} integers separated by commas like 10,20,30, got {text!r}") from None


def resolve(cfg: RunConfig, registries: Registries, given: Collection[str] = ()) -> RunConfig:
    """Validate plugin names and fill every hyper-parameter; raises ConfigError/UnknownName.

    ``given``: the fields the user named (CLI options, grid keys), where known. A family with its own
    trainer refuses a loss or conditioning named there, even at ``RunConfig``'s default value."""
    validate_shape(cfg)
    family = registries.models.get(cfg.model)
    if not family.adversarial:
        return _resolve_own_trainer(cfg, family, registries, frozenset(given))
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


def _check_metrics(cfg: RunConfig, registries: Registries) -> None:
    if cfg.metrics is not None:
        backends = {m.backend for m in registries.metrics}
        for name in cfg.metrics:
            if name not in backends:  # a backend name selects all its metrics
                registries.metrics.get(name)


def closed_checkpoints(checkpoint_epochs: tuple[int, ...] | list[int], epochs: int) -> tuple[int, ...]:
    """The milestones a run of ``epochs`` saves: those within its length, plus its last epoch (the one rule
    the CLI, grid files and the new-run form's prefilled field share)."""
    return tuple(sorted({e for e in checkpoint_epochs if e <= epochs} | {epochs}))


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
    resolved = replace(cfg, checkpoint_epochs=closed_checkpoints(cfg.checkpoint_epochs, cfg.epochs), **fields_, **filled)
    validate_shape(resolved)
    return resolved


_DEFAULTS = RunConfig()


def _resolve_own_trainer(cfg: RunConfig, family, registries: Registries, named: frozenset[str]) -> RunConfig:
    """A family with its own trainer (not a G/D pair): it fixes loss and conditioning itself.

    A loss or conditioning the user named (in ``named``, or any value but ``RunConfig``'s default)
    that differs from the family's is an error, whatever its value (it would be silently ignored
    otherwise); left out, they become the family's names.
    """
    fixed: dict[str, Any] = {}
    for key in ("loss", "conditioning", "d_conditioning"):
        given, own = getattr(cfg, key), str(family.fixed.get(key, ""))
        if given != own and (key in named or given != getattr(_DEFAULTS, key)):
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


class ExperimentTable(BaseModel):
    """A grid file's ``[experiment]`` table."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str | None = None
    """Experiment name (default: the file's stem)."""
    description: str = ""


class GridFile(BaseModel):
    """A grid file: ``[experiment]``, ``[base]`` (a run config) and ``[matrix]`` (KEY = [values, ...])."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    experiment: ExperimentTable = ExperimentTable()
    base: dict[str, Any] = {}
    """Options every run shares (any ``RunConfig`` key)."""
    matrix: dict[str, list[Any]] = {}
    """Options varied: one run per combination of their values."""

    @model_validator(mode="before")
    @classmethod
    def _tables(cls, data: Any) -> Any:
        unknown = sorted(set(data) - set(GRID_TABLES)) if isinstance(data, Mapping) else []
        if unknown:
            raise ValueError(f"unknown table(s) {unknown}; valid: {', '.join(GRID_TABLES)}")
        return data

    @field_validator("matrix", mode="before")
    @classmethod
    def _non_empty(cls, matrix: Any) -> Any:
        for key, values in dict(matrix or {}).items():
            if not isinstance(values, list) or not values:
                raise ValueError(f"matrix.{key} must be a non-empty list")
        return matrix


@dataclass(frozen=True)
class GridSpec:
    """A named experiment: a base config and a matrix of values whose product gives the runs."""

    name: str
    base: Mapping[str, Any]
    matrix: Mapping[str, list[Any]]
    description: str = ""

    def expand(self) -> list[RunConfig]:
        """One validated config per combination of the matrix values."""
        keys = list(self.matrix)
        combos = itertools.product(*(self.matrix[k] for k in keys)) if keys else [()]
        return [validated({**self.base, **dict(zip(keys, combo, strict=True))}) for combo in combos]


def load_grid(path: str | Path) -> GridSpec:
    """Read and validate a grid TOML file: ``[experiment] name/description``, ``[base]``, ``[matrix]``."""
    path = Path(path)
    where = f"grid file {path}: "
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"grid file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"grid file {path} is not valid TOML: {exc}") from None
    try:
        grid = GridFile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, where)) from None
    spec = GridSpec(name=grid.experiment.name or path.stem, description=grid.experiment.description,
                    base=grid.base, matrix=grid.matrix)  # fmt: skip
    try:
        spec.expand()  # surfaces unknown keys and bad values now, not half-way through a queue
    except ConfigError as exc:
        raise ConfigError(f"{where}{exc}") from None
    return spec


def expand_all(configs: Iterable[RunConfig], registries: Registries, given: Collection[str] = ()) -> list[RunConfig]:
    """Resolve a batch up front so one typo rejects the whole batch before anything is stored
    (``given``: the fields the user named, as for ``resolve``)."""
    return [resolve(c, registries, given) for c in configs]


__all__ = [
    "ConfigError", "HYPER_PARAMETERS", "RunConfig", "run_label", "INT_MINIMUMS", "RunConfigModel", "config_model",
    "GridFile",
    "GridSpec", "validated", "validate_shape", "parse_int_list", "resolve", "load_grid", "expand_all",
]  # fmt: skip
