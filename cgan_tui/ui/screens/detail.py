"""Run detail: loss and metric curves, the sample grid with an epoch slider, config, checkpoints, log."""

from __future__ import annotations

import json

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from cgan_tui import labels
from cgan_tui.classes import worst_class_note
from cgan_tui.errors import UserError
from cgan_tui.formatting import step_window_note
from cgan_tui.grid_tiles import GridImage
from cgan_tui.results import DISPLAY
from cgan_tui.results.sample_n import metric_series
from cgan_tui.safe_text import literal
from cgan_tui.ui import messages as msg
from cgan_tui.ui.background import ReportsWorkerErrors, background
from cgan_tui.ui.widgets.curves import Curves
from cgan_tui.ui.widgets.epoch_slider import EpochSlider
from cgan_tui.ui.widgets.sample_grid import SampleGrid


def _cost_text(epochs) -> str:
    """`` · train 812 img/s · sample 4.1 img/s``: the latest epoch's training and sampling cost."""
    for e in reversed(epochs):
        if e.images_per_s is not None:
            text = f" · train {e.images_per_s:.0f} img/s"
            rate = e.sample_images_per_s
            return text + (f" · sample {rate:.1f} img/s" if rate is not None else "")
    return ""


class RunDetailScreen(ReportsWorkerErrors, Screen):
    """One run; ``epoch`` is the model (evaluated epoch) the user opened, where the slider starts."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("left", "epoch(-1)", "Epoch", key_display="←→", show=False),
        Binding("right", "epoch(1)", "Epoch", show=False),
        Binding("up", "classes(-1)", "Classes", key_display="↑↓"),
        Binding("down", "classes(1)", "Classes", show=False),
        Binding("left_square_bracket", "samples(-1)", "Samples", key_display="[ ]", show=False),
        Binding("right_square_bracket", "samples(1)", "Samples", show=False),
        Binding("z", "zoom", "Zoom"),
        Binding("m", "next_metric", "Metric"),
        Binding("r", "rate", "Rate"),
        Binding("s", "save_grid", "Save PNG"),
        Binding("n", "labels", "Note"),
        Binding("e", "smoothing", "Smooth (EMA)", show=False),
        Binding("l", "log_y", "Log y", show=False),
        Binding("ctrl+r", "reload", "Reload", show=False),
    ]

    def __init__(self, run_id: int, epoch: int | None = None) -> None:
        super().__init__()
        self.run_id = run_id
        self.start_epoch = epoch
        self.data: msg.RunLoaded | None = None
        self.metric_keys: list[str] = []
        self.metric_index = 0
        self.grids: dict[int, GridImage | None] = {}
        self.saved_path = None  # where ``s`` last wrote the grid (tests read it)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"run {self.run_id}: loading…", classes="screen-title", id="detail-title")
        yield Static("", classes="screen-title", id="detail-labels")  # tags and note: never cut by a long title
        with Horizontal(id="detail-top"):
            with Vertical(id="detail-left"):
                yield SampleGrid(self.app.services.image_renderer, id="detail-grid")
                yield EpochSlider(id="detail-slider")
            with Vertical(id="detail-plots"):
                yield Curves("G/D loss", id="loss-plot")
                yield Curves("metric", id="metric-plot")
        with TabbedContent(id="detail-tabs"):
            with TabPane("Config", id="tab-config"):
                yield Static("", id="detail-config")
            with TabPane("Checkpoints", id="tab-checkpoints"):
                yield Static("", id="detail-checkpoints")
            with TabPane("Log", id="tab-log"):
                yield Static("", id="detail-log")
        yield Static(Text(self.app.services.image_footer), classes="renderer-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(EpochSlider).focus()
        self.load()
        self.set_interval(self.app.services.poll_interval, self._poll)

    SHORT_ROWS = 32
    """Below this terminal height the two charts cannot both be drawn readably: the loss chart (step
    curves) keeps the column and the metric chart becomes its summary line (``#detail-plots.short``)."""

    def on_resize(self, event) -> None:
        self.query_one("#detail-plots").set_class(event.size.height < self.SHORT_ROWS, "short")

    @property
    def slider(self) -> EpochSlider:
        return self.query_one("#detail-slider", EpochSlider)

    # ------------------------------------------------------------------ loading
    def _poll(self) -> None:
        if self.is_current and self.data is not None and getattr(self.data.run, "status", "") in ("running", "queued"):
            self.load()

    @background("loading the run", exclusive=True, group="detail-load")
    def load(self) -> None:
        services = self.app.services
        run = services.run(self.run_id)
        self.post_message(msg.RunLoaded(
            run=run,
            epochs=services.epoch_rows(self.run_id),
            metrics=services.metric_rows([self.run_id]),
            grid_epochs=services.grid_epochs(self.run_id),
            checkpoints=services.checkpoints(self.run_id),
            log=services.log_tail(self.run_id),
            label=services.label(self.run_id),
            steps=services.step_curves([self.run_id]).get(self.run_id, {}),
        ))  # fmt: skip

    def on_run_loaded(self, data: msg.RunLoaded) -> None:
        self.data = data
        run = data.run
        status = getattr(run.status, "value", run.status)
        title = (
            f"run {run.id} · {run.model} · {run.loss} · {run.conditioning}"
            f"{' ' + str(run.embed_dim) if run.conditioning == 'embedding' else ''} · seed {run.seed} · "
            f"{status} · epoch {run.current_epoch}/{run.epochs}"
        )
        precision = getattr(run, "precision", None)
        if precision:
            title += f" · {precision.split(' ', 1)[0]}"
        title += _cost_text(data.epochs) + worst_class_note(metric_series(data.metrics))
        evaluating = getattr(run, "eval_progress", None)
        if evaluating and status == "running":
            title += f" · evaluating: {evaluating}"
        pending = getattr(run, "eval_pending", None)
        if pending and status in ("queued", "running"):
            title += f" · evaluation pending: epoch {pending} (done before training goes on)"
        if run.error:  # on a completed run a note (e.g. which epochs lack values and the command that fills them)
            label = "note" if status == "completed" else "error"
            title += f" · {label}: {run.error.splitlines()[-1] if run.error.strip() else ''}"
        self.query_one("#detail-title", Static).update(literal(title))
        marks = labels.summary(data.label).removeprefix(" · ")  # the researcher's tags and note (n edits them)
        line = self.query_one("#detail-labels", Static)
        line.update(literal(marks))
        line.display = bool(marks)  # a line of their own, only for a run that has them
        self._draw_losses()
        series = metric_series(data.metrics)
        self.metric_keys = sorted(series)
        self._draw_metric(series)
        config = json.dumps(run.config, indent=2, sort_keys=True)
        every = next((c.every for c in data.steps.values()), None)
        config = f"{step_window_note(run.config.get('log_every'), every)}\n{config}"
        if precision:
            config = f"trains in {precision}\n{config}"
        self.query_one("#detail-config", Static).update(literal(config))
        ckpts = "\n".join(
            f"epoch {c.epoch:>3}  {c.kind:<9} {'best ' if c.is_best else ''}"
            f"{self.app.services.relative_artifact(c.path)}" for c in data.checkpoints
        )
        self.query_one("#detail-checkpoints", Static).update(literal(ckpts or "no checkpoints yet"))
        self.query_one("#detail-log", Static).update(literal(data.log or "no log yet (run.log appears when a worker runs it)"))
        select = self.start_epoch if self.slider.epoch is None else None
        self.start_epoch = None
        self.slider.set_epochs(data.grid_epochs, select=select)
        if not data.grid_epochs:
            self.query_one(SampleGrid).show(None, "no sample grid yet")

    def _draw_losses(self) -> None:
        assert self.data is not None
        epochs = self.data.epochs
        xs = [e.epoch for e in epochs]
        own = sorted({name for e in epochs for name in e.losses})
        if self.data.steps:  # step-level curves (runs trained before them have per-epoch values only)
            names = {"g_loss": "G", "d_loss": "D"}
            order = sorted(self.data.steps, key=lambda n: (n not in names, n != "g_loss", n))  # G, D, then the rest
            series = {names.get(n, DISPLAY.get(n, n)): (self.data.steps[n].epochs, self.data.steps[n].values)
                      for n in order}  # fmt: skip
            title = f"{'G/D loss' if set(self.data.steps) <= set(names) else ', '.join(series)} per step"
            if own:
                title += " (G/D loss n/a)"
        elif own:  # a family with its own trainer (diffusion): its losses; it has no G/D loss (n/a)
            title = f"{', '.join(DISPLAY.get(n, n) for n in own)} per epoch (G/D loss n/a)"
            series = {DISPLAY.get(n, n): (xs, [e.losses.get(n) for e in epochs]) for n in own}
        else:
            title = "G/D loss per epoch"
            series = {"G": (xs, [e.g_loss for e in epochs]), "D": (xs, [e.d_loss for e in epochs])}
        self.query_one("#loss-plot", Curves).plot(title, series, marker=self.slider.epoch,
                                                  smoothable=bool(self.data.steps))  # EMA: step curves only

    def _draw_metric(self, series: dict[str, dict[int, float]] | None = None) -> None:
        if self.data is None:
            return
        series = series if series is not None else metric_series(self.data.metrics)
        plot = self.query_one("#metric-plot", Curves)
        if not self.metric_keys:
            plot.plot("metrics (none evaluated yet)", {})
            return
        self.metric_index %= len(self.metric_keys)
        key = self.metric_keys[self.metric_index]
        points = series.get(key, {})
        plot.plot(
            f"{key} ({self.metric_index + 1}/{len(self.metric_keys)}, m: next)",
            {key: (sorted(points), [points[e] for e in sorted(points)])},
            marker=self.slider.epoch,
            smoothable=False,  # a per-epoch value is a model's own measurement: never averaged with others
        )

    # ------------------------------------------------------------------ epoch slider
    @on(EpochSlider.Changed, "#detail-slider")
    def _epoch_changed(self, event: EpochSlider.Changed) -> None:
        epoch = event.epoch
        if epoch in self.grids:
            self._show_grid(epoch)
        else:
            self._fetch_grid(epoch)
        if self.data is not None:
            self._draw_losses()
            self._draw_metric()

    @background("loading a sample grid", group="detail-grid")
    def _fetch_grid(self, epoch: int) -> None:
        self.post_message(msg.GridLoaded(self.run_id, epoch, self.app.services.grid_image(self.run_id, epoch)))

    def on_grid_loaded(self, message: msg.GridLoaded) -> None:
        self.grids[message.epoch] = message.grid
        if message.epoch == self.slider.epoch:
            self._show_grid(message.epoch)

    def _show_grid(self, epoch: int) -> None:
        self.query_one(SampleGrid).show(self.grids.get(epoch), f"epoch {epoch}")

    def action_epoch(self, delta: int) -> None:
        self.slider.action_move(delta)

    def action_classes(self, delta: int) -> None:
        self.query_one(SampleGrid).scroll_classes(delta)

    def action_samples(self, delta: int) -> None:
        self.query_one(SampleGrid).scroll_samples(delta)

    def action_zoom(self) -> None:
        """Full resolution: the grid's first shown class row, at the slider's epoch."""
        epoch = self.slider.epoch
        if epoch is None or self.data is None:
            self.notify("no sample grid to zoom into yet", severity="warning")
            return
        from cgan_tui.ui.screens.zoom import ZoomScreen, ZoomSource

        run = self.data.run
        source = ZoomSource(f"run {run.id} {run.loss} {run.conditioning}", run.id, tuple(self.data.grid_epochs))
        grid = self.query_one(SampleGrid)
        self.app.push_screen(ZoomScreen([source], epoch, grid.first_class), self._zoom_closed)

    def _zoom_closed(self, result: tuple[int, int] | None) -> None:
        if result is not None:
            epoch, label = result
            self.slider.select(epoch)
            grid = self.query_one(SampleGrid)
            grid.first_class = label
            grid.show(grid.grid, grid.caption)

    def action_smoothing(self) -> None:
        """EMA smoothing of the curves: off, 0.6, 0.9, 0.99 (shown in each chart's title)."""
        current = self.query_one("#loss-plot", Curves).smoothing
        for plot in self.query(Curves):
            plot.smoothing = current
            plot.cycle_smoothing()

    def action_log_y(self) -> None:
        """Linear/log y on the curves (a chart with values <= 0 stays linear and says why in its title)."""
        log = not self.query_one("#loss-plot", Curves).log_y
        for plot in self.query(Curves):
            plot.log_y = not log
            plot.toggle_log()

    def action_next_metric(self) -> None:
        self.metric_index += 1
        self._draw_metric()

    def action_reload(self) -> None:
        self.load()

    def action_rate(self) -> None:
        epoch = self.slider.epoch
        if epoch is None or self.data is None:
            self.notify("no sample grid to rate yet", severity="warning")
            return
        from cgan_tui.ui.screens.rate import RateScreen

        run = self.data.run
        self.app.push_screen(RateScreen(self.run_id, epoch, f"{run.loss} {run.conditioning} e{epoch}"))

    def action_labels(self) -> None:
        """Edit the run's note and tags in a small modal; saved in a thread, then the view reloads."""
        if self.data is None:
            return
        try:
            self.app.services.check_writable()
        except UserError as exc:
            self.notify(f"note and tags not saved: {exc}", severity="error")
            return
        from cgan_tui.ui.screens.labels import LabelsScreen

        run = self.data.run
        current = self.data.label or labels.NO_LABEL
        self.app.push_screen(LabelsScreen(self.run_id, f"{run.loss} {run.conditioning}", current), self._labels_closed)

    def _labels_closed(self, result: tuple[str, tuple[str, ...]] | None) -> None:
        if result is not None:
            self._save_labels(*result)

    @background("note and tags not saved", exclusive=True, group="detail-labels")
    def _save_labels(self, note: str, tags: tuple[str, ...]) -> None:
        self.app.services.save_label(self.run_id, note, tags)
        self.post_message(msg.Notice(f"run {self.run_id}: note and tags saved"))
        self.app.call_from_thread(self.load)

    def action_save_grid(self) -> None:
        """Write the grid shown at the slider's epoch (the stored PNG, as is) and say where."""
        epoch = self.slider.epoch
        grid = self.grids.get(epoch) if epoch is not None else None
        if grid is None:
            self.notify("no sample grid shown to save yet", severity="warning")
            return
        try:
            path = self.app.services.save_grid_png(self.run_id, epoch, grid.png)
        except UserError as exc:
            self.notify(str(exc), severity="error")
            return
        self.saved_path = path
        self.notify(f"saved run {self.run_id} epoch {epoch} grid to {path}")
