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
models have FID at) are shown, else those at its largest n; its n is in ``n_samples`` (see ``cgan_tui.results_n``).
Scores carry the n of their inputs and are computed only from inputs of one n.
Values of a backend with a versioned backbone (the classifier) are read only when they were produced
by the backbone file in use now (``MetricValue.backbone``, see ``cgan_tui.gan.backbones``): numbers
from two different networks never meet in one sort.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

from cgan_tui import results_n, scoring
from cgan_tui.formatting import NOT_YET, format_number

if TYPE_CHECKING:
    from cgan_tui.plugins import Registries
    from cgan_tui.store.db import Store

TRAIN_BACKEND = "train"
SHARED_BACKENDS = ("lpips", "pixel")
"""Backends whose values every score backend's view includes (LPIPS enters both combined scores)."""
RATING_BACKEND = "rating"
MISSING = NOT_YET

KNOWN_BETTER: dict[str, str] = {
    "fid": "lower",
    "kid": "lower",
    "kid_std": "lower",
    "is": "higher",
    "is_std": "higher",
    "lpips": "lower",
    "lpips_diversity": "higher",
    "psnr": "higher",
    "class_acc": "higher",
    "diversity": "higher",
    "min_diversity": "higher",
    "mode_collapse": "lower",
    "combined": "lower",
    "final": "higher",
    "images_per_s": "higher",
    "sample_images_per_s": "higher",
    "epoch_seconds": "lower",
    "diffusion_loss": "lower",
    "ae_loss": "lower",
}
"""Direction of well-known value names, used when no registries are given (plugins override)."""

DISPLAY = {
    "fid": "FID", "kid": "KID", "is": "IS", "lpips": "LPIPS", "lpips_diversity": "LPIPS div", "psnr": "PSNR",
    "class_acc": "acc", "diversity": "div", "min_diversity": "min div", "mode_collapse": "collapsed",
    "g_loss": "G loss", "d_loss": "D loss", "images_per_s": "img/s", "epoch_seconds": "epoch s",
    "sample_images_per_s": "sample img/s", "diffusion_loss": "diff loss", "ae_loss": "AE loss",
}  # fmt: skip
BACKEND_ABBREV = {"inception": "inc", "classifier": "cls", "lpips": "", "pixel": "", "train": "", "rating": ""}
BACKEND_ORDER = {"inception": 0, "lpips": 1, "pixel": 2, "classifier": 3, RATING_BACKEND: 8, TRAIN_BACKEND: 9}
SCORE_BACKEND_PREFERENCE = ("inception", "classifier")
"""The backend a results view opens on: the first of these where some model has a combined score."""
OFFLINE_BACKEND = "classifier"
"""The backend whose weights ship with the package: ``combined`` exists there on every install."""


@dataclass
class ResultRow:
    """One model: a run at one epoch, with its values, reasons for missing ones, ratings, scores."""

    run_id: int
    epoch: int
    model: str
    loss: str
    conditioning: str
    d_conditioning: str
    embed_dim: int
    planned_epochs: int
    seed: int
    status: str
    experiment: str | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    ratings: dict[str, float] = field(default_factory=dict)
    scores: dict[str, float | None] = field(default_factory=dict)
    n_samples: dict[str, int] = field(default_factory=dict)
    missing_input: dict[str, str] = field(default_factory=dict)
    """Missing score key -> key of its first missing input ("ratings" for ratings)."""
    current_epoch: int = 0
    error: str | None = None
    pending: set[str] = field(default_factory=set)
    """Score keys missing only because an input is not computed yet (shown ``—``, not ``n/a``)."""
    setting_key: str = ""
    """The run's config without its seed, plus this model's epoch (``cgan_tui.stats.setting_of``):
    models with equal keys are one setting repeated over seeds."""

    @property
    def setting(self) -> str:
        """The setting as a reader sees it: family and label, with a short hash that tells apart
        settings whose label is the same but whose other options (lr, batch, ...) differ."""
        import hashlib

        digest = hashlib.sha256(self.setting_key.encode()).hexdigest()[:4] if self.setting_key else "----"
        return f"{self.model} {self.label} #{digest}"

    @property
    def label(self) -> str:
        """The seed study's model name, e.g. ``HINGE_32 e30`` or ``LSGAN_one-hot e30``."""
        cond = self.conditioning if self.conditioning != "embedding" else str(self.embed_dim)
        return f"{self.loss.upper().replace('-', '_')}_{cond} e{self.epoch}"

    def get(self, key: str) -> Any:
        """The value of any column key (base attribute, metric, score or rating); None if missing."""
        if key in self.scores:
            return self.scores[key]
        if key in self.values:
            return self.values[key]
        getter = _BASE_GETTERS.get(key)
        if getter is not None:
            return getter(self)
        if key == SETTING:
            return self.setting
        name, _, backend = key.partition("@")
        if backend == RATING_BACKEND:
            return self.ratings.get(name)
        return None

    def why_missing(self, key: str) -> str:
        """Why ``get(key)`` is None: the stored reason, else 'not computed yet'."""
        return self.unavailable.get(key) or "not computed yet"

    def to_dict(self) -> dict[str, Any]:
        """Flat mapping for export: base fields, then every value, score and rating key."""
        data: dict[str, Any] = {k: getter(self) for k, getter in _BASE_GETTERS.items()}
        data.update(self.values)
        data.update(self.scores)
        data.update({f"{c}@{RATING_BACKEND}": v for c, v in self.ratings.items()})
        return data


