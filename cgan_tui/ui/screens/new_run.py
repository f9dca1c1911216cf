"""New run / new grid form: one run, or the product of embed dims x seeds, validated against the plugin
registries (``config.resolve``) before anything is queued."""

from __future__ import annotations

from itertools import product

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from cgan_tui.config import INT_MINIMUMS, ConfigError, RunConfig, closed_checkpoints, parse_int_list, validated
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
PICKS = ("model", "loss", "conditioning")
"""The fields chosen among the plugins' names (selects); the rest are typed (``DEFAULTS``)."""
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


CONFIG_NAMES = {"embed_dims": ("embed_dim",), "checkpoints": ("checkpoint_epochs", "checkpoint epoch")}
"""The config's own names of the form's fields, as ``config.validated``'s errors say them."""


def field_named(message: str) -> str | None:
    """The form field an error line is about: the one whose label (or name) it mentions first, the longer
    label winning a tie (``checkpoint epochs must be <= epochs`` is about the checkpoint epochs)."""
    found = []
    for name in (*PICKS, *DEFAULTS):
        for words in {LABELS.get(name, name).split(" (")[0], name.replace("_", " "), name, *CONFIG_NAMES.get(name, ())}:
            at = message.find(words)
            if at >= 0:
                found.append((at, -len(words), name))
    return min(found)[2] if found else None


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
    # what the field shows is what is queued: the prefilled value follows the epochs (``NewRunScreen``)
    return [
        validated({**data, "embed_dim": dim, "seed": seed}, given=[*data, "embed_dim", "seed"])
        for dim, seed in product(dims, range(first_seed, first_seed + n_seeds))
    ]


class NewRunScreen(ReportsWorkerErrors, ModalScreen[list]):
    """Dismisses with the new run ids (or None when cancelled)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "submit", "Queue")]

    auto_checkpoints = DEFAULTS["checkpoints"]
    """The checkpoint epochs the form last filled in itself: while the field shows them, the user has not
    edited it and it follows the epochs field (``closed_checkpoints``, the CLI's rule)."""

    choices_ready = False
    """True once every stand-in select has been swapped for the plugins' names (``_fill``)."""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            with Vertical(id="form-head"):  # docked: the error line stays in sight however far the form scrolls
                yield Static("[b]new run / grid[/b] — one run per embed dim × seed; enter or ctrl+s queues")
                yield Static("", id="form-error")
            with Grid(id="form-fields"):
                for name in PICKS:
                    with Horizontal(classes="row", id=f"row-{name}"):
                        yield Label(name)
                        # a stand-in that cannot be chosen: replaced by the real choices once plugins load
                        yield Select([], id=f"f-{name}", prompt="plugins loading…", disabled=True)
                for name, value in DEFAULTS.items():
                    with Horizontal(classes="row"):
                        yield Label(LABELS[name])
                        yield Input(value, id=f"f-{name}")
            with Horizontal(id="form-buttons"):
                yield Button("Queue", variant="primary", id="submit")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.watch(self.app, "registries", self._fill)

    async def _fill(self, registries) -> None:
        """Swap the stand-ins for selects of the plugins' names, without a blank entry (one is always chosen)."""
        if registries is None:  # the stand-ins say "plugins loading…"
            return
        choices = {
            "model": registries.models.names(),
            "loss": registries.losses.names(),
            "conditioning": [c.name for c in registries.conditionings if c.generator is not None],
        }
        preferred = {"model": "seed000", "loss": "bce", "conditioning": "embedding"}
        for name, names in choices.items():
            await self.query_one(f"#f-{name}", Select).remove()
            if names:
                value = preferred[name] if preferred[name] in names else names[0]
                select = Select([(literal(n), n) for n in names], id=f"f-{name}", allow_blank=False, value=value)
            else:  # a plugin set without any: said, and refused on submit
                select = Select([], id=f"f-{name}", prompt=f"no {name} plugin loaded", disabled=True)
            await self.query_one(f"#row-{name}", Horizontal).mount(select)
        self.choices_ready = True
        self.query_one("#f-model", Select).focus()

    @on(Input.Changed, "#f-epochs")
    def _epochs_changed(self, event: Input.Changed) -> None:
        """The default milestones cut to the typed epochs, as the CLI would queue them, so the form shows
        what it queues; a value the user typed stays (and is refused when above the epochs)."""
        box = self.query_one("#f-checkpoints", Input)
        try:
            epochs = int(event.value.strip())
        except ValueError:
            return
        if box.value != self.auto_checkpoints or epochs < INT_MINIMUMS["epochs"]:
            return
        defaults = tuple(int_list("checkpoint epochs", DEFAULTS["checkpoints"]))
        self.auto_checkpoints = ",".join(map(str, closed_checkpoints(defaults, epochs)))
        box.value = self.auto_checkpoints

    def values(self) -> tuple[dict[str, str], dict[str, str]]:
        picks = {}
        for name in PICKS:
            select = self.query_one(f"#f-{name}", Select)
            picks[name] = "" if select.is_blank() else str(select.value)
        fields = {name: self.query_one(f"#f-{name}", Input).value for name in DEFAULTS}
        return picks, fields

    def set_error(self, text: str, field: str | None = None) -> None:
        """The error line (top of the form) says it; the cursor goes to the field it names, scrolled into view."""
        self.query_one("#form-error", Static).update(literal(text, "bold red"))
        field = field or (field_named(text) if text else None)
        if field is not None:
            widget = self.query_one(f"#f-{field}")
            if widget.focusable:
                widget.focus()
            widget.scroll_visible(animate=False)

    @on(Input.Submitted)
    @on(Button.Pressed, "#submit")
    def action_submit(self) -> None:
        if not self.choices_ready:
            self.set_error("plugins are still loading; try again in a moment")
            return
        picks, fields = self.values()
        missing = [k for k, v in picks.items() if not v]
        if missing:
            self.set_error(f"{missing[0]}: nothing chosen; pick one of the {missing[0]} plugins' names", missing[0])
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

