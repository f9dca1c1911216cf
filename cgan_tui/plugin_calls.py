"""Calls into plugin code that name the plugin when they go wrong.

``load_plugins`` wraps the callables of every registered loss and metric in a ``GuardedCall``: an
exception raised inside it, or a result of the wrong type, becomes one ``PluginCallError`` line naming
the plugin (entry-point name and distribution), the hook that registered the object, the object and
the call, e.g. ``plugin 'relativistic' (cgan-tui-relativistic 0.1.0) register_losses: loss 'rsgan'
g_loss raised ValueError: boom (at losses.py:12)``. The original exception stays chained for logs.
Torch-free: results are checked by duck type (``ndim``, ``float()``), torch never imported here.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from cgan_tui.errors import MetricUnavailable, PluginCallError
from cgan_tui.lazy import LazyCallable
from cgan_tui.specs import SINGULAR

# frames of cgan-tui's plumbing, never the line a plugin author wants to see
_INTERNAL_FILES = frozenset({__file__, sys.modules[LazyCallable.__module__].__file__})


def describe(exc: BaseException, skip_files: frozenset[str] | set[str] = frozenset()) -> str:
    """``Type: message (at file:line)``: the line is the innermost frame outside cgan-tui's plumbing."""
    text = traceback.format_exception_only(type(exc), exc)[-1].strip()
    skip = _INTERNAL_FILES | set(skip_files)
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if not f.filename.startswith("<") and f"{os.sep}importlib{os.sep}" not in f.filename and f.filename not in skip
    ]
    if frames:
        last = frames[-1]
        text += f" (at {os.path.basename(last.filename)}:{last.lineno})"
    return text


def scalar_tensor(result: Any) -> str | None:
    """A loss term must be a one-element tensor (``backward()`` needs a scalar)."""
    if not (hasattr(result, "backward") and hasattr(result, "numel")):
        return f"{type(result).__name__}, expected a scalar torch.Tensor"
    if result.numel() != 1:
        return f"a tensor of shape {tuple(result.shape)}, expected a scalar torch.Tensor"
    return None


def metric_values(result: Any) -> str | None:
    """A metric returns ``{value_name: number | None | MetricUnavailable}``."""
    if not isinstance(result, Mapping):
        return f"{type(result).__name__}, expected a dict of value name -> float"
    for name, value in result.items():
        if not isinstance(name, str):
            return f"a value name {name!r} of type {type(name).__name__}, expected str"
        if value is None or isinstance(value, MetricUnavailable):
            continue
        try:
            float(value)
        except (TypeError, ValueError):
            return f"{type(value).__name__} for {name!r}, expected a float"
    return None


class GuardedCall:
    """A plugin callable that fails with one line naming its plugin and hook (see the module doc)."""

    __slots__ = ("fn", "where", "check", "passes")

    def __init__(
        self,
        fn: Callable[..., Any],
        where: str,
        check: Callable[[Any], str | None],
        passes: tuple[type[BaseException], ...] = (),
    ) -> None:
        self.fn = fn
        self.where = where
        self.check = check
        self.passes = passes
        """Exceptions that are part of the call's contract and go through unchanged."""

    def resolve(self) -> Callable[..., Any]:
        """The plugin's own function (for signature checks such as ``penalty(weight=...)``)."""
        return self.fn.resolve() if hasattr(self.fn, "resolve") else self.fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            result = self.fn(*args, **kwargs)
        except self.passes:
            raise
        except Exception as exc:
            raise PluginCallError(f"{self.where} raised {describe(exc)}") from exc
        problem = self.check(result)
        if problem is not None:
            raise PluginCallError(f"{self.where} returned {problem}")
        return result

    def __repr__(self) -> str:
        return f"GuardedCall({self.fn!r})"


GUARDED: dict[str, dict[str, tuple[Callable[[Any], str | None], tuple[type[BaseException], ...]]]] = {
    "losses": {"d_loss": (scalar_tensor, ()), "g_loss": (scalar_tensor, ()), "penalty": (scalar_tensor, ())},
    "metrics": {"compute": (metric_values, (MetricUnavailable,))},
    "backends": {"extractor": (lambda _extractor: None, (MetricUnavailable,))},  # missing weights pass through
}
"""Per registry kind: which callables are guarded, the result check and the exceptions let through."""



def guard(obj: Any, kind: str, plugin: str) -> Any:
    """``obj`` with its guarded callables wrapped; ``plugin`` reads like ``'name' (package version)``."""
    fields = GUARDED.get(kind)
    if not fields:
        return obj
    changes = {}
    for attr, (check, passes) in fields.items():
        fn = getattr(obj, attr, None)
        if fn is None or isinstance(fn, GuardedCall):
            continue
        where = f"plugin {plugin} register_{kind}: {SINGULAR[kind]} '{obj.name}' {attr}"
        changes[attr] = GuardedCall(fn, where, check, passes)
    return dataclasses.replace(obj, **changes) if changes else obj