_BASE_GETTERS: dict[str, Callable[[ResultRow], Any]] = {
    "run_id": lambda r: r.run_id,
    "label": lambda r: r.label,
    "experiment": lambda r: r.experiment,
    "model": lambda r: r.model,
    "loss": lambda r: r.loss,
    "conditioning": lambda r: r.conditioning,
    "d_conditioning": lambda r: r.d_conditioning,
    "embed_dim": lambda r: r.embed_dim,
    "epoch": lambda r: r.epoch,
    "planned_epochs": lambda r: r.planned_epochs,
    "seed": lambda r: r.seed,
    "status": lambda r: r.status,
}
BASE_KEYS = tuple(_BASE_GETTERS)
SETTING = "setting"
"""A grouping key (``aggregate(rows, SETTING, ...)``, ``ls --aggregate setting``), not a table column."""


@dataclass(frozen=True)
class Column:
    """A table column: ``better`` is "lower"/"higher" for values with a direction, else None."""

    key: str
    title: str
    better: str | None = None
    kind: str = "number"  # "text" | "number"


@dataclass(frozen=True)
class AggregateRow:
    """Summary of one group (e.g. all models with loss=hinge) for one value key."""

    group: Any
    n: int
    mean: float | None
    std: float | None
    best: float | None
    sample_n: int | None = None
    """The sample count the values were taken at (groups are split by it); None: no values or no n."""
    ci: float | None = None
    """Half width of the 95 % Student-t interval of ``mean`` (``cgan_tui.stats``); None unless the values
    come from >= 2 runs, one value each (epochs of one run are not independent samples)."""
    runs: int = 0
    """How many different runs the group's values come from (for ``setting``: its seeds)."""


# -------------------------------------------------------------------------------------------- load


