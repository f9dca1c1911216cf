"""Issue 29 item 4: the new-run form refuses what the CLI refuses and says so where the cursor is (80x24);
no placeholder entry can be queued; `u` on a run that is not requeueable says so (SQLite and PostgreSQL)."""

from __future__ import annotations

from textual.widgets import Select

from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.new_run import NewRunScreen, field_named
from cgan_tui.ui.screens.queue import QueueScreen

from .conftest import build_synthetic_db, wait_for


def _toasts(app) -> list[str]:
    return [m for _, m in app.notices]


async def _open_form(pilot, app) -> NewRunScreen:
    await pilot.press("2")
    await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue screen")
    await pilot.press("n")
    await wait_for(pilot, lambda: isinstance(app.screen, NewRunScreen) and app.screen.choices_ready,
                   what="the form's plugin choices")  # fmt: skip
    return app.screen


def _error(form: NewRunScreen) -> str:
    return str(form.query_one("#form-error").render())


def _in_sight(form: NewRunScreen, widget) -> bool:
    """Whether ``widget`` is drawn inside the screen (not scrolled off or below the fold)."""
    region = widget.region
    return region.height > 0 and form.screen.region.contains_region(region)


def test_an_error_line_names_its_field():
    assert field_named("checkpoint epochs must be <= epochs (30), got 40") == "checkpoints"
    assert field_named("epochs must be >= 1, got 0") == "epochs"
    assert field_named("embed_dim must be an integer >= 1, got 0") == "embed_dims"
    assert field_named("unknown loss 'x'; valid: bce, hinge") == "loss"
    assert field_named("something else") is None


async def test_form_has_no_placeholder_choice_once_plugins_are_loaded(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _open_form(pilot, app)
        for name in ("model", "loss", "conditioning"):
            select = form.query_one(f"#f-{name}", Select)
            assert not select.is_blank() and select.value != Select.NULL
            assert Select.NULL not in [value for _, value in select._options]  # no "plugins loading…" entry
        assert form.values()[0]["loss"] == "bce"


async def test_form_refuses_checkpoints_past_the_epochs_at_80x24_where_the_cursor_is(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _open_form(pilot, app)
        form.query_one("#f-epochs").value = "30"
        form.query_one("#f-checkpoints").value = "10,40"
        form.query_one("#f-experiment").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "checkpoint epochs must be <= epochs (30), got 40" in _error(form),
                       what="the refusal")  # fmt: skip
        await pilot.pause()
        field = form.query_one("#f-checkpoints")
        assert form.focused is field, "the cursor goes to the field the error is about"
        assert _in_sight(form, form.query_one("#form-error")) and _in_sight(form, field)
        assert isinstance(app.screen, NewRunScreen)  # nothing queued: the form stays
        form.query_one("#f-epochs").value = "x"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "epochs must be an integer, got 'x'" in _error(form), what="the epochs error")
        await pilot.pause()
        assert form.focused is form.query_one("#f-epochs")
        assert _in_sight(form, form.query_one("#form-error")) and _in_sight(form, form.focused)
    store = open_store(snapshot_db.url)
    try:
        assert queries.status_counts(store) == {"completed": 3}
    finally:
        store.dispose()


async def test_u_on_a_queued_run_says_it_is_not_requeued(any_db_url, registries, make_app):
    ids = build_synthetic_db(None, registries, url=any_db_url)
    store = open_store(any_db_url)
    queued = queries.create_run(store, queries.run_config(queries.get_run(store, ids[0])))
    store.dispose()
    app = make_app(any_db_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen) and app.screen.rows, what="the queued run")
        await pilot.press("u")
        assert app.screen.query_one("#requeue-id").value == str(queued)  # the highlighted run, prefilled
        await pilot.press("enter")
        line = f"run {queued} is already queued (a worker claims it"
        await wait_for(pilot, lambda: any(line in t for t in _toasts(app)), what=line)
        assert not any(t == f"run {queued} requeued" for t in _toasts(app))


async def test_marks_hidden_by_the_filter_are_shown_as_such_and_x_clears_them(snapshot_db, make_app):
    """Hidden marks stay marked, count toward compare's 4 and are compared: the status line says so."""
    from .conftest import results_loaded

    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        status = lambda: str(screen.query_one("#results-status").render())  # noqa: E731
        for _ in range(3):  # the first three models, marked from the keyboard
            await pilot.press("space", "down")
        assert len(screen.marked) == 3 and "3 marked" in status() and "hidden" not in status()
        screen.filter_text = "loss:lsgan"  # the three marked models are bce and hinge ones
        await pilot.pause()
        assert "3 marked (3 hidden by the filter, compared too)" in status()
        await pilot.press("home", "space")  # a fourth, shown
        assert len(screen.marked) == 4 and "4 marked (3 hidden by the filter, compared too)" in status()
        await pilot.press("down", "space")  # a fifth is refused, and the toast counts the hidden ones
        assert len(screen.marked) == 4
        assert any("4 are marked, 3 of them hidden by the filter" in m and "clear the marks (x)" in m
                   for _, m in app.notices)  # fmt: skip
        await pilot.press("x")
        assert screen.marked == [] and "marked" not in status()
        assert "cleared 4 marks" in [m for _, m in app.notices]


async def test_before_the_plugins_load_the_choices_cannot_be_picked_nor_queued(snapshot_db, make_app, registries):
    """The stand-in select ("plugins loading…") is disabled; a submit then is refused, nothing queued."""
    import threading

    loaded = threading.Event()

    def slow_plugins():
        loaded.wait(timeout=300)
        return registries

    app = make_app(snapshot_db.url, plugin_loader=slow_plugins)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.press("2")
            await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue screen")
            await pilot.press("n")
            await wait_for(pilot, lambda: isinstance(app.screen, NewRunScreen), what="the form")
            form = app.screen
            stand_in = form.query_one("#f-loss", Select)
            assert stand_in.disabled and stand_in.is_blank()
            await pilot.press("ctrl+s")
            assert "plugins are still loading" in _error(form) and isinstance(app.screen, NewRunScreen)
            loaded.set()
            await wait_for(pilot, lambda: form.choices_ready, what="the real choices")
            assert form.values()[0] == {"model": "seed000", "loss": "bce", "conditioning": "embedding"}
    finally:
        loaded.set()
    store = open_store(snapshot_db.url)
    try:
        assert queries.status_counts(store) == {"completed": 3}
    finally:
        store.dispose()
