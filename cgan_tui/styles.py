"""Rich styles of statuses, shared by the CLI's tables and the TUI's screens (one colour per state).

Plain strings (rich style syntax), so the CLI and ``ui/`` use them without importing each other.
"""

from __future__ import annotations

RUN_STATUS_STYLE: dict[str, str] = {
    "completed": "green",
    "running": "bold cyan",
    "queued": "yellow",
    "failed": "bold red",
    "diverged": "red",
    "cancelled": "dim",
}
"""A run's status (``store.tables.RunStatus`` values)."""

PLUGIN_STATUS_STYLE: dict[str, str] = {"ok": "green", "partial": "yellow", "failed": "bold red", "disabled": "dim"}
"""A plugin's load status (``plugins.PluginInfo.status``)."""


def run_status_style(status: str) -> str:
    """The style of a run status; "" for one without a colour."""
    return RUN_STATUS_STYLE.get(str(status), "")


__all__ = ["RUN_STATUS_STYLE", "PLUGIN_STATUS_STYLE", "run_status_style"]
