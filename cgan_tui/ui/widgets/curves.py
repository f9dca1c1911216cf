"""Curves (step-level losses, per-epoch metrics) drawn with textual-plotext, several series overlaid.

The legend is a line under the plot (never drawn over the lines), the y ticks are computed here (plotext's
own are wrong on a few rows), the smoothing and log options lead the title (and the summary), and below
``curve_math.MIN_ROWS`` x ``MIN_COLUMNS`` the widget shows a one-line summary instead of an unreadable plot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual_plotext import PlotextPlot

from cgan_tui.safe_text import literal
from cgan_tui.ui import curve_math

Series = Mapping[str, tuple[Sequence[float], Sequence[float | None]]]
"""label -> (x values, y values); x is in epochs (a step point of epoch ``e`` lies in ``(e - 1, e]``)."""

PALETTE: tuple[tuple[int, int, int], ...] = (
    (0, 175, 255), (255, 95, 215), (95, 215, 95), (255, 135, 0), (175, 135, 255), (215, 215, 215),
)
"""Series colours, in order; the legend uses the same ones (yellow is the epoch marker's)."""


class Curves(Vertical):
    """``plot(title, series)`` redraws; ``smoothing``/``log_y`` are set by the screen's keys
    (``cycle_smoothing``, ``toggle_log``); empty series show 'no data yet' instead of axes."""

    DEFAULT_CSS = """
    Curves { height: 1fr; width: 1fr; }
    Curves > PlotextPlot { height: 1fr; }
    Curves > .curves-title { height: 1; padding: 0 1; text-style: bold; }
    Curves > .curves-legend { height: auto; max-height: 2; padding: 0 1; }
    Curves > .curves-summary { height: auto; padding: 0 1; display: none; }
    """

    def __init__(self, title: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.title_text = title
        self.series: dict[str, tuple[list[float], list[float | None]]] = {}
        self.xlabel = "epoch"
        self._marker: float | None = None
        self.smoothing = 0.0
        self.smoothable = True
        self.log_y = False
        self.shown_title = title  # the title as drawn, with the smoothing and log notes (tests read it)
        self.compact = False

    def compose(self) -> ComposeResult:
        yield Static("", classes="curves-title")  # not plotext's title: that one vanishes when too long
        yield PlotextPlot()
        yield Static("", classes="curves-legend")
        yield Static("", classes="curves-summary")

    def on_mount(self) -> None:
        self._draw()

    def on_resize(self) -> None:
        self._draw()

    @property
    def marker(self) -> float | None:
        return self._marker

    @marker.setter
    def marker(self, value: float | None) -> None:
        self._marker = value
        self._draw()

    def plot(self, title: str, series: Series, xlabel: str = "epoch", marker: float | None = None,
             smoothable: bool = True) -> None:
        """``smoothable`` False: per-epoch values (a few points each a model's own measurement) are drawn as
        they are whatever the EMA setting; the title says so while smoothing is on."""
        self.title_text = title
        self.smoothable = smoothable
        self.xlabel = xlabel
        self.series = {k: (list(x), list(y)) for k, (x, y) in series.items() if len(x)}
        self._marker = marker
        self._draw()

    def cycle_smoothing(self) -> float:
        """The next EMA weight of ``curve_math.SMOOTHING`` (after the last: off)."""
        options = curve_math.SMOOTHING
        index = options.index(self.smoothing) if self.smoothing in options else -1
        self.smoothing = options[(index + 1) % len(options)]
        self._draw()
        return self.smoothing

    def toggle_log(self) -> bool:
        self.log_y = not self.log_y
        self._draw()
        return self.log_y

    # ------------------------------------------------------------------ drawing
    def _points(self) -> dict[str, tuple[list[float], list[float]]]:
        """Finite points of each series, smoothed when ``smoothing`` is on."""
        out = {}
        for label, (xs, ys) in self.series.items():
            points = [(x, float(y)) for x, y in zip(xs, ys, strict=True) if y is not None and math.isfinite(y)]
            if points:
                weight = self.smoothing if self.smoothable else 0.0
                out[label] = ([p[0] for p in points], curve_math.ema([p[1] for p in points], weight))
        return out

    def _title(self, points: Mapping[str, tuple[list[float], list[float]]]) -> tuple[str, bool]:
        """The title after the options in force (``EMA 0.6 · log y · G/D loss per step``), and whether the
        y axis is logarithmic."""
        notes = [curve_math.smoothing_label(self.smoothing) if self.smoothable
                 else ("no EMA: per epoch" if self.smoothing else "")]
        log = False
        if self.log_y:
            refusal = curve_math.log_refusal({k: ys for k, (_, ys) in points.items()})
            log = refusal is None
            notes.append("log y" if log else refusal)
        extra = " · ".join(n for n in notes if n)  # first: a title cut at 80 columns still shows them
        return (f"{extra} · {self.title_text}" if extra else self.title_text), log

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        chart = self.query_one(PlotextPlot)
        heading = self.query_one(".curves-title", Static)
        legend = self.query_one(".curves-legend", Static)
        summary = self.query_one(".curves-summary", Static)
        points = self._points()
        title, log = self._title(points)
        self.shown_title = title
        width, height = self.size
        small = bool(width and height) and (height < curve_math.MIN_ROWS or width < curve_math.MIN_COLUMNS)
        self.compact = small or not points  # nothing to draw: the line says so instead of empty axes
        chart.display = legend.display = heading.display = not self.compact
        summary.display = self.compact
        if self.compact:
            series = {k: ys for k, (_, ys) in points.items()}
            summary.update(literal(curve_math.summary_text(title, series, max(1, width - 2), max(1, height))))
            return
        key = _legend(list(points))
        legend.update(key)
        heading.update(literal(title if len(title) <= width - 2 else title[: max(0, width - 3)] + "…"))
        plt = chart.plt
        plt.clear_data()
        plt.clear_figure()
        plt.xlabel(self.xlabel)
        xs_all = sorted({x for xs, _ in points.values() for x in xs})
        plt.xticks(*_x_ticks(xs_all))
        transformed = {k: (xs, [math.log10(y) for y in ys] if log else ys) for k, (xs, ys) in points.items()}
        low = min(min(ys) for _, ys in transformed.values())
        high = max(max(ys) for _, ys in transformed.values())
        # rows of the plot from this widget's own size (the chart's may not be laid out yet): less the
        # title, the legend, the plot's top border, x axis, x ticks and x label
        legend_rows = 1 if key.cell_len <= width - 2 else 2
        ticks, labels = curve_math.y_ticks(low, high, max(1, height - 1 - legend_rows - 4), log)
        plt.ylim(ticks[0], ticks[-1])
        plt.yticks(ticks, labels)
        for i, (xs, ys) in enumerate(transformed.values()):
            plt.plot(xs, ys, marker="braille", color=PALETTE[i % len(PALETTE)])
        if self._marker is not None:
            plt.vline(self._marker, "yellow")
        chart.refresh()


def _legend(labels: list[str]) -> Text:
    """``━━ G  ━━ D`` in the series' colours: the legend sits under the plot, never over its lines."""
    text = Text()
    for i, label in enumerate(labels):
        r, g, b = PALETTE[i % len(PALETTE)]
        text.append("━━ ", style=f"rgb({r},{g},{b})")
        text.append_text(literal(label))
        text.append("  ")
    return text


def _x_ticks(xs: list[float]) -> tuple[list[float], list[str]]:
    """Whole epochs only, at most ~10 ticks (step points lie between them)."""
    if all(float(x).is_integer() for x in xs) and len(xs) <= 10:
        whole = [int(x) for x in xs]
    else:
        whole = list(range(math.floor(min(xs)), math.ceil(max(xs)) + 1))
    step = max(1, len(whole) // 10)
    chosen = whole[::step]
    return chosen, [str(e) for e in chosen]
