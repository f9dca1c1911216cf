"""The old home of ``ls``, ``eval``, ``rate``, ``export`` and ``weights``: now one module per command.

Kept so that existing imports keep working; new code imports from the command modules
(``ls_cmd``, ``eval_cmd``, ``rate_cmd``, ``export_cmd``, ``weights_cmd``) and ``cli.shared``.
"""

from __future__ import annotations

from cgan_tui.cli.eval_cmd import EmbedProgress, run_eval
from cgan_tui.cli.export_cmd import EXPORT_SUFFIXES, export_rows, run_export
from cgan_tui.cli.ls_cmd import _default_columns, parse_sort, resolve_key, run_ls
from cgan_tui.cli.rate_cmd import run_rate
from cgan_tui.cli.shared import _add_score_options, _console, _open, _registries, _score_args
from cgan_tui.cli.weights_cmd import run_train_classifier, run_weights, run_weights_fetch, run_weights_import

__all__ = [
    "EmbedProgress", "run_eval", "EXPORT_SUFFIXES", "export_rows", "run_export", "_default_columns", "parse_sort",
    "resolve_key", "run_ls", "run_rate", "_add_score_options", "_console", "_open", "_registries", "_score_args",
    "run_train_classifier", "run_weights", "run_weights_fetch", "run_weights_import",
]  # fmt: skip