def load_results(
    store: "Store",
    registries: "Registries | None" = None,
    *,
    preset: str = "research",
    weights: Sequence[float] | None = None,
    limit_runs: int | None = None,
) -> list[ResultRow]:
    """Every model in the database, ordered by run id and epoch, with scores computed.

    ``limit_runs``: only the models of the first that many runs (by id) -- a screenful, read in a
    fraction of the time, that the UI shows while it reads everything (the table-wide reference n
    is then that of those runs: the full read that follows replaces them).

    ``preset``/``weights`` choose the final score's weights (see ``cgan_tui.scoring``).
    ``registries`` gives the score plugins; when None the plugins are loaded (torch-free).
    """
    from sqlalchemy import func, select

    from cgan_tui.gan import backbones
    from cgan_tui.store.tables import Checkpoint, Experiment, MetricValue, Rating, Run
    from cgan_tui.store.queries import read  # short transactions, retried while SQLite is locked

    if registries is None:
        from cgan_tui.plugins import load_plugins

        registries = load_plugins()
    w = scoring.resolve_weights(preset, weights)

    def fetch_index(session) -> tuple[list, ...]:
        conn = session.connection()  # core queries: column tuples, no ORM objects (fast for big tables)
        query = select(
            Run.id, Run.experiment_id, Run.config_json, Run.model, Run.loss, Run.conditioning,
            Run.d_conditioning, Run.embed_dim, Run.epochs, Run.seed, Run.status, Run.current_epoch, Run.error,
        ).order_by(Run.id)
        runs = conn.execute(query.limit(limit_runs) if limit_runs is not None else query).all()
        latest_q = select(MetricValue.run_id, func.max(MetricValue.epoch)).group_by(MetricValue.run_id)
        if limit_runs is not None:
            latest_q = latest_q.where(MetricValue.run_id.in_([r[0] for r in runs]))  # type: ignore[attr-defined]
        latest = conn.execute(latest_q).all()
        milestones = conn.execute(select(Checkpoint.run_id, Checkpoint.epoch).where(Checkpoint.kind == "milestone")).all()
        rates = conn.execute(select(Rating.run_id, Rating.epoch, Rating.criterion, Rating.value)).all()
        experiments = conn.execute(select(Experiment.id, Experiment.name)).all()
        return runs, latest, milestones, rates, experiments

    runs, latest_rows, milestones, rates, experiments = read(store, fetch_index)
    exp_names = dict(experiments)
    latest = dict(latest_rows)
    milestone_epochs: dict[int, set[int]] = {}
    for run_id, epoch in milestones:
        milestone_epochs.setdefault(run_id, set()).add(epoch)
    rating_pairs: dict[tuple[int, int], list[tuple[str, float]]] = {}
    for run_id, epoch, criterion, value in rates:
        rating_pairs.setdefault((run_id, epoch), []).append((criterion, value))
        milestone_epochs.setdefault(run_id, set()).add(epoch)

    # candidate model epochs per run (plus its latest epoch as a fallback); read only their values
    candidates: list[tuple[tuple, list[int], int]] = []
    wanted: set[tuple[int, int]] = set()
    for run in runs:
        run_id, config_json, current_epoch = run[0], run[2], run[11]
        model_epochs = sorted(set(milestone_epochs.get(run_id, ())) | set(_checkpoint_epochs(config_json)))
        fallback = max(latest.get(run_id) or 0, current_epoch or 0)
        candidates.append((run, model_epochs, fallback))
        wanted.update((run_id, e) for e in model_epochs)
        wanted.add((run_id, fallback))
    epochs_needed = sorted({e for _, e in wanted})

    def fetch_values(session) -> list:
        if not epochs_needed:
            return []
        query = select(
            MetricValue.run_id, MetricValue.epoch, MetricValue.name, MetricValue.backend,
            MetricValue.value, MetricValue.n_samples, MetricValue.unavailable, MetricValue.backbone,
        ).where(MetricValue.epoch.in_(epochs_needed))  # type: ignore[attr-defined]
        if limit_runs is not None:
            query = query.where(MetricValue.run_id.in_([r[0] for r in runs]))  # type: ignore[attr-defined]
        return session.connection().execute(query.order_by(MetricValue.id)).all()

    current_backbone = backbones.current_all()  # backend -> hash of the file in use now

    # (run, epoch) -> (name, backend) -> n -> (value, reason); later rows win ties.
    per_epoch: dict[tuple[int, int], dict[tuple[str, str], results_n.Candidates]] = {}
    evaluated: set[tuple[int, int]] = set()
    for run_id, epoch, name, backend, value, n, reason, backbone in read(store, fetch_values):
        pair = (run_id, epoch)
        if pair not in wanted:
            continue
        if backend in current_backbone and (backbone or "") != current_backbone[backend]:
            continue  # produced by another version of this backend's network: not comparable
        per_epoch.setdefault(pair, {}).setdefault((name, backend), {})[n] = (value, reason)
        if backend != TRAIN_BACKEND:
            evaluated.add(pair)
    reference = results_n.table_reference(per_epoch.values())

    score_specs = _ordered_scores(registries)
    options = {"preset": preset, "weights": weights, "weights_resolved": w}
    rows: list[ResultRow] = []
    for run, model_epochs, fallback in candidates:
        (run_id, exp_id, config_json, model, loss, cond, d_cond, embed_dim, epochs, seed, status, current_epoch, error) = run
        setting = _setting(config_json)
        chosen = [e for e in model_epochs if (run_id, e) in evaluated or (run_id, e) in rating_pairs] or [fallback]
        for epoch in chosen:
            row = ResultRow(
                run_id=run_id, epoch=epoch, model=model, loss=loss, conditioning=cond, d_conditioning=d_cond or "",
                embed_dim=embed_dim, planned_epochs=epochs, seed=seed, status=getattr(status, "value", str(status)),
                experiment=exp_names.get(exp_id), current_epoch=current_epoch or 0, error=error,
                setting_key=f"{setting}@e{epoch}",
            )
            by_backend: dict[str, dict[str, tuple[str, float | None]]] = {}
            slot = per_epoch.get((run_id, epoch), {})
            preferred = results_n.model_n(slot, reference)
            for (name, backend), by_n in slot.items():
                n, value, reason = results_n.choose(by_n, preferred)
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


