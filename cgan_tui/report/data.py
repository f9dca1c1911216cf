"""What a report shows, read from the database once: models, runs, curves, grids (torch-free).

The table values are the results read model's (``cgan_tui.results.load_results``), so a report says
exactly what ``ls`` and the TUI say: same n per value, same backbone filter, same scores.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cgan_tui.errors import UserError
from cgan_tui.run_config import run_label
from cgan_tui.scoring import DEFAULT_PRESET


@dataclass
class RunInfo:
    """One run with everything the report draws of it."""

    run: Any  # store.tables.Run
    config: dict[str, Any]
    epochs: list  # queries.EpochRow
    series: dict[str, dict[int, float]]  # metric key -> epoch -> value (one n per curve)
    grids: dict[int, tuple[bytes, int, int]] = field(default_factory=dict)  # epoch -> (png, rows, cols)
    memorised: dict[int, Any] = field(default_factory=dict)  # epoch -> cgan_tui.memorised.MemorisedGrid
    experiment: str | None = None

    @property
    def train_seconds(self) -> float | None:
        """Sum of the recorded epoch times, else finished - started, else None."""
        times = [e.epoch_seconds for e in self.epochs if e.epoch_seconds is not None]
        if times:
            return float(sum(times))
        run = self.run
        if run.started_at and run.finished_at:
            return (run.finished_at - run.started_at).total_seconds()
        return None

    @property
    def name(self) -> str:
        """``r3 LSGAN_one-hot s2``: run id, setting label and seed (runs differing only by seed stay distinct)."""
        return f"r{self.run.id} {run_label(self.run.loss, self.run.conditioning, self.run.embed_dim)} s{self.run.seed}"


@dataclass
class ReportData:
    title: str
    database: str
    generated: str
    rows: list  # results.ResultRow, one per model
    runs: list[RunInfo]
    backend: str  # the default backend (the first with a combined score)
    registries: Any
    preset: str = DEFAULT_PRESET


def select_runs(store, experiment: str | None = None, run_ids: Sequence[int] = ()) -> tuple[list, str]:
    """The runs a report covers and a title; one-line errors for an unknown experiment or run and for
    an empty selection."""
    from sqlmodel import select

    from cgan_tui.store import queries as q
    from cgan_tui.store.tables import Experiment, Run

    if experiment is not None and run_ids:
        raise UserError("give --experiment NAME or RUN_IDS, not both")
    if run_ids:
        runs = [q.get_run(store, rid) for rid in dict.fromkeys(run_ids)]  # "no run 7; ids: ..."
        return runs, f"runs {', '.join(str(r.id) for r in runs)}"
    if experiment is not None:
        exps = q.read(store, lambda s: list(s.exec(select(Experiment)).all()))
        match = next((e for e in exps if e.name == experiment), None)
        if match is None:
            names = ", ".join(sorted(e.name for e in exps)) or "none yet (train or queue with --experiment NAME)"
            raise UserError(f"no experiment {experiment!r}; experiments: {names}")
        runs = q.read(store, lambda s: list(s.exec(select(Run).where(Run.experiment_id == match.id)
                                                   .order_by(Run.id)).all()))  # fmt: skip
        if not runs:
            raise UserError(f"experiment {experiment!r} has no runs yet")
        return runs, f"experiment {experiment}"
    runs = q.list_runs(store)
    if not runs:
        raise UserError("no runs to report: the database has none yet; train with `cgan-tui train ...` "
                        "(or give --db)")  # fmt: skip
    return runs, "all runs"


def collect(store, registries, *, experiment: str | None = None, run_ids: Sequence[int] = (),
            preset: str = DEFAULT_PRESET, database: str = "") -> ReportData:  # fmt: skip
    """Read everything the report shows for the selected runs."""
    from sqlmodel import select

    from cgan_tui import memorised, results
    from cgan_tui.results.sample_n import metric_series
    from cgan_tui.store import queries as q
    from cgan_tui.store.tables import Experiment

    runs, title = select_runs(store, experiment, run_ids)
    wanted = {r.id for r in runs}
    all_rows = results.load_results(store, registries, preset=preset)
    rows = [r for r in all_rows if r.run_id in wanted]
    exp_names = dict(q.read(store, lambda s: [(e.id, e.name) for e in s.exec(select(Experiment))]))
    metrics = q.metric_rows(store, sorted(wanted))
    by_run: dict[int, list] = {}
    for m in metrics:
        by_run.setdefault(m.run_id, []).append(m)
    model_epochs: dict[int, set[int]] = {}
    for row in rows:
        model_epochs.setdefault(row.run_id, set()).add(row.epoch)
    infos = []
    for run in runs:
        grids = {}
        have = set(q.grid_epochs(store, run.id))
        for epoch in sorted(model_epochs.get(run.id, set()) & have):
            g = q.grid(store, run.id, epoch)
            grids[epoch] = (bytes(g.png), g.rows, g.cols)
        records = {e: memorised.read(store.artifact_store, run.id, e) for e in grids}
        infos.append(RunInfo(run=run, config=json.loads(run.config_json), epochs=q.epoch_rows(store, run.id),
                             series=metric_series(by_run.get(run.id, [])), grids=grids,
                             memorised={e: r for e, r in records.items() if r is not None},
                             experiment=exp_names.get(run.experiment_id)))  # fmt: skip
    return ReportData(
        title=title, database=database, generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        rows=rows, runs=infos, backend=results.default_backend(rows), registries=registries, preset=preset,
    )  # fmt: skip
