"""The results read model: one row per model (run x evaluated epoch) with every value and score.

Used by ``cgan-tui ls``/``export`` and the TUI's results screen, so it is torch-free and fast: rows
are plain dataclasses built from a handful of column queries; sorting precomputes one key per row.

Keys name a value as ``NAME@BACKEND``: ``fid@inception``, ``is@classifier``, ``g_loss@train``,
scores ``combined@inception``/``final@classifier``, ratings ``sharpness@rating``. Base columns use
the attribute name (``loss``, ``embed_dim``, ``epoch``, ``status``, ``label``, ...).

Which epochs are "models": the run's checkpoint epochs (its config), milestone checkpoints and rated
epochs that have any non-training value; a run with none of those yet (queued, running before its
first checkpoint, or evaluation switched off) gets one row at its latest epoch, so it still shows.
When a model has values at several sample counts, those at the table's reference n (the n most
models have FID at) are shown, else those at its largest n; its n is in ``n_samples`` (see ``cgan_tui.results.sample_n``).
Scores carry the n of their inputs and are computed only from inputs of one n.
Values of a backend with a versioned backbone (the classifier) are read only when they were produced
by the backbone file in use now (``MetricValue.backbone``, see ``cgan_tui.gan.backbones``): numbers
from two different networks never meet in one sort.

One module per job, all names re-exported here (``from cgan_tui.results import X`` keeps working):
``rows`` (ResultRow, keys), ``load`` (load_results), ``scores`` (per-backend scores, missing hints),
``columns`` (columns, titles, directions, default visibility), ``table`` (sort, filter, aggregate).
"""

from __future__ import annotations

from cgan_tui.keys import RATING_BACKEND, TRAIN_BACKEND

# private names other modules used before the split: the old paths keep working
from cgan_tui.results.columns import (
    BACKEND_ABBREV,
    BASE_COLUMNS,
    DISPLAY,
    HIDDEN_BY_DEFAULT,
    TRAIN_DIRECTIONS,
    Column,
    _title,  # noqa: F401
    column_for,
    columns_for,
    declared_hidden,
    direction_of,
    directions,
    hidden_by_default,
    known_keys,
)
from cgan_tui.results.load import load_results
from cgan_tui.results.rows import (
    BACKEND_ORDER,
    BASE_KEYS,
    MISSING,
    OFFLINE_BACKEND,
    SCORE_BACKEND_PREFERENCE,
    SETTING,
    SHARED_BACKENDS,
    ResultRow,
)
from cgan_tui.results.scores import (
    _ordered_scores,  # noqa: F401
    backend_view,
    default_backend,
    missing_hint,
    score_backends,
)
from cgan_tui.results.table import (
    TEXT_FIELDS,
    AggregateRow,
    aggregate,
    archived_hidden,
    filter_rows,
    format_value,
    sort_rows,
)

__all__ = [
    "ResultRow",
    "Column",
    "AggregateRow",
    "load_results",
    "columns_for",
    "known_keys",
    "column_for",
    "sort_rows",
    "archived_hidden",
    "filter_rows",
    "aggregate",
    "directions",
    "direction_of",
    "format_value",
    "score_backends",
    "backend_view",
    "default_backend",
    "missing_hint",
    "BASE_KEYS",
    "MISSING",
    "HIDDEN_BY_DEFAULT",
    "hidden_by_default",
    "declared_hidden",
    "SETTING",
    "SHARED_BACKENDS",
    "BACKEND_ORDER",
    "BASE_COLUMNS",
    "RATING_BACKEND",
    "TRAIN_BACKEND",
    "BACKEND_ABBREV",
    "DISPLAY",
    "TRAIN_DIRECTIONS",
    "OFFLINE_BACKEND",
    "SCORE_BACKEND_PREFERENCE",
    "TEXT_FIELDS",
]