def _ordered_scores(registries: "Registries") -> list:
    """Scores in dependency order: one that needs another score's name comes after it."""
    specs = list(registries.scores)
    names = {s.name for s in specs}
    ordered: list = []
    done: set[str] = set()
    while specs:
        ready = [s for s in specs if all(n in done or n not in names for n in s.needs)]
        if not ready:  # a cycle: keep the rest in name order rather than fail
            ready = specs
        for s in ready:
            ordered.append(s)
            done.add(s.name)
        specs = [s for s in specs if s not in ready]
    return ordered


def _group(row: ResultRow) -> dict[str, dict[str, tuple[str, float | None]]]:
    grouped: dict[str, dict[str, tuple[str, float | None]]] = {}
    for key, value in row.values.items():
        name, _, backend = key.partition("@")
        grouped.setdefault(backend, {})[name] = (key, value)
    return grouped


def score_backends(row: ResultRow, grouped: Mapping[str, Mapping[str, Any]] | None = None) -> list[str]:
    """Backends that get scores: those with an ``fid`` value (or an unavailable ``fid``) in the row."""
    grouped = _group(row) if grouped is None else grouped
    backends = [b for b, names in grouped.items() if "fid" in names]
    return sorted(backends, key=lambda b: (BACKEND_ORDER.get(b, 5), b))


def backend_view(
    row: ResultRow, backend: str, grouped: Mapping[str, Mapping[str, tuple[str, float | None]]] | None = None
) -> tuple[dict[str, float | None], dict[str, str]]:
    """Bare-name values a score sees for ``backend``: shared backends' values overlaid by its own."""
    grouped = _group(row) if grouped is None else grouped
    view: dict[str, float | None] = {}
    reasons: dict[str, str] = {}
    for wanted in (*SHARED_BACKENDS, backend):
        for name, (key, value) in grouped.get(wanted, {}).items():
            view[name] = value
            if value is None:
                reason = row.unavailable.get(key)
                reasons[name] = f"{key} unavailable: {reason}" if reason else f"{key} missing"
    return view, reasons


def _compute_scores(row: ResultRow, specs: list, options: Mapping[str, Any], grouped=None) -> None:
    grouped = _group(row) if grouped is None else grouped
    for backend in score_backends(row, grouped):
        view, reasons = backend_view(row, backend, grouped)
        view_keys = _view_keys(grouped, backend)
        opts = {**options, "backend": backend}
        for spec in specs:
            key = f"{spec.name}@{backend}"
            n, conflict = results_n.inputs_n(spec.needs, view_keys, row.n_samples)
            if conflict:  # never mix sample counts in one score
                value = None
                row.unavailable[key] = conflict
            else:
                try:
                    value = spec.compute(view, row.ratings, opts)
                except Exception as exc:  # noqa: BLE001 - a broken score plugin must not break the table
                    value = None
                    row.unavailable[key] = f"score '{spec.name}' raised {type(exc).__name__}: {exc}"
            value = None if value is None or (isinstance(value, float) and not math.isfinite(value)) else float(value)
            row.scores[key] = value
            view_keys[spec.name] = key
            if n:
                row.n_samples[key] = n
            view[spec.name] = value
            if value is None:
                if key not in row.unavailable:
                    row.unavailable[key] = _missing_inputs(spec, view, reasons, row.ratings, backend)
                    if _waiting(spec, view, view_keys, row):
                        row.pending.add(key)
                first = _first_missing(spec, view, row.ratings, backend, grouped)
                if first is not None:
                    row.missing_input[key] = first
                reasons[spec.name] = f"{key} missing ({row.unavailable[key]})"


