"""Run-config options shared by ``train`` and ``queue add``; only options the user gave override.

Every option defaults to ``argparse.SUPPRESS``, so ``config_from_args`` sees exactly what was typed
and leaves everything else to ``RunConfig``'s defaults and ``config.resolve`` (plugin defaults).
``--set KEY=VALUE`` reaches any other field (``--set hflip=false``, ``--set betas=[0.5,0.999]``);
``--set extra.NAME=VALUE`` goes to the free-form ``extra`` mapping plugins may read.
"""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

from cgan_tui.config import ConfigError, RunConfig, parse_int_list, validated


def _csv_ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(parse_int_list(text))
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _csv_names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _arg_type(hint: Any) -> Callable[[str], Any]:
    """How a flag's text becomes the field's value: ``int``, ``float``, ``str``, or a comma list for tuples."""
    inner = [a for a in get_args(hint) if a is not type(None)] if get_origin(hint) is not tuple else [hint]
    kind = inner[0] if len(inner) == 1 else hint
    if get_origin(kind) is tuple:
        return _csv_ints if get_args(kind)[0] is int else _csv_names
    return kind if kind in (int, float, str) else str


def _options() -> tuple[tuple[str, str, Callable[[str], Any], str, str], ...]:
    """(flag, config field, type, help, metavar) of every field declared with ``spec(flag=METAVAR)``."""
    hints = get_type_hints(RunConfig)
    return tuple(("--" + f.name.replace("_", "-"), f.name, _arg_type(hints[f.name]), f.metadata["doc"], f.metadata["flag"])
                 for f in fields(RunConfig) if f.metadata["flag"])  # fmt: skip


OPTIONS = _options()
"""The run options ``train`` and ``queue add`` offer: derived from ``RunConfig``'s declarations."""


def add_run_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("run options (anything not given comes from the plugin defaults)")
    for flag, dest, kind, help_text, metavar in OPTIONS:
        group.add_argument(flag, dest=f"cfg_{dest}", type=kind, default=argparse.SUPPRESS, help=help_text, metavar=metavar)
    group.add_argument(
        "--set",
        dest="cfg_set",
        action="append",
        default=argparse.SUPPRESS,
        metavar="KEY=VALUE",
        help="any other config field (TOML value), e.g. --set hflip=false; extra.NAME=VALUE for plugin options",
    )


def _parse_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def overrides_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The config fields the user gave explicitly (as a dict for ``RunConfig.from_dict``)."""
    values: dict[str, Any] = {}
    for _flag, dest, *_ in OPTIONS:
        if hasattr(args, f"cfg_{dest}"):
            values[dest] = getattr(args, f"cfg_{dest}")
    extra: dict[str, Any] = {}
    valid = {f.name for f in fields(RunConfig)}
    for item in getattr(args, "cfg_set", None) or []:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--set expects KEY=VALUE, got {item!r}")
        if key.startswith("extra."):
            extra[key[len("extra."):]] = _parse_value(raw)
        elif key not in valid:
            raise ConfigError(f"--set: unknown config key {key!r}; valid: {', '.join(sorted(valid))}")
        else:
            values[key] = _parse_value(raw)
    if values.get("data_dir"):
        values["data_dir"] = str(Path(values["data_dir"]).expanduser().resolve())  # workers run elsewhere
    if extra:
        values["extra"] = {**dict(values.get("extra") or {}), **extra}
    return values


def config_from_args(args: argparse.Namespace, base: RunConfig | None = None) -> RunConfig:
    """``base`` (default ``RunConfig()``) with the explicitly given options applied, validated by the
    config model (``cgan_tui.config.validated``); not yet resolved."""
    data = (base or RunConfig()).to_dict()
    named = overrides_from_args(args)
    data.update(named)
    return validated(data, given=named)


def grid_configs(spec, args: argparse.Namespace) -> tuple[list[RunConfig], set[str]]:
    """A grid's runs with the options typed on the command line applied, each validated by the config
    model like a single run's; and the fields the user named (grid keys and options), for ``resolve``."""
    overrides = overrides_from_args(args)
    given = {*spec.base, *spec.matrix, *overrides}
    return [validated({**c.to_dict(), **overrides}, given=given) for c in spec.expand()], given


def load_grid_file(path: str):
    """``config.load_grid`` with unreadable paths (a folder, a binary file) as one-line errors."""
    from cgan_tui.config import load_grid

    target = Path(path)
    if target.is_dir():
        raise ConfigError(f"grid file {path} is a folder; give a .toml file such as grids/seed000.toml")
    try:
        return load_grid(target)
    except UnicodeDecodeError:
        raise ConfigError(f"grid file {path} is not a text TOML file") from None
    except OSError as exc:
        raise ConfigError(f"grid file {path} cannot be read: {exc.strerror or exc}") from None


def check_data_dirs(configs: list[RunConfig]) -> None:
    """An explicit ``data_dir`` must be an existing folder (cheap, torch-free; for ``queue add``)."""
    for cfg in configs:
        if cfg.data_dir and not Path(cfg.data_dir).is_dir():
            raise ConfigError(
                f"data folder {cfg.data_dir} does not exist; pass --data-dir DIR holding the 4 Fashion-MNIST IDX files"
            )


def check_runnable_here(configs: list[RunConfig]) -> None:
    """Before ``train`` stores anything: the data can be found and the device exists on this machine.

    The data is looked for exactly as training will (``--data-dir``, ``$CGAN_TUI_DATA``, the Debian
    folder, torchvision's download), so no data is one ``UserError`` naming the ways to get it
    instead of a stored ``failed`` run.
    """
    from cgan_tui.gan.data import find_files
    from cgan_tui.gan.device import pick_device

    check_data_dirs(configs)
    for data_dir in dict.fromkeys(cfg.data_dir for cfg in configs):
        find_files(data_dir, "train")  # what training does first anyway (downloading if it must)
    for cfg in configs:
        pick_device(cfg.device)
