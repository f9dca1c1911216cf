"""A one-line slider over the epochs that have a sample grid: left/right keys, click or drag to move."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class EpochSlider(Widget, can_focus=True):
    """``epochs`` are the stops; ``index`` the position. Posts ``EpochSlider.Changed(epoch)``."""

    BINDINGS = [
        Binding("left", "move(-1)", "Epoch -", show=False),
        Binding("right", "move(1)", "Epoch +", show=False),
        Binding("home", "jump(0)", "First", show=False),
        Binding("end", "jump(-1)", "Last", show=False),
    ]

    index: reactive[int] = reactive(0)

    @dataclass
    class Changed(Message):
        slider: EpochSlider
        epoch: int

        @property
        def control(self) -> EpochSlider:
            return self.slider

    def __init__(self, epochs: list[int] | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.epochs: list[int] = list(epochs or [])

    @property
    def epoch(self) -> int | None:
        return self.epochs[self.index] if self.epochs else None

    def set_epochs(self, epochs: list[int], select: int | None = None) -> None:
        """New stops; keep the current epoch (or ``select``) when it is still a stop."""
        keep = select if select is not None else self.epoch
        self.epochs = sorted(set(epochs))
        if keep in self.epochs:
            new = self.epochs.index(keep)
        elif keep is not None and self.epochs:
            new = min(range(len(self.epochs)), key=lambda i: abs(self.epochs[i] - keep))
        else:
            new = len(self.epochs) - 1 if self.epochs else 0
        if new != self.index:
            self.index = new
        else:
            self.refresh()
            self._announce()

    def select(self, epoch: int) -> None:
        if epoch in self.epochs:
            self.index = self.epochs.index(epoch)

    def action_move(self, delta: int) -> None:
        if self.epochs:
            self.index = max(0, min(len(self.epochs) - 1, self.index + delta))

    def action_jump(self, position: int) -> None:
        if self.epochs:
            self.index = position % len(self.epochs)

    def watch_index(self, _old: int, _new: int) -> None:
        self._announce()

    def _announce(self) -> None:
        if self.epoch is not None:
            self.post_message(self.Changed(self, self.epoch))

    def _track_width(self) -> int:
        label = len(self._label())
        return max(4, self.size.width - label - 4)

    def _label(self) -> str:
        if not self.epochs:
            return "epoch —"
        return f"epoch {self.epoch:>3} ({self.index + 1}/{len(self.epochs)})"

    def render(self) -> Text:
        text = Text(self._label() + " ◀", style="bold")
        width = self._track_width()
        if len(self.epochs) <= 1:
            pos = width - 1 if self.epochs else 0
        else:
            pos = round(self.index * (width - 1) / (len(self.epochs) - 1))
        text.append("━" * pos, style="cyan")
        text.append("●", style="bold yellow")
        text.append("─" * (width - pos - 1), style="dim")
        text.append("▶", style="bold")
        return text

    def on_click(self, event: events.Click) -> None:
        self._seek(event.x)

    def _seek(self, x: int) -> None:
        start = len(self._label()) + 2
        width = self._track_width()
        if not self.epochs or x < start or x >= start + width:
            return
        fraction = (x - start) / max(1, width - 1)
        self.index = round(fraction * (len(self.epochs) - 1))