def _view_keys(grouped: Mapping[str, Mapping[str, tuple[str, float | None]]], backend: str) -> dict[str, str]:
    """Bare name -> the key its value came from in ``backend_view`` (own backend over shared ones)."""
    keys: dict[str, str] = {}
    for wanted in (*SHARED_BACKENDS, backend):
        for name, (key, _value) in grouped.get(wanted, {}).items():
            keys[name] = key
    return keys


def _waiting(spec, view: Mapping[str, Any], view_keys: Mapping[str, str], row: ResultRow) -> bool:
    """True when a missing score only waits for inputs not computed yet (none of them is n/a)."""
    waiting = False
    for need in spec.needs:
        if need == "ratings":
            waiting = waiting or bool(scoring.missing_criteria(row.ratings))
            continue
        if view.get(need) is not None:
            continue
        key = view_keys.get(need)
        if key is not None and key in row.unavailable and key not in row.pending:
            return False  # an input cannot be computed here: the score cannot either
        waiting = True
    return waiting


def _first_missing(spec, view, ratings, backend: str, grouped) -> str | None:
    """The key of the first input ``spec`` lacks in ``backend``'s view (own value over shared ones)."""
    for need in spec.needs:
        if need == "ratings":
            if scoring.missing_criteria(ratings):
                return "ratings"
        elif view.get(need) is None:
            owners = [b for b in (*SHARED_BACKENDS, backend) if need in grouped.get(b, {})]
            return f"{need}@{owners[-1] if owners else backend}"
    return None


def _missing_inputs(spec, view, reasons, ratings, backend) -> str:
    parts = []
    for need in spec.needs:
        if need == "ratings":
            missing = scoring.missing_criteria(ratings)
            if missing:
                parts.append("ratings of " + ", ".join(missing))
        elif view.get(need) is None:
            parts.append(reasons.get(need, f"{need}@{backend} not computed yet"))
    return "needs " + "; ".join(parts) if parts else "inputs out of range"


def default_backend(rows: Iterable[ResultRow]) -> str:
    """The score backend a results view opens on: the first of ``SCORE_BACKEND_PREFERENCE`` where
    some model has ``combined``, else the offline backend (where it appears once a run is evaluated)."""
    rows = list(rows)
    for backend in SCORE_BACKEND_PREFERENCE:
        key = f"combined@{backend}"
        if any(r.scores.get(key) is not None for r in rows):
            return backend
    return OFFLINE_BACKEND


def missing_hint(row: ResultRow, key: str) -> str:
    """One short line: why ``key`` is missing for ``row`` (its first missing input) and the command
    that fixes it. Scores are followed down to the value they lack (final -> combined -> is)."""
    asked, seen = key, set()
    while row.scores.get(key, 0.0) is None and key not in seen:
        seen.add(key)
        needs = row.missing_input.get(key)
        if needs is None:
            break
        if needs == "ratings":
            missing = ", ".join(scoring.missing_criteria(row.ratings))
            return f"{asked} needs ratings of {missing}: cgan-tui rate {row.run_id} --epoch {row.epoch} --{missing.split(',')[0].replace('_', '-')} N ..."
        key = needs
    if key == asked:
        return f"{key}: {_value_hint(row, key)}"
    return f"{asked} needs {key}: {_value_hint(row, key)}"


def _value_hint(row: ResultRow, key: str) -> str:
    reason = row.unavailable.get(key) if key in row.values else None
    if not reason:
        return f"not computed yet: cgan-tui eval {row.run_id} --epoch {row.epoch}"
    if "weights" in reason or "pip install" in reason:  # a missing file: the weights listing says how to get it
        short = reason.split(" (", 1)[0].split("; ", 1)[0].rstrip(":. ")
        return f"{short}; `cgan-tui weights` says how to get it"
    return reason if len(reason) <= 140 else reason[:139] + "…"


# ----------------------------------------------------------------------------------------- columns


