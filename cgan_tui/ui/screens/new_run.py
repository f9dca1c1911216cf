"""New run / new grid form: one run, or the product of embed dims x seeds, validated against the plugin
registries (``config.resolve``) before anything is queued."""

from __future__ import annotations

from itertools import product

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from cgan_tui.config import INT_MINIMUMS, ConfigError, RunConfig, parse_int_list, validated
from cgan_tui.errors import UserError
from cgan_tui.safe_text import literal
from cgan_tui.ui.background import ReportsWorkerErrors, background

DEFAULTS = {
    "embed_dims": "10",
    "epochs": "30",
    "seed": "0",
    "n_seeds": "1",
    "checkpoints": "10,20,30",
    "priority": "0",
    "limit_train": "",
    "precision": "auto",
    "experiment": "",
}
LABELS = {
    "embed_dims": "embed dims (list)",
    "epochs": "epochs",
    "seed": "first seed",
    "n_seeds": "seeds × N",
    "checkpoints": "checkpoint epochs",
    "priority": "priority",
    "limit_train": "limit train images",
    "precision": "precision auto|fp32|bf16",
    "experiment": "experiment name",
}


def int_list(name: str, text: str) -> list[int]:
    values = parse_int_list(text, name)
    if not values:
        raise ConfigError(f"{name} needs at least one integer")
    return values


def one_int(name: str, text: str, minimum: int | None = None) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {text!r}") from None
    if minimum is not None and value < minimum:
        raise ConfigError(f"{name} must be >= {minimum}, got {value}")
    return value


def build_configs(model: str, loss: str, conditioning: str, fields: dict[str, str]) -> list[RunConfig]:
    """Form text -> one RunConfig per (embed dim, seed), each validated by the config model
    (``config.validated``) as the CLI's and grid files' are; errors are one ``ConfigError`` line naming
    the form's field. The bounds are the model's (``INT_MINIMUMS``), worded with the form's labels."""
    dims = int_list("embed dims", fields["embed_dims"])
    epochs = one_int("epochs", fields["epochs"], INT_MINIMUMS["epochs"])
    first_seed = one_int("first seed", fields["seed"], INT_MINIMUMS["seed"])
    n_seeds = one_int("seeds × N", fields["n_seeds"], 1)
    checkpoints = tuple(int_list("checkpoint epochs", fields["checkpoints"])) if fields["checkpoints"].strip() else ()
    limit = (one_int("limit train images", fields["limit_train"], INT_MINIMUMS["limit_train"])
             if fields["limit_train"].strip() else None)  # fmt: skip
    precision = fields.get("precision", "").strip() or "auto"
    data = {"model": model, "loss": loss, "conditioning": conditioning, "epochs": epochs,
            "checkpoint_epochs": checkpoints, "limit_train": limit, "precision": precision}  # fmt: skip
    # the prefilled milestones are the defaults, cut to the run's length like the CLI's; typed ones must fit
    given = [k for k in data if k != "checkpoint_epochs" or fields["checkpoints"].strip() != DEFAULTS["checkpoints"]]
    return [
        validated({**data, "embed_dim": dim, "seed": seed}, given=[*given, "embed_dim", "seed"])
        for dim, seed in product(dims, range(first_seed, first_seed + n_seeds))
    ]


class NewRunScreen(ReportsWorkerErrors, ModalScreen[list]):
    """Dismisses with the new run ids (or None when cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Queue")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            yield Static("[b]new run / grid[/b] — one run per embed dim × seed; enter or ctrl+s queues")
            with Grid(id="form-fields"):
                for name in ("model", "loss", "conditioning"):
                    with Horizontal(classes="row"):
                        yield Label(name)
                        yield Select([], id=f"f-{name}", allow_blank=True, prompt="plugins loading…")
                for name, value in DEFAULTS.items():
                    with Horizontal(classes="row"):
                        yield Label(LABELS[name])
                        yield Input(value, id=f"f-{name}")
            yield Static("", id="form-error")
            with Horizontal(id="form-buttons"):
                yield Button("Queue", variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.watch(self.app, "registries", self._fill)

    def _fill(self, registries) -> None:
        if registries is None:  # the selects say "plugins loading…"
            return
        choices = {
            "model": registries.models.names(),
            "loss": registries.losses.names(),
            "conditioning": [c.name for c in registries.conditionings if c.generator is not None],
        }
        preferred = {"model": "seed000", "loss": "bce", "conditioning": "embedding"}
        for name, names in choices.items():
            select = self.query_one(f"#f-{name}", Select)
            select.set_options([(literal(n), n) for n in names])
            if names:
                select.value = preferred[name] if preferred[name] in names else names[0]
        self.query_one("#f-model", Select).focus()

    def values(self) -> tuple[dict[str, str], dict[str, str]]:
        picks = {}
        for name in ("model", "loss", "conditioning"):
            value = self.query_one(f"#f-{name}", Select).value
            picks[name] = "" if value is Select.BLANK else str(value)
        fields = {name: self.query_one(f"#f-{name}", Input).value for name in DEFAULTS}
        return picks, fields

    def set_error(self, text: str) -> None:
        self.query_one("#form-error", Static).update(literal(text, "bold red"))

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        if self.app.registries is None:
            self.set_error("plugins are still loading; try again in a moment")
            return
        picks, fields = self.values()
        missing = [k for k, v in picks.items() if not v]
        if missing:
            self.set_error(f"choose a {missing[0]}")
            return
        try:
            configs = build_configs(picks["model"], picks["loss"], picks["conditioning"], fields)
            priority = one_int("priority", fields["priority"])
        except UserError as exc:
            self.set_error(str(exc))
            return
        self.set_error("")
        self._enqueue(configs, priority, fields["experiment"].strip() or None)

    @background("not queued", exclusive=True, group="form-submit")
    def _enqueue(self, configs: list[RunConfig], priority: int, experiment: str | None) -> None:
        ids = self.app.services.enqueue(configs, priority=priority, experiment=experiment)
        self.app.call_from_thread(self.dismiss, ids)

    def show_error(self, line: str) -> None:
        """A failed submit is said on the form's error line; the form stays filled in: enter retries."""
        self.set_error(f"{line} (enter retries)")

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

