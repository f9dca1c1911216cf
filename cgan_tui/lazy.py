"""``lazy("pkg.module:attr")``: a callable that imports its target on first call.

Built-in plugins declare their objects with lazy implementations so that discovering plugins
(for the CLI's listings, the TUI's forms and tables) never imports torch.
"""

from __future__ import annotations

import pkgutil
from typing import Any, Callable


class LazyCallable:
    __slots__ = ("target", "_fn")

    def __init__(self, target: str) -> None:
        if ":" not in target:
            raise ValueError(f"lazy target must look like 'package.module:attr', got {target!r}")
        self.target = target
        self._fn: Callable[..., Any] | None = None

    def resolve(self) -> Callable[..., Any]:
        if self._fn is None:
            self._fn = pkgutil.resolve_name(self.target)
        return self._fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.resolve()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"lazy({self.target!r})"


def lazy(target: str) -> LazyCallable:
    return LazyCallable(target)
