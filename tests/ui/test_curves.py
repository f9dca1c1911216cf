"""Step-level curves (issue 29 item 5): the pure smoothing/log/tick/summary functions, the ``Curves`` widget
at small sizes (y axis upright at 70x20, a one-line summary when there is no room) and a real 2-epoch run
whose stored and drawn curves have >= 20 points, with the smoothing and log keys on detail and compare."""

from __future__ import annotations

import math
import re

import pytest
from textual.app import App, ComposeResult
from textual_plotext import PlotextPlot

from cgan_tui.ui import curve_math
from cgan_tui.ui.widgets.curves import Curves

from .conftest import results_loaded, wait_for


def test_ema_is_debiased_and_off_at_zero():
    assert curve_math.ema([1.0, 2.0], 0.0) == [1.0, 2.0]
    out = curve_math.ema([4.0, 4.0, 4.0], 0.9)  # a constant stays itself from the first point (no pull to 0)
    assert out == pytest.approx([4.0, 4.0, 4.0])
    out = curve_math.ema([0.0, 10.0], 0.5)
    assert out == pytest.approx([0.0, (0.25 * 0 + 0.5 * 10) / 0.75])
    nan = curve_math.ema([1.0, float("nan"), 3.0], 0.5)
    assert math.isnan(nan[1]) and nan[2] == pytest.approx((0.25 * 1 + 0.5 * 3) / 0.75)


def test_log_refusal_names_the_series_with_values_at_or_below_zero():
    assert curve_math.log_refusal({"G": [1.0, 0.5], "D": [0.1]}) is None
    assert curve_math.log_refusal({"G": [1.0], "D (wgan)": [-3.0, 2.0]}) == "log y off: D (wgan) has values <= 0"


def test_y_ticks_ascend_and_label_log_values():
    ticks, labels = curve_math.y_ticks(0.5, 2.0, rows=8)
    assert ticks == sorted(ticks) and ticks[0] == 0.5 and ticks[-1] == 2.0 and len(ticks) == 4
    ticks, labels = curve_math.y_ticks(-2.0, 0.0, rows=4, log=True)
    assert labels[0] == "0.01" and labels[-1] == "1"
    assert curve_math.y_ticks(1.0, 1.0, rows=4)[0][-1] > 1.0  # a flat curve still gets an axis


def test_summary_line_gives_first_last_and_min():
    series = {"G": [1.23, 0.8, 0.87], "D": [float("nan"), 0.45]}
    assert curve_math.summary_line(series) == "G 1.23 → 0.87 (min 0.8) · D 0.45 → 0.45 (min 0.45)"
    assert curve_math.summary_text("loss", series, width=80, rows=3) == "loss\nG 1.23 → 0.87 (min 0.8)\nD 0.45 → 0.45 (min 0.45)"
    assert curve_math.summary_text("loss", series, width=20, rows=1) == "loss: G 1.23 → 0.87…"


class CurvesApp(App):
    def compose(self) -> ComposeResult:
        yield Curves("G/D loss", id="plot")


def y_labels(curves: Curves) -> list[float]:
    """The y tick labels of the drawn plot, top row first."""
    text = curves.query_one(PlotextPlot).render().plain
    return [float(m.group(1)) for line in text.splitlines() if (m := re.match(r"\s*([-\d.e+]+)\s*┤", line))]


@pytest.mark.parametrize("size", [(70, 20), (80, 24), (40, 9)])
async def test_y_axis_reads_upwards_and_the_legend_is_under_the_plot(size):
    app = CurvesApp()
    async with app.run_test(size=size) as pilot:
        plot = app.query_one(Curves)
        plot.plot("G/D loss", {"G": ([1, 2, 3], [2.0, 1.5, 1.0]), "D": ([1, 2, 3], [0.5, 0.6, 0.7])})
        await pilot.pause()
        assert not plot.compact
        labels = y_labels(plot)
        assert len(labels) >= 2 and labels == sorted(labels, reverse=True), labels  # top row is the highest
        assert labels[0] >= 2.0 and labels[-1] <= 0.5
        legend = str(plot.query_one(".curves-legend").render())
        assert "━━ G" in legend and "━━ D" in legend
        assert "G" not in plot.query_one(PlotextPlot).render().plain.split("\n", 1)[1]  # no legend inside the plot


