"""Columns of a results table: which keys exist, their titles, directions and default visibility.

A value's direction has one home, its metric's (or score's) spec: ``directions`` reads the registries.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cgan_tui import scoring
from cgan_tui.classes import per_class_label
from cgan_tui.keys import RATING_BACKEND, TRAIN_BACKEND
from cgan_tui.results.rows import BACKEND_ORDER, ResultRow

if TYPE_CHECKING:
    from cgan_tui.plugins import Registries

TRAIN_DIRECTIONS: dict[str, str] = {"images_per_s": "higher", "sample_images_per_s": "higher", "epoch_seconds": "lower"}
"""Directions of the training backend's speed values: the only values no metric spec declares.
Every metric's and score's direction comes from its spec (``directions``); this is not a copy of them."""

DISPLAY = {
    "fid": "FID", "kid": "KID", "is": "IS", "lpips": "LPIPS", "lpips_diversity": "LPIPS div", "psnr": "PSNR",
    "class_acc": "acc", "diversity": "div", "min_diversity": "min div", "mode_collapse": "collapsed",
    "g_loss": "G loss", "d_loss": "D loss", "images_per_s": "img/s", "epoch_seconds": "epoch s",
    "sample_images_per_s": "sample img/s", "diffusion_loss": "diff loss", "ae_loss": "AE loss",
    "intra_fid": "intra-FID", "precision": "prec", "recall": "rec", "density": "dens", "coverage": "cov",
    "memorised": "memorised",
}  # fmt: skip
BACKEND_ABBREV = {"inception": "inc", "classifier": "cls", "lpips": "", "pixel": "", "train": "", "rating": ""}


@dataclass(frozen=True)
class Column:
    """A table column: ``better`` is "lower"/"higher" for values with a direction, else None."""

    key: str
    title: str
    better: str | None = None
    kind: str = "number"  # "text" | "number"



def directions(registries: Registries | None = None) -> dict[str, str]:
    """Key or bare value name -> "lower"/"higher", from the metric and score specs (the one home of a
    direction; plugins included). ``registries`` None: the plugins are loaded (torch-free).

    Bare value names (``fid``) take the direction of the first metric declaring them (built-ins come
    first), so a key of a backend no metric declares (``fid@old``) still has one."""
    if registries is None:
        from cgan_tui.plugins import load_plugins

        registries = load_plugins()
    result = {f"{name}@{TRAIN_BACKEND}": better for name, better in TRAIN_DIRECTIONS.items()}
    for metric in registries.metrics:
        for value_name in list(metric.better_by_value) or [metric.name]:
            better = metric.direction(value_name)
            result[f"{value_name}@{metric.backend}"] = better
            result.setdefault(value_name, better)
    for score in registries.scores:
        result[score.name] = score.better
    return result


def direction_of(key: str, table: Mapping[str, str] | None = None) -> str | None:
    """``key``'s direction in ``table`` (default: ``directions()``, the loaded plugins'); ratings are
    higher-better; None for keys without one (base columns, unknown values)."""
    table = directions() if table is None else table
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


HIDDEN_BY_DEFAULT = ("epoch_seconds", "images_per_s", "d_conditioning", "planned_epochs")
"""Base keys and training values a table leaves out until asked (``ls --columns``, the TUI's k):
wall-clock statistics that vary run to run and say nothing about the model. Metric values are hidden
by their spec (``Metric.hidden_values``); per-class values (``diversity_c0`` .. ``intra_fid_c9``,
``cgan_tui.classes``) are hidden too."""


TRAIN_SHOWN = ("sample_images_per_s",)
"""Training values shown by default besides the losses (``*loss``): the sampling cost, which tells a
GAN from a diffusion model as much as their scores do."""


def declared_hidden(registries: Registries | None = None) -> frozenset[str]:
    """Keys (``kid_std@inception``) whose metric spec declares them hidden (``Metric.hidden_values``);
    ``registries`` None: the process's plugins (loaded once, torch-free)."""
    metrics = (registries if registries is not None else _process_registries()).metrics
    return frozenset(f"{value}@{metric.backend}" for metric in metrics for value in metric.hidden_values)


@functools.lru_cache(maxsize=1)
def _process_registries() -> Registries:
    from cgan_tui.plugins import load_plugins

    return load_plugins()


def hidden_by_default(key: str, registries: Registries | None = None) -> bool:
    """Whether ``ls`` and the TUI leave column ``key`` out of their default view: ``HIDDEN_BY_DEFAULT``,
    the values a metric's spec declares hidden (spreads, standard errors: ``Metric.hidden_values``),
    every per-class value, the single rating criteria (``final`` shows them combined) and the training
    values other than the losses (``g_loss``, a family's own ``diffusion_loss``) and ``TRAIN_SHOWN``."""
    name, _, backend = key.partition("@")
    if backend == TRAIN_BACKEND and not (name.endswith("loss") or name in TRAIN_SHOWN):
        return True
    if name in HIDDEN_BY_DEFAULT or per_class_label(name) is not None or backend == RATING_BACKEND:
        return True
    return key in declared_hidden(registries)


def columns_for(rows: Iterable[ResultRow], registries: Registries | None = None) -> list[Column]:
    """Base columns, then every score, metric and rating key present in ``rows`` (plugins included)."""
    rows = list(rows)
    table = directions(registries)
    cols = list(BASE_COLUMNS)
    if any(r.experiment for r in rows):
        cols.insert(1, Column("experiment", "experiment", None, "text"))
    if len({r.model for r in rows}) > 1:
        cols.insert(3, Column("model", "model", None, "text"))  # the family, as in --model
    if any(r.tags for r in rows):  # the researcher's own labels, right of the run label
        cols.insert([c.key for c in cols].index("label") + 1, Column("tags", "tags", None, "text"))
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


def known_keys(registries: Registries | None = None) -> list[str]:
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


def column_for(key: str, registries: Registries | None = None) -> Column:
    """A number column for a metric/score/rating key (used for known keys no row has yet)."""
    name, _, backend = key.partition("@")
    if backend == RATING_BACKEND:
        return Column(key, name, "higher", "number")
    return Column(key, _title(key), direction_of(key, directions(registries)), "number")
