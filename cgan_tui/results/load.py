"""Reading the read model: ``load_results`` turns runs, checkpoints, values and ratings into rows.

Which epochs are "models": the run's checkpoint epochs (its config), milestone checkpoints and rated
epochs that have any non-training value; a run with none of those yet (queued, running before its
first checkpoint, or evaluation switched off) gets one row at its latest epoch, so it still shows.
When a model has values at several sample counts, those at the table's reference n are shown, else
those at its largest n (``cgan_tui.results.sample_n``). Values of a backend with a versioned backbone are read
only when the backbone file in use now produced them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from cgan_tui import scoring
from cgan_tui.keys import TRAIN_BACKEND
from cgan_tui.labels import split_tags
from cgan_tui.results import sample_n
from cgan_tui.results.rows import ResultRow
from cgan_tui.results.scores import _compute_scores, _ordered_scores

if TYPE_CHECKING:
    from cgan_tui.plugins import Registries
    from cgan_tui.store import results_sql
    from cgan_tui.store.db import Store


def load_results(
    store: Store | None,
    registries: Registries | None = None,
    *,
    preset: str = scoring.DEFAULT_PRESET,
    weights: Sequence[float] | None = None,
    limit_runs: int | None = None,
    reader: results_sql.Reader | None = None,
) -> list[ResultRow]:
    """Every model in the database, ordered by run id and epoch, with scores computed.

    ``limit_runs``: only the models of the first that many runs (by id) -- a screenful, read in a
    fraction of the time, that the UI shows while it reads everything (the table-wide reference n
    is then that of those runs: the full read that follows replaces them).

    ``preset``/``weights`` choose the final score's weights (see ``cgan_tui.scoring``).
    ``registries`` gives the score plugins; when None the plugins are loaded (torch-free).
    ``reader`` runs the reads (``store.results_sql``; default: through ``store``'s engine); the TUI's
    first screenful uses ``results_sql.sqlite_reader``, which needs no SQLAlchemy.
    """
    from cgan_tui.gan import backbones
    from cgan_tui.store import results_sql

    if reader is None:
        reader = results_sql.store_reader(store)  # type: ignore[arg-type]
    if registries is None:
        from cgan_tui.plugins import load_plugins

        registries = load_plugins()
    w = scoring.resolve_weights(preset, weights)

    (runs, latest_rows, milestones, rates, experiments), label_rows = reader(
        lambda execute: (results_sql.index(execute, limit_runs), results_sql.labels(execute))
    )
    run_labels = {run_id: (split_tags(tags), note or "", bool(archived)) for run_id, note, tags, archived in label_rows}
    exp_names = {e.id: e.name for e in experiments}
    latest = {r.run_id: r.epoch for r in latest_rows}
    milestone_epochs: dict[int, set[int]] = {}
    for m in milestones:
        milestone_epochs.setdefault(m.run_id, set()).add(m.epoch)
    rating_pairs: dict[tuple[int, int], list[tuple[str, float]]] = {}
    for r in rates:
        rating_pairs.setdefault((r.run_id, r.epoch), []).append((r.criterion, r.value))
        milestone_epochs.setdefault(r.run_id, set()).add(r.epoch)

    # candidate model epochs per run (plus its latest epoch as a fallback); read only their values
    candidates: list[tuple[results_sql.RunRow, list[int], int]] = []
    wanted: set[tuple[int, int]] = set()
    for run in runs:
        model_epochs = sorted(set(milestone_epochs.get(run.id, ())) | set(_checkpoint_epochs(run.config_json)))
        # the newest epoch with any stored value; a run still in its first epoch shows that epoch. Not
        # current_epoch when values exist: a running run's current epoch has no values (nor checkpoint) yet
        fallback = latest.get(run.id) or run.current_epoch or 0
        candidates.append((run, model_epochs, fallback))
        wanted.update((run.id, e) for e in model_epochs)
        wanted.add((run.id, fallback))
    epochs_needed = sorted({e for _, e in wanted})
    run_ids = [r.id for r in runs] if limit_runs is not None else None
    value_rows = reader(lambda execute: results_sql.values(execute, epochs_needed, run_ids))

    current_backbone = backbones.current_all()  # backend -> hash of the file in use now

    # (run, epoch) -> (name, backend) -> n -> (value, reason); later rows win ties.
    per_epoch: dict[tuple[int, int], dict[tuple[str, str], sample_n.Candidates]] = {}
    evaluated: set[tuple[int, int]] = set()
    for v in value_rows:
        pair = (v.run_id, v.epoch)
        if pair not in wanted:
            continue
        if v.backend in current_backbone and (v.backbone or "") != current_backbone[v.backend]:
            continue  # produced by another version of this backend's network: not comparable
        per_epoch.setdefault(pair, {}).setdefault((v.name, v.backend), {})[v.n_samples] = (v.value, v.unavailable)
        if v.backend != TRAIN_BACKEND:
            evaluated.add(pair)
    reference = sample_n.table_reference(per_epoch.values())

    score_specs = _ordered_scores(registries)
    options = {"preset": preset, "weights": weights, "weights_resolved": w}
    rows: list[ResultRow] = []
    for run, model_epochs, fallback in candidates:
        run_id = run.id
        setting = _setting(run.config_json)
        chosen = [e for e in model_epochs if (run_id, e) in evaluated or (run_id, e) in rating_pairs] or [fallback]
        for epoch in chosen:
            row = ResultRow(
                run_id=run_id, epoch=epoch, model=run.model, loss=run.loss, conditioning=run.conditioning,
                d_conditioning=run.d_conditioning or "", embed_dim=run.embed_dim, planned_epochs=run.epochs,
                seed=run.seed, status=getattr(run.status, "value", str(run.status)),
                experiment=exp_names.get(run.experiment_id), current_epoch=run.current_epoch or 0, error=run.error,
                setting_key=f"{setting}@e{epoch}",
            )
            row.tags, row.note, row.archived = run_labels.get(run_id, ((), "", False))
            by_backend: dict[str, dict[str, tuple[str, float | None]]] = {}
            slot = per_epoch.get((run_id, epoch), {})
            preferred = sample_n.model_n(slot, reference)
            for (name, backend), by_n in slot.items():
                n, value, reason = sample_n.choose(by_n, preferred)
                key = f"{name}@{backend}"
                row.values[key] = value
                row.n_samples[key] = n
                if value is None and reason:
                    row.unavailable[key] = reason
                by_backend.setdefault(backend, {})[name] = (key, value)
            row.ratings = scoring.mean_ratings(rating_pairs.get((run_id, epoch), ()))
            _compute_scores(row, score_specs, options, by_backend)
            rows.append(row)
    return rows


def _setting(config_json: str) -> str:
    from cgan_tui import stats

    try:
        return stats.setting_of(json.loads(config_json))
    except (TypeError, ValueError):
        return str(config_json)


def _checkpoint_epochs(config_json: str) -> list[int]:
    try:
        data = json.loads(config_json)
    except (TypeError, ValueError):
        return []
    epochs = list(data.get("checkpoint_epochs") or [])
    if data.get("epochs"):
        epochs.append(int(data["epochs"]))
    return [int(e) for e in epochs]
