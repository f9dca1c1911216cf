"""Per-epoch curves (losses, metrics) drawn with textual-plotext; several series overlay in one plot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual_plotext import PlotextPlot

Series = Mapping[str, tuple[Sequence[float], Sequence[float]]]
"""label -> (x values, y values)."""


class Curves(PlotextPlot):
    """``plot(title, series)`` redraws; empty series show a 'no data yet' title instead of axes."""

    def __init__(self, title: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.title_text = title
        self.series: dict[str, tuple[list[float], list[float]]] = {}

    def on_mount(self) -> None:
        super().on_mount()
        self._draw()

    def plot(self, title: str, series: Series, xlabel: str = "epoch", marker: float | None = None) -> None:
        self.title_text = title
        self.series = {k: (list(x), list(y)) for k, (x, y) in series.items() if len(x)}
        self.marker = marker
        self._draw()

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        if not self.series:
            plt.title(f"{self.title_text}: no data yet")
            self.refresh()
            return
        plt.title(self.title_text)
        plt.xlabel("epoch")
        epochs = sorted({x for xs, _ in self.series.values() for x in xs})
        if epochs:
            step = max(1, len(epochs) // 10)  # whole epochs only, at most ~10 ticks
            plt.xticks(epochs[::step])
        for label, (xs, ys) in self.series.items():
            points = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
            if points:
                plt.plot([p[0] for p in points], [p[1] for p in points], label=label, marker="braille")
        marker = getattr(self, "marker", None)
        if marker is not None:
            plt.vline(marker, "yellow")
        self.refresh()