async def test_no_room_gives_a_one_line_summary():
    app = CurvesApp()
    async with app.run_test(size=(60, 6)) as pilot:
        plot = app.query_one(Curves)
        plot.plot("G/D loss", {"G": ([1, 2], [1.5, 1.0]), "D": ([1, 2], [0.5, 0.6])})
        await pilot.pause()
        assert plot.compact and not plot.query_one(PlotextPlot).display
        assert str(plot.query_one(".curves-summary").render()) == "G/D loss\nG 1.5 → 1 (min 1)\nD 0.5 → 0.6 (min 0.5)"


async def test_smoothing_and_log_show_in_the_title_and_log_refuses_negative_values():
    app = CurvesApp()
    async with app.run_test(size=(80, 24)) as pilot:
        plot = app.query_one(Curves)
        plot.plot("loss", {"G": ([1, 2, 3], [1.0, 0.1, 0.01])})
        assert [plot.cycle_smoothing() for _ in range(4)] == [0.6, 0.9, 0.99, 0.0]
        plot.cycle_smoothing()
        plot.toggle_log()
        await pilot.pause()
        assert plot.shown_title == "EMA 0.6 · log y · loss"  # the options first: never cut off
        labels = y_labels(plot)  # log ticks: equal ratios between neighbours, down to the smoothed minimum (0.22)
        assert labels[0] >= 1.0 and 0.2 < labels[-1] < 0.25
        assert labels[0] / labels[1] == pytest.approx(labels[1] / labels[2], rel=0.05)
        plot.plot("wgan", {"D": ([1, 2], [-2.0, 1.0])})
        assert plot.shown_title == "EMA 0.6 · log y off: D has values <= 0 · wgan"


def two_runs(rows: list) -> list:
    """The first model of each of the first two runs shown (compare overlays runs)."""
    first = {}
    for row in rows:
        first.setdefault(row.run_id, row)
    return list(first.values())[:2]


@pytest.fixture(scope="module")
def stepped_db(tmp_path_factory, fmnist_dir, registries):
    """Two real 2-epoch runs of 20 steps an epoch, recording every step (``log_every`` 1); trained once for
    the module (the tests only read them)."""
    tmp_path = tmp_path_factory.mktemp("stepped")
    from cgan_tui.config import RunConfig
    from cgan_tui.runner.execute import execute_run
    from cgan_tui.runner.queue import claim_next, enqueue_grid
    from cgan_tui.store.db import open_store

    url = f"sqlite:///{tmp_path / 'steps.db'}"
    store = open_store(url)
    configs = [RunConfig(model="seed004", loss=loss, conditioning="one-hot", epochs=2, checkpoint_epochs=(2,),
                         limit_train=320, batch_size=16, log_every=1, seed=1, device="cpu",
                         data_dir=str(fmnist_dir), metrics=())
               for loss in ("bce", "hinge")]  # fmt: skip
    ids = enqueue_grid(store, configs, registries=registries, experiment="steps")
    for _ in ids:
        run = claim_next(store, "steps-worker")
        assert execute_run(store, run.id, registries, worker_id="steps-worker").status == "completed"
    store.dispose()
    return url, ids


async def test_a_real_two_epoch_run_stores_and_draws_step_curves(stepped_db, make_app):
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store
    from cgan_tui.ui.screens.compare import CompareScreen
    from cgan_tui.ui.screens.detail import RunDetailScreen

    url, ids = stepped_db
    store = open_store(url)
    curves = queries.step_curves(store, ids)
    store.dispose()
    for run_id in ids:
        assert {name: len(c.values) for name, c in curves[run_id].items()} == {"g_loss": 40, "d_loss": 40}
        assert curves[run_id]["d_loss"].steps == list(range(1, 41))

    app = make_app(url)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="run detail")
        plot = app.screen.query_one("#loss-plot", Curves)
        assert len(plot.series["G"][0]) >= 20 and plot.shown_title == "G/D loss per step"
        await pilot.press("e")
        assert plot.smoothing == 0.6 and "EMA 0.6" in plot.shown_title
        assert app.screen.query_one("#metric-plot", Curves).smoothing == 0.6  # one control for the screen
        await pilot.press("l")
        assert plot.log_y and ("log y" in plot.shown_title)
        await pilot.press("escape")

        results = app.screen
        app.push_screen(CompareScreen(two_runs(results.table.shown), all_rows=list(results.table.shown)))
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.overlays, what="compare")
        screen = app.screen
        plot = screen.query_one("#compare-plot", Curves)
        assert plot.title_text.startswith("g_loss per step")  # G first, as run detail
        assert all(len(xs) >= 20 for xs, _ in plot.series.values()) and len(plot.series) == 2
        await pilot.press("v")
        assert plot.title_text != list(screen.overlays)[0]
        await pilot.press("e", "e", "l")
        assert "EMA 0.9" in plot.shown_title and "log y" in plot.shown_title


