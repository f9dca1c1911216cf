"""The one exception base the CLI and the app turn into a one-line message instead of a traceback."""


class UserError(Exception):
    """Bad input or environment the user can fix; ``str()`` is the whole one-line message."""