def directions(registries: "Registries | None" = None) -> dict[str, str]:
    """Key or bare value name -> "lower"/"higher", from the plugins when given, else known names."""
    result = dict(KNOWN_BETTER)
    if registries is not None:
        for metric in registries.metrics:
            result[f"{metric.name}@{metric.backend}"] = metric.better
            for value_name, better in metric.better_by_value.items():
                result[f"{value_name}@{metric.backend}"] = better
        for score in registries.scores:
            result[score.name] = score.better
    return result


def direction_of(key: str, table: Mapping[str, str] | None = None) -> str | None:
    table = KNOWN_BETTER if table is None else table
    if key in table:
        return table[key]
    name, _, backend = key.partition("@")
    if backend == RATING_BACKEND:
        return "higher"
    return table.get(name) if backend else None


def _title(key: str) -> str:
    name, _, backend = key.partition("@")
    abbrev = BACKEND_ABBREV.get(backend, backend)
    shown = DISPLAY.get(name, name)
    return f"{shown} {abbrev}" if abbrev else shown


BASE_COLUMNS = (
    Column("run_id", "run", None, "number"),
    Column("label", "label", None, "text"),  # the run label, e.g. HINGE_32 e30
    Column("loss", "loss", None, "text"),
    Column("conditioning", "cond", None, "text"),
    Column("embed_dim", "emb", None, "number"),
    Column("epoch", "epoch", None, "number"),
    Column("status", "status", None, "text"),
)


def columns_for(rows: Iterable[ResultRow], registries: "Registries | None" = None) -> list[Column]:
    """Base columns, then every score, metric and rating key present in ``rows`` (plugins included)."""
    rows = list(rows)
    table = directions(registries)
    cols = list(BASE_COLUMNS)
    if any(r.experiment for r in rows):
        cols.insert(1, Column("experiment", "experiment", None, "text"))
    if len({r.model for r in rows}) > 1:
        cols.insert(3, Column("model", "model", None, "text"))  # the family, as in --model
    score_keys: set[str] = set()
    value_keys: set[str] = set()
    rating_keys: set[str] = set()
    for row in rows:
        score_keys.update(row.scores)
        value_keys.update(row.values)
        rating_keys.update(f"{c}@{RATING_BACKEND}" for c in row.ratings)

    def order(key: str) -> tuple:
        name, _, backend = key.partition("@")
        return (BACKEND_ORDER.get(backend, 5), backend, name)

    for key in sorted(score_keys, key=lambda k: (k.partition("@")[0] != "combined", order(k))):
        cols.append(Column(key, _title(key), direction_of(key, table), "number"))
    for key in sorted(value_keys, key=order):
        cols.append(Column(key, _title(key), direction_of(key, table), "number"))
    crit_order = {c: i for i, c in enumerate(scoring.RATING_CRITERIA)}
    for key in sorted(rating_keys, key=lambda k: (crit_order.get(k.partition("@")[0], 99), k)):
        cols.append(Column(key, key.partition("@")[0], "higher", "number"))
    return cols


def known_keys(registries: "Registries | None" = None) -> list[str]:
    """Every metric, score and rating key the plugins can produce, whether or not any row has it yet.

    Lets ``ls --sort fid`` work on a database of queued runs: a known key with no values sorts as
    all-missing instead of being "unknown". Scores exist per backend that has an ``fid`` metric.
    """
    keys: list[str] = []
    fid_backends: list[str] = []
    for metric in registries.metrics if registries is not None else ():
        names = list(metric.better_by_value) or [metric.name]
        keys.extend(f"{name}@{metric.backend}" for name in names)
        if "fid" in names and metric.backend not in fid_backends:
            fid_backends.append(metric.backend)
    fid_backends.sort(key=lambda b: (BACKEND_ORDER.get(b, 5), b))
    for score in registries.scores if registries is not None else ():
        keys.extend(f"{score.name}@{backend}" for backend in fid_backends)
    keys.extend(f"{c}@{RATING_BACKEND}" for c in scoring.RATING_CRITERIA)
    return list(dict.fromkeys(keys))


def column_for(key: str, registries: "Registries | None" = None) -> Column:
    """A number column for a metric/score/rating key (used for known keys no row has yet)."""
    name, _, backend = key.partition("@")
    if backend == RATING_BACKEND:
        return Column(key, name, "higher", "number")
    return Column(key, _title(key), direction_of(key, directions(registries)), "number")


