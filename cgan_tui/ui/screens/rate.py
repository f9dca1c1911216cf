"""Rate: score one model's sample grid 1..5 on each criterion with the number keys.

The samples are shown at full resolution, one class row at a time (``←``/``→`` cycle the classes,
``[``/``]`` page the samples), so a rating is never given from a thumbnail."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from cgan_tui.grid_tiles import GridImage
from cgan_tui.safe_text import literal, one_line, visible
from cgan_tui.scoring import RATING_CRITERIA
from cgan_tui.ui.background import ReportsWorkerErrors, background, failure_line
from cgan_tui.ui.widgets.class_row import ClassRow

HELP = {
    "sharpness": "edges crisp, not blurry",
    "structure": "plausible garment shape",
    "detail": "texture, seams, prints",
    "class_fit": "each row looks like its class",
}


class RateScreen(ReportsWorkerErrors, Screen):
    """Up/down pick a criterion, 1-5 rate it (and move on); each rating is saved at once.

    Stars are drawn as saved only after the write committed: until then the criterion shows
    "saving…", and a write that did not land shows "NOT SAVED" with its one-line reason; ``r``
    retries every unsaved rating. A (run, epoch) without samples cannot be rated (the CLI's check)."""

    BINDINGS = [
        Binding("escape", "done", "Done"),
        Binding("up", "criterion(-1)", "Criterion", show=False),
        Binding("1", "rate(1)", "Rate", key_display="1-5"),
        *[Binding(str(n), f"rate({n})", str(n), show=False) for n in range(2, 6)],
        Binding("down", "criterion(1)", "Criterion", key_display="↑↓"),
        Binding("left", "label(-1)", "Class", key_display="←→"),
        Binding("right", "label(1)", "Class", show=False),
        Binding("left_square_bracket", "samples(-1)", "Samples", key_display="[ ]"),
        Binding("right_square_bracket", "samples(1)", "Samples", show=False),
        Binding("r", "retry", "Retry"),
    ]

    def __init__(self, run_id: int, epoch: int, label: str = "") -> None:
        super().__init__()
        self.run_id, self.epoch, self.label = run_id, epoch, label
        self.values: dict[str, int] = {}
        """Ratings known to be stored (loaded, or committed by a save)."""
        self.pending: dict[str, int] = {}
        self.failed: dict[str, tuple[int, str]] = {}
        """criterion -> (value, why) for writes that did not land."""
        self.refused: str | None = None
        """Why this (run, epoch) cannot be rated (no samples), from ``queries.check_rateable``."""
        self.current = 0
        self.grid: GridImage | None = None
        self.class_label = 0
        self.first_sample = 0
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(literal(one_line(f"rate run {self.run_id} epoch {self.epoch} {self.label}")), classes="screen-title")
        body = VerticalScroll(id="rate-body")
        body.can_focus = False  # its arrow-key scrolling would shadow the criterion/class keys
        with body:  # above the picture: at 80x24 or 70x20 the criteria stay whole, the picture's foot is cut
            yield Static("", id="rate-criteria")
        yield ClassRow(self.app.services.image_renderer, id="rate-row")
        yield Static(Text(self.app.services.image_footer), classes="renderer-line")
        yield Footer()

    def on_mount(self) -> None:
        self._load()
        self._draw()

    @background("loading the model to rate", group="rate-load")
    def _load(self) -> None:
        services = self.app.services
        values = services.ratings(self.run_id, self.epoch)
        grid = services.grid_image(self.run_id, self.epoch)
        refused = services.rateable(self.run_id, self.epoch)
        self.app.call_from_thread(self._loaded, values, grid, refused)

    def _loaded(self, values: dict[str, int], grid: GridImage | None, refused: str | None = None) -> None:
        self.values.update(values)
        self.grid = grid
        self.refused = refused
        self.loaded = True
        self._show_row()
        self._draw()

    def _show_row(self) -> None:
        title = f"epoch {self.epoch}" if self.grid else f"no sample grid stored for epoch {self.epoch}"
        row = self.query_one(ClassRow)
        row.show(self.grid, self.class_label, self.first_sample, title + " · ←→ class, [ ] samples")
        self.first_sample = row.first_sample

    def action_label(self, delta: int) -> None:
        rows = self.grid.rows if self.grid is not None else 1
        self.class_label = (self.class_label + delta) % rows
        self._show_row()

    def action_samples(self, delta: int) -> None:
        shown = self.query_one(ClassRow).shown or 1
        self.first_sample = max(0, self.first_sample + delta * shown)
        self._show_row()

    def _draw(self) -> None:
        text = Text()
        if self.refused:
            text.append(visible(f"cannot rate: {self.refused}\n\n"), style="bold red")
        for i, criterion in enumerate(RATING_CRITERIA):
            value = self.values.get(criterion)
            pointer = "▶ " if i == self.current else "  "
            stars = ("★" * value + "☆" * (5 - value)) if value else "☆☆☆☆☆ (not rated)"
            style = "bold reverse" if i == self.current else ""
            text.append(f"{pointer}{criterion:<10} {stars:<17}", style=style)
            if criterion in self.pending:
                text.append(f"  saving {self.pending[criterion]}…\n", style="yellow")
            elif criterion in self.failed:
                value, why = self.failed[criterion]
                text.append(visible(f"  {value} NOT SAVED (r retries): {why}\n"), style="bold red")
            else:
                text.append(f"  {HELP.get(criterion, '')}\n", style="dim")
        done = sum(1 for c in RATING_CRITERIA if c in self.values)
        text.append(f"{done}/{len(RATING_CRITERIA)} rated; the final score needs all four.", style="italic")
        self.query_one("#rate-criteria", Static).update(text)

    def action_criterion(self, delta: int) -> None:
        self.current = (self.current + delta) % len(RATING_CRITERIA)
        self._draw()

    def action_rate(self, value: int) -> None:
        if self.refused:  # known once loaded; before that the write itself runs the same check
            self.notify(self.refused, severity="error")
            return
        criterion = RATING_CRITERIA[self.current]
        self._start_save(criterion, value)
        self.current = min(self.current + 1, len(RATING_CRITERIA) - 1)
        self._draw()

    def action_retry(self) -> None:
        failed, self.failed = self.failed, {}
        for criterion, (value, _why) in failed.items():
            self._start_save(criterion, value)
        if not failed:
            self.notify("nothing to retry: every rating shown is saved")
        self._draw()

    def _start_save(self, criterion: str, value: int) -> None:
        self.pending[criterion] = value
        self.failed.pop(criterion, None)
        self._save(criterion, value)

    @background("saving a rating", group="rate-save")
    def _save(self, criterion: str, value: int) -> None:
        try:
            self.app.services.rate(self.run_id, self.epoch, criterion, value)
        except Exception as exc:  # noqa: BLE001 - the unsaved value is kept for retry (r), in the policy's words
            self.app.call_from_thread(self._saved, criterion, value, failure_line("", exc))
        else:
            self.app.call_from_thread(self._saved, criterion, value, None)

    def _saved(self, criterion: str, value: int, error: str | None) -> None:
        if self.pending.get(criterion) == value:
            del self.pending[criterion]
        elif criterion in self.pending:
            return  # a newer value for this criterion is still being saved
        if error is None:
            self.values[criterion] = value
        else:
            self.failed[criterion] = (value, error)
            self.notify(f"rating {criterion}={value} NOT saved: {error}", severity="error")
        self._draw()

    def action_done(self) -> None:
        self.dismiss(dict(self.values))
