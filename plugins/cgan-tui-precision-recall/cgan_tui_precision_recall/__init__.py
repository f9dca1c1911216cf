"""cgan-tui plugin: improved precision/recall on the in-project Fashion-MNIST classifier's features.

A metric plugs in exactly like a loss: one hook returning ``Metric`` objects. Its values
(``precision``, ``recall``) are stored with backend ``classifier`` and appear as columns in
``cgan-tui ls`` and the TUI's results table. torch loads only when the metric runs.
"""

from __future__ import annotations

from cgan_tui import Metric, hookimpl, lazy

__version__ = "0.1.0"


@hookimpl
def register_metrics() -> list[Metric]:
    """``precision_recall``: fidelity (precision) and coverage (recall) of generated samples, k=3."""
    return [
        Metric(
            name="precision_recall",
            backend="classifier",
            compute=lazy("cgan_tui_precision_recall.metric:compute"),
            better="higher",
            # tables learn the direction of each value name from here (values are not named like the metric)
            better_by_value={"precision": "higher", "recall": "higher"},
            description="improved precision/recall, k=3 (Kynkaanniemi et al. 2019) on classifier features",
        )
    ]
