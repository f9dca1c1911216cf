"""The exceptions the CLI and the app turn into a one-line message instead of a traceback.

``MetricUnavailable``/``WeightsUnavailable`` and ``PluginCallError`` are part of the public plugin
API (``cgan_tui.__all__``), hence here: torch-free and importable from every layer.
"""


class UserError(Exception):
    """Bad input or environment the user can fix; ``str()`` is the whole one-line message."""


class MetricUnavailable(UserError, RuntimeError):
    """A metric cannot be computed here; ``reason`` is stored with its value-less row."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WeightsUnavailable(MetricUnavailable):
    """A weight file a metric needs is missing or unusable; ``str()`` says which and where looked."""


class PluginCallError(UserError, RuntimeError):
    """A plugin's loss or metric raised, or returned the wrong type, when called.

    One line naming the plugin (its entry-point name and distribution), the hook that registered the
    object, the object and the call: the run or metric fails with that line, not a bare traceback.
    """


class DamagedCheckpoint(UserError, RuntimeError):
    """A checkpoint file is empty, cut short or unreadable; ``path`` names it, ``reason`` says how."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"checkpoint {path} is damaged ({reason})")
        self.path, self.reason = str(path), reason
