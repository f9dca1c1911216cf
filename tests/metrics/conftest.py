"""Fixtures for the metrics tests: an opened temp store and helpers to fill it with real rows."""

from __future__ import annotations

import pytest

from cgan_tui.config import RunConfig
from cgan_tui.store import queries
from cgan_tui.store.db import open_store


@pytest.fixture
def store(db_url):
    s = open_store(db_url)
    yield s
    s.dispose()


def add_run(store, status="completed", experiment=None, **config):
    """A run row (config as given, checkpoint epochs 10/20/30 by default); returns its id."""
    cfg = RunConfig(**{"epochs": 30, "checkpoint_epochs": (10, 20, 30), **config})
    return queries.create_run(store, cfg, status=status, experiment=experiment)


def add_values(store, run_id, epoch, backend, n=100, unavailable=None, **values):
    queries.upsert_metrics(store, run_id, epoch, values, backend=backend, n_samples=n, unavailable=unavailable)
