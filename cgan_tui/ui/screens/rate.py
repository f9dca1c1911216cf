"""Rate: score one model's sample grid 1..5 on each criterion with the number keys."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cgan_tui.errors import UserError
from cgan_tui.scoring import RATING_CRITERIA
from cgan_tui.ui import messages as msg
from cgan_tui.ui.widgets.sample_grid import SampleGrid

HELP = {
    "sharpness": "edges crisp, not blurry",
    "structure": "plausible garment shape",
    "detail": "texture, seams, prints",
    "class_fit": "each row looks like its class",
}


class RateScreen(Screen):
    """Up/down pick a criterion, 1-5 rate it (and move on); each rating is saved at once."""

    BINDINGS = [
        Binding("escape", "done", "Done"),
        Binding("up", "criterion(-1)", "Prev", show=False),
        Binding("1", "rate(1)", "Rate 1-5"),
        *[Binding(str(n), f"rate({n})", str(n), show=False) for n in range(2, 6)],
        Binding("down", "criterion(1)", "Criterion", key_display="↑↓"),
    ]

    def __init__(self, run_id: int, epoch: int, label: str = "") -> None:
        super().__init__()
        self.run_id, self.epoch, self.label = run_id, epoch, label
        self.values: dict[str, int] = {}
        self.current = 0

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"rate run {self.run_id} epoch {self.epoch} {self.label}", classes="screen-title")
        with Horizontal(id="rate-body"):
            yield SampleGrid(self.app.services.image_renderer, id="rate-grid")
            yield Static("", id="rate-criteria")
        yield Footer()

    def on_mount(self) -> None:
        self._load()
        self._draw()

    @work(thread=True, group="rate-load")
    def _load(self) -> None:
        services = self.app.services
        try:
            values = services.ratings(self.run_id, self.epoch)
            png = services.grid_png(self.run_id, self.epoch)
        except UserError as exc:
            self.post_message(msg.Notice(str(exc), "error"))
            return
        self.app.call_from_thread(self._loaded, values, png)

    def _loaded(self, values: dict[str, int], png: bytes | None) -> None:
        self.values.update(values)
        caption = f"epoch {self.epoch}" if png else f"no sample grid stored for epoch {self.epoch}"
        self.query_one(SampleGrid).show(png, caption)
        self._draw()

    def _draw(self) -> None:
        text = Text()
        for i, criterion in enumerate(RATING_CRITERIA):
            value = self.values.get(criterion)
            pointer = "▶ " if i == self.current else "  "
            stars = ("★" * value + "☆" * (5 - value)) if value else "☆☆☆☆☆ (not rated)"
            style = "bold reverse" if i == self.current else ""
            text.append(f"{pointer}{criterion:<10} {stars}\n", style=style)
            text.append(f"    {HELP.get(criterion, '')}\n\n", style="dim")
        done = sum(1 for c in RATING_CRITERIA if c in self.values)
        text.append(f"{done}/{len(RATING_CRITERIA)} rated; the final score needs all four.\n", style="italic")
        self.query_one("#rate-criteria", Static).update(text)

    def action_criterion(self, delta: int) -> None:
        self.current = (self.current + delta) % len(RATING_CRITERIA)
        self._draw()

    def action_rate(self, value: int) -> None:
        criterion = RATING_CRITERIA[self.current]
        self.values[criterion] = value
        self._save(criterion, value)
        self.current = min(self.current + 1, len(RATING_CRITERIA) - 1)
        self._draw()

    @work(thread=True, group="rate-save")
    def _save(self, criterion: str, value: int) -> None:
        try:
            self.app.services.rate(self.run_id, self.epoch, criterion, value)
        except UserError as exc:
            self.post_message(msg.Notice(str(exc), "error"))

    def action_done(self) -> None:
        self.dismiss(dict(self.values))
