"""Hook specifications: one function per kind of plugin object.

Each hook returns a list of spec objects from ``cgan_tui.specs``; names must be unique per kind.
"""

from __future__ import annotations

import pluggy

PROJECT = "cgan_tui"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_losses() -> list:
    """Return a list of ``cgan_tui.specs.Loss`` objects."""


@hookspec
def register_conditionings() -> list:
    """Return a list of ``cgan_tui.specs.Conditioning`` objects."""


@hookspec
def register_models() -> list:
    """Return a list of ``cgan_tui.specs.ModelFamily`` objects."""


@hookspec
def register_metrics() -> list:
    """Return a list of ``cgan_tui.specs.Metric`` objects."""


@hookspec
def register_scores() -> list:
    """Return a list of ``cgan_tui.specs.Score`` objects."""


@hookspec
def register_backends() -> list:
    """Return a list of ``cgan_tui.specs.Backend`` objects."""
