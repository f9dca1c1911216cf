"""cgan-tui: run and compare conditional GAN experiments on Fashion-MNIST from the terminal."""

from __future__ import annotations

import pkgutil
from typing import Any

__version__ = "0.1.0"

# (a name equal to a submodule's, e.g. ``lazy``, cannot be served here: importing the submodule binds it)
_LAZY: dict[str, str] = {  # public name -> "module:attr"; imported on first use (no torch at import)
    "ModelFamily": "cgan_tui.specs:ModelFamily",
    "HOOKSPEC_VERSION": "cgan_tui.specs:HOOKSPEC_VERSION",
    "hookimpl": "cgan_tui.hooks:hookimpl",
    "ConfigError": "cgan_tui.config:ConfigError",
    "FamilyTrainer": "cgan_tui.gan.family_training:FamilyTrainer",
}


def __getattr__(name: str) -> Any:
    """Resolve a public name from ``_LAZY`` on first access and cache it in the module."""
    target = _LAZY.get(name)
    if target is None:
        raise AttributeError(f"module 'cgan_tui' has no attribute {name!r}")
    value = pkgutil.resolve_name(target)
    globals()[name] = value
    return value


__all__ = ["__version__", *_LAZY]