# ----------------------------------------------------------------------------- sort/filter/aggregate


def _sortable(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    return value


def sort_rows(rows: Sequence[ResultRow], keys: Sequence[tuple[str, bool]]) -> list[ResultRow]:
    """Stable multi-key sort; each key is ``(column key, descending)``; missing values always last.

    Values taken at another n than the column's reference n sort after those at it (``results_n``).

    One pass per key, from the last key to the first (each pass is stable), each pass extracting its
    key once per row; 10,000 rows take a few milliseconds per key.
    """
    result = list(rows)
    for key, descending in reversed(list(keys)):
        present: list[tuple[Any, ResultRow]] = []
        missing: list[ResultRow] = []
        for row in result:
            value = row.get(key)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                missing.append(row)
            else:
                present.append((_sortable(value), row))
        result = results_n.order_present(present, key, descending) + missing
    return result


TEXT_FIELDS = ("label", "loss", "conditioning", "status", "model", "experiment")


def filter_rows(rows: Iterable[ResultRow], text: str = "", **equals: Any) -> list[ResultRow]:
    """Rows whose label/loss/conditioning/status/model/experiment contain ``text`` (any case) and whose
    columns equal ``equals`` (compared as text, e.g. ``loss="hinge", embed_dim=32``)."""
    needle = text.strip().casefold()
    wanted = {k: str(v).casefold() for k, v in equals.items() if v is not None}
    out = []
    for row in rows:
        if needle and not any(needle in str(row.get(f) or "").casefold() for f in TEXT_FIELDS):
            continue
        if any(str(row.get(k)).casefold() != v for k, v in wanted.items()):
            continue
        out.append(row)
    return out


def aggregate(
    rows: Iterable[ResultRow], by: str, value_key: str, better: str | None = None
) -> list[AggregateRow]:
    """Mean, sample standard deviation, 95 % interval (``ci``: values of >= 2 runs, one each) and best value of
    ``value_key`` per value of column ``by`` (``by="setting"``: one group per setting, its seeds pooled).

    Rows missing the value are left out of the numbers (``n`` counts only present values); groups
    whose rows are all missing still appear with ``n == 0``. Values taken at different sample counts
    are never pooled: a group appears once per sample count (``sample_n``). ``better`` defaults to the key's known
    direction (lower for FID/combined, higher for IS...).
    """
    better = better or direction_of(value_key) or "lower"
    from cgan_tui import stats

    rows = list(rows)
    groups = results_n.aggregate_groups(rows, by, value_key)
    runs: dict[tuple[Any, int | None], set[int]] = {}
    for row in rows:
        if row.get(value_key) is not None:
            runs.setdefault((row.get(by), row.n_samples.get(value_key) or None), set()).add(row.run_id)
    out = []
    for group, sample_n in sorted(groups, key=lambda g: (_group_order(g[0]), -(g[1] or 0))):
        values = groups[(group, sample_n)]
        n = len(values)
        mean = sum(values) / n if n else None
        std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)) if n >= 2 and mean is not None else None
        best = (min(values) if better == "lower" else max(values)) if n else None
        n_runs = len(runs.get((group, sample_n), ()))
        independent = n >= stats.MIN_SEEDS and n_runs == n  # one value per run: repeats, not epochs of one run
        ci = stats.ci_half_width(values) if independent else None
        out.append(AggregateRow(group=group, n=n, mean=mean, std=std, best=best, sample_n=sample_n, ci=ci,
                                runs=n_runs))  # fmt: skip
    return out


def _group_order(group: Any) -> tuple:
    if group is None:
        return (2, 0)
    if isinstance(group, (int, float)) and not isinstance(group, bool):
        return (0, group)
    return (1, str(group).casefold())


def format_value(value: Any, key: str = "") -> str:
    """Human text for a number (``cgan_tui.formatting.format_number``); None as ``—``."""
    return format_number(value, key)


__all__ = [
    "ResultRow",
    "Column",
    "AggregateRow",
    "load_results",
    "columns_for",
    "known_keys",
    "column_for",
    "sort_rows",
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
]
