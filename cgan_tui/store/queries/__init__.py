"""Named queries the workers, the CLI and the TUI share; ``store/`` is the only place that writes rows.

One module per aggregate (runs, the queue's conditional updates, metrics and the feature cache,
grids, checkpoints, ratings, the change token); every name is re-exported here, so ``from cgan_tui.store import queries as q`` and
``from cgan_tui.store.queries import X`` keep working.

Every function takes a ``Store`` and opens its own short session, so callers never hold a
transaction across training steps. Every write and read goes through ``store.guard``: a locked
database is waited for (bounded, with a progress line), any other fault is one ``StoreWriteError``
line. Torch-free: the TUI imports this package.
"""

from __future__ import annotations

from cgan_tui.store.queries.changes import change_token
from cgan_tui.store.queries.checkpoints import add_checkpoint, checkpoints, drop_checkpoint, latest_checkpoint
from cgan_tui.store.queries.grids import grid, grid_epochs, save_grid
from cgan_tui.store.queries.labels import (
    change_tags,
    label,
    labels,
    set_archived,
    set_note,
    set_note_and_tags,
    set_tags,
)
from cgan_tui.store.queries.metrics import (
    FAILED_AFTER_VALUE,
    TRAIN_BACKEND,
    TRAIN_STATS,
    EpochRow,
    cache_feature,
    cached_feature,
    delete_epochs_after,
    epoch_rows,
    metric_rows,
    upsert_metric,
    upsert_metrics,
)
from cgan_tui.store.queries.pending import (
    clear_eval_pending,
    drop_note_lines,
    eval_pending,
    mark_eval_pending,
    parse_pending,
)
from cgan_tui.store.queries.queue import (
    claim_next_queued,
    claim_run_in,
    claim_statement,
    requeue_if_stale,
    set_if_status,
)
from cgan_tui.store.queries.ratings import add_rating, check_rateable, ratings
from cgan_tui.store.queries.removal import (
    RemovedRun,
    RunIsRunning,
    describe_removal,
    remove_runs,
    remove_runs_and_files,
    running_refusal,
)
from cgan_tui.store.queries.runs import (
    NoSuchRun,
    append_run_error,
    cancel_requested,
    create_run,
    create_runs,
    describe_ids,
    finish_run,
    get_run,
    list_runs,
    new_run_row,
    run_config,
    start_run,
    status_counts,
    touch_heartbeat,
    update_run,
)
from cgan_tui.store.queries.session import read, write
from cgan_tui.store.queries.steps import EpochSteps, StepCurve, step_curves

__all__ = [
    "FAILED_AFTER_VALUE",
    "TRAIN_BACKEND",
    "TRAIN_STATS",
    "NoSuchRun",
    "EpochRow",
    "write",
    "read",
    "create_run",
    "create_runs",
    "new_run_row",
    "get_run",
    "run_config",
    "list_runs",
    "update_run",
    "start_run",
    "finish_run",
    "append_run_error",
    "touch_heartbeat",
    "cancel_requested",
    "status_counts",
    "upsert_metric",
    "upsert_metrics",
    "metric_rows",
    "epoch_rows",
    "delete_epochs_after",
    "cached_feature",
    "cache_feature",
    "save_grid",
    "grid",
    "grid_epochs",
    "add_checkpoint",
    "checkpoints",
    "latest_checkpoint",
    "add_rating",
    "check_rateable",
    "ratings",
    "change_token",
    "claim_statement",
    "claim_next_queued",
    "claim_run_in",
    "set_if_status",
    "requeue_if_stale",
    "eval_pending",
    "mark_eval_pending",
    "clear_eval_pending",
    "parse_pending",
    "drop_note_lines",
    "drop_checkpoint",
    "describe_ids",
    "label",
    "labels",
    "set_note",
    "set_tags",
    "set_note_and_tags",
    "change_tags",
    "set_archived",
    "RemovedRun",
    "RunIsRunning",
    "describe_removal",
    "remove_runs",
    "remove_runs_and_files",
    "running_refusal",
    "EpochSteps",
    "StepCurve",
    "step_curves",
]
