"""Rows of the read model: ``ResultRow`` (one model, a run at one epoch) and the keys it answers.

Keys name a value as ``NAME@BACKEND`` (see ``cgan_tui.results``); base columns use the attribute name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cgan_tui.formatting import NOT_YET
from cgan_tui.keys import RATING_BACKEND, TRAIN_BACKEND
from cgan_tui.run_config import run_label

SHARED_BACKENDS = ("lpips", "pixel")
"""Backends whose values every score backend's view includes (LPIPS enters both combined scores)."""
MISSING = NOT_YET
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
    tags: tuple[str, ...] = ()
    note: str = ""
    archived: bool = False
    """The run's label (``cgan_tui.labels``): archived runs are hidden unless a filter asks (``archived:yes``)."""

    @property
    def setting(self) -> str:
        """The setting as a reader sees it: family and label, with a short hash that tells apart
        settings whose label is the same but whose other options (lr, batch, ...) differ."""
        digest = hashlib.sha256(self.setting_key.encode()).hexdigest()[:4] if self.setting_key else "----"
        return f"{self.model} {self.label} #{digest}"

    @property
    def run_label(self) -> str:
        """The run's setting name without the epoch, e.g. ``HINGE_32`` (``cgan_tui.run_config.run_label``)."""
        return run_label(self.loss, self.conditioning, self.embed_dim)

    @property
    def label(self) -> str:
        """The seed study's model name, e.g. ``HINGE_32 e30`` or ``LSGAN_one-hot e30``."""
        return f"{self.run_label} e{self.epoch}"

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
    "tags": lambda r: " ".join(r.tags),
    "note": lambda r: r.note,
    "archived": lambda r: r.archived,
}
BASE_KEYS = tuple(_BASE_GETTERS)
SETTING = "setting"
"""A grouping key (``aggregate(rows, SETTING, ...)``, ``ls --aggregate setting``), not a table column."""