@pytest.mark.parametrize("size", [(80, 24)])
async def test_short_terminals_give_the_step_curves_the_chart_column(stepped_db, make_app, size):
    """Below 32 rows the loss chart (step curves) takes the chart column and the metric chart is its summary
    line: at 80x24 the step curves are drawn (at 70x20 there is room for neither: both are summaries)."""
    from cgan_tui.ui.screens.detail import RunDetailScreen

    url, _ = stepped_db
    app = make_app(url)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None
                       and app.screen.query_one("#loss-plot", Curves).series, what="run detail")
        await pilot.pause()
        loss, metric = app.screen.query_one("#loss-plot", Curves), app.screen.query_one("#metric-plot", Curves)
        assert not loss.compact and metric.compact
        labels = y_labels(loss)
        assert len(labels) >= 2 and labels == sorted(labels, reverse=True), labels


@pytest.mark.parametrize("size", [(70, 20), (80, 24)])
async def test_detail_charts_at_small_sizes_read_upwards_or_summarise(ui_db, make_app, size):
    """The issue's capture: at 70x20 the loss chart's y axis was upside down. Now each chart is either a
    plot whose y labels fall from top to bottom, or (no room) its one-line summary."""
    from cgan_tui.ui.screens.detail import RunDetailScreen

    app = make_app(ui_db.url)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="run detail")
        await pilot.pause()
        for plot in app.screen.query(Curves):
            if plot.compact:
                summary = str(plot.query_one(".curves-summary").render())
                assert "→" in summary or "no data" in summary, summary
            else:
                labels = y_labels(plot)
                assert labels == sorted(labels, reverse=True), (plot.id, labels)


def test_overlays_offer_step_losses_with_per_epoch_fallback_then_every_column():
    from cgan_tui.store.queries import EpochRow, StepCurve

    class Model:  # the part of ``ResultRow`` overlays read
        def __init__(self, run_id, epoch, **values):
            self.run_id, self.epoch, self.values = run_id, epoch, values

        def get(self, key):
            return self.values.get(key)

    steps = {1: {"g_loss": StepCurve([5, 10], [0.5, 1.0], [2.0, 1.5]), "d_loss": StepCurve([10], [1.0], [0.7])}}
    epochs = {1: [EpochRow(1, g_loss=1.6, d_loss=0.7)], 2: [EpochRow(1, g_loss=1.1, d_loss=0.4), EpochRow(2, g_loss=0.9)]}
    models = [Model(2, 2, **{"fid@pixel": 25.0, "combined": 0.4}), Model(2, 1, **{"fid@pixel": 30.0}),
              Model(1, 1, combined=0.7), Model(3, 1, combined=0.1)]
    out = curve_math.overlays(steps, epochs, [1, 2], models, ["fid@pixel", "combined", "class_acc"])
    assert list(out) == ["g_loss per step", "d_loss per step", "fid@pixel", "combined"]
    assert out["g_loss per step"] == {1: ([0.5, 1.0], [2.0, 1.5]), 2: ([1, 2], [1.1, 0.9])}  # run 2: per epoch
    assert out["d_loss per step"][2] == ([1], [0.4])
    assert out["fid@pixel"] == {2: ([1, 2], [30.0, 25.0])}
    assert out["combined"] == {1: ([1], [0.7]), 2: ([2], [0.4])}  # run 3 is not compared


async def test_compare_overlays_any_per_epoch_metric_across_the_runs(ui_db, make_app):
    from cgan_tui.ui.screens.compare import CompareScreen

    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        rows = app.screen.table.shown
        app.push_screen(CompareScreen(two_runs(rows), all_rows=list(rows)))
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.overlays, what="compare")
        screen = app.screen
        keys = list(screen.overlays)
        assert keys[:2] == ["g_loss per step", "d_loss per step"]
        assert any(k.startswith("fid@") for k in keys) and any(k.startswith("combined") for k in keys), keys
        plot = screen.query_one("#compare-plot", Curves)
        target = next(i for i, k in enumerate(keys) if k.startswith("combined"))
        for _ in range(target):
            await pilot.press("v")
        assert plot.title_text.startswith(keys[target]) and len(plot.series) == 2
        assert all(xs == [1, 2] for xs, _ in plot.series.values())  # one point per evaluated epoch, per run
