"""A plugin whose import fails, as a third-party package with a missing dependency would."""

import cgan_tui_this_dependency_does_not_exist  # noqa: F401
