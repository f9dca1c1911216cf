"""Value keys ``NAME@BACKEND``: the backends no metric plugin owns, in one place for every layer.

Metrics name their own backends (``inception``, ``classifier``, ...). Two more are reserved: the
per-epoch training statistics a worker records, and the human ratings. Torch-free, SQL-free.
"""

from __future__ import annotations

TRAIN_BACKEND = "train"
"""Backend of the per-epoch training statistics (MetricValue rows with n_samples 0)."""
TRAIN_STATS = ("g_loss", "d_loss", "epoch_seconds", "images_per_s", "sample_images_per_s", "eval_seconds")
"""The values a worker records under ``TRAIN_BACKEND`` every epoch."""
RATING_BACKEND = "rating"
"""Pseudo-backend of the human ratings in table keys (``sharpness@rating``); not stored as metrics."""


__all__ = ["TRAIN_BACKEND", "TRAIN_STATS", "RATING_BACKEND"]
