"""Issue 29 walk-through defects on the results screen and the new-run form (80x24): archive and remove runs
from the app with the CLI's code (SQLite and PostgreSQL), archived runs visible as such, one no-match line
and typed filter fields for the app and ``ls``, the backend line for queued runs with evaluated epochs, and
the form queueing the checkpoint epochs it shows."""

from __future__ import annotations

import pytest

from cgan_tui.results.filtering import FilterError, no_match_line, parse_filter
from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus
from cgan_tui.ui.screens.confirm import ConfirmScreen
from cgan_tui.ui.screens.help import screen_keys
from cgan_tui.ui.screens.new_run import NewRunScreen
from cgan_tui.ui.screens.queue import QueueScreen
from cgan_tui.ui.screens.results_text import backend_note

from .conftest import build_synthetic_db, results_loaded, wait_for
from .test_backend_honesty import _row


def _toasts(app) -> list[str]:
    return [m for _, m in app.notices]


def _status(screen) -> str:
    return str(screen.query_one("#results-status").render())


def _detail(screen) -> str:
    return str(screen.query_one("#results-detail").render())


def _rows_of(url: str, run_id: int) -> dict[str, int]:
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            return {t: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {t} WHERE {'id' if t == 'run' else 'run_id'} = "
                                            f"{int(run_id)}").scalar()  # fmt: skip
                    for t in ("run", "metricvalue", "samplegrid", "checkpoint")}
    finally:
        store.dispose()


def _db_with_files(url: str, registries) -> list[int]:
    """The synthetic runs, each with its checkpoint files and log written where the store records them."""
    ids = build_synthetic_db(None, registries, url=url)
    store = open_store(url)
    try:
        for run_id in ids:
            folder = store.run_dir(run_id)
            for epoch in (1, 2):
                (folder / f"epoch_{epoch:03d}.pt").write_bytes(b"weights %d" % run_id)
            (folder / "run.log").write_text(f"log of run {run_id}\n")
    finally:
        store.dispose()
    return ids


def _folder(url: str, run_id: int):
    store = open_store(url)
    try:
        return store.artifact_store.local_path(run_id)
    finally:
        store.dispose()


# ------------------------------------------------------------------ pure
def test_typed_filter_fields_refuse_a_value_of_another_type():
    with pytest.raises(FilterError, match=r"^emb:abc: emb takes a whole number, e\.g\. emb:32$"):
        parse_filter("emb:abc")
    with pytest.raises(FilterError, match="epoch takes a whole number"):
        parse_filter("hinge epoch:x")
    assert parse_filter("emb:32 seed:4 run:2") == ("", {"embed_dim": "32", "seed": "4", "run_id": "2"})


def test_one_no_match_line():
    assert no_match_line("loss:nonesuch", 3) == "no models match 'loss:nonesuch' (3 models in the database)"
    assert no_match_line("", 4, 1, "--archived") == "no models to show (4 models in the database, 1 archived: --archived lists them)"


def test_the_backend_line_counts_queued_and_running_runs_with_evaluated_epochs():
    evaluated = [_row(1, status="queued", **{"fid@classifier": 5.0}), _row(2, status="running", **{"fid@classifier": 6.0})]
    assert backend_note(evaluated, "inception", list).startswith("backend inception: no values for the 2 models shown")
    assert backend_note([*evaluated, _row(3, status="queued")], "inception", list).startswith(
        "backend inception: no values for 2 of the 3 models shown")  # the one with nothing evaluated is not counted


# ------------------------------------------------------------------ new-run form
async def test_the_form_queues_the_checkpoint_epochs_it_shows(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue screen")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewRunScreen) and app.screen.choices_ready,
                       what="the form's plugin choices")  # fmt: skip
        form = app.screen
        box = form.query_one("#f-checkpoints")
        form.query_one("#f-epochs").value = "25"
        await wait_for(pilot, lambda: box.value == "10,20,25", what="checkpoints cut to 25 epochs")
        form.query_one("#f-epochs").value = "3"
        await wait_for(pilot, lambda: box.value == "3", what="checkpoints cut to 3 epochs")
        form.query_one("#f-experiment").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, NewRunScreen), what="the run queued")
    store = open_store(snapshot_db.url)
    try:
        queued = [r for r in queries.list_runs(store) if r.status == RunStatus.queued]
        assert [queries.run_config(r).checkpoint_epochs for r in queued] == [(3,)]
    finally:
        store.dispose()


async def test_a_checkpoint_value_the_user_typed_is_kept(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue screen")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewRunScreen) and app.screen.choices_ready,
                       what="the form's plugin choices")  # fmt: skip
        form = app.screen
        form.query_one("#f-checkpoints").value = "2,40"
        form.query_one("#f-epochs").value = "30"
        await pilot.pause()
        assert form.query_one("#f-checkpoints").value == "2,40"


# ------------------------------------------------------------------ archive and remove from the app
async def test_remove_a_run_from_the_app(any_db_url, registries, make_app):
    ids = _db_with_files(any_db_url, registries)
    app = make_app(any_db_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        assert ("D", "Remove runs", False) in screen_keys(screen) and ("A", "Archive runs", False) in screen_keys(screen)
        row = screen.table.current_row()
        gone, kept = row.run_id, [i for i in ids if i != row.run_id]
        before = {i: _rows_of(any_db_url, i) for i in kept}
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        question = app.screen.question
        assert f"run {gone} {row.label.split()[0]} (completed, 2 checkpoints)" in question and "Remove 1 run " in question
        await pilot.press("n")  # kept
        await wait_for(pilot, lambda: any("nothing was removed" in t for t in _toasts(app)), what="kept")
        assert _rows_of(any_db_url, gone)["run"] == 1
        await pilot.press("D")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: any(f"removed run {gone} (completed)" in t for t in _toasts(app)), what="removed")
        await wait_for(pilot, lambda: gone not in {r.run_id for r in screen.rows}, what="the row gone")
    assert not any(_rows_of(any_db_url, gone).values())
    assert not _folder(any_db_url, gone).exists()
    assert {i: _rows_of(any_db_url, i) for i in kept} == before
    assert all((_folder(any_db_url, i) / "epoch_001.pt").exists() for i in kept)


async def test_archive_hides_a_run_and_archived_all_marks_it(any_db_url, registries, make_app):
    build_synthetic_db(None, registries, url=any_db_url)
    app = make_app(any_db_url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        run_id = screen.table.current_row().run_id
        await pilot.press("A")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        assert f"  run {run_id} {screen.table.current_row().run_label}\n" in app.screen.question + "\n"
        await pilot.press("y")
        await wait_for(pilot, lambda: run_id not in {r.run_id for r in screen.view}, what="the run hidden")
        assert "4/6 models · 2 archived hidden: filter archived:all" in _status(screen)  # its two epochs
        loss = next(r.loss for r in screen.rows if r.run_id == run_id)
        screen.filter_text = f"loss:{loss}"  # only the archived run has it
        await wait_for(pilot, lambda: not screen.view, what="nothing shown")
        assert (f"no models match 'loss:{loss}' (6 models in the database, 2 archived: filter archived:all "
                "lists them)") in _detail(screen)  # fmt: skip
        screen.filter_text = "archived:all"
        await wait_for(pilot, lambda: run_id in {r.run_id for r in screen.view}, what="archived:all shows it")
        assert "6/6 models · ⊘ 2 archived" in _status(screen)
        labels = [str(screen.table.get_cell_at((i, 1))) for i, r in enumerate(screen.table.shown)]
        marked = [r.run_id for r, text in zip(screen.table.shown, labels, strict=True) if text.startswith("⊘ ")]
        assert marked == [run_id, run_id]
        screen.table.move_cursor(row=[r.run_id for r in screen.table.shown].index(run_id))
        await pilot.press("A")  # every target archived: unarchived at once
        await wait_for(pilot, lambda: any(f"unarchived run {run_id}" in t for t in _toasts(app)), what="unarchived")
        await wait_for(pilot, lambda: "archived" not in _status(screen).split("│")[0], what="none archived")
    store = open_store(any_db_url)
    try:
        assert not queries.label(store, run_id).archived
    finally:
        store.dispose()


async def test_read_only_and_running_runs_are_refused(snapshot_db, make_app):
    app = make_app(snapshot_db.url, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        run_id = app.screen.table.current_row().run_id
        await pilot.press("A")
        await wait_for(pilot, lambda: any("archive run" in t and "read-only" in t for t in _toasts(app)), what="refusal")
        await pilot.press("D")
        await wait_for(pilot, lambda: any("remove run" in t and "read-only" in t for t in _toasts(app)), what="refusal")
        assert not isinstance(app.screen, ConfirmScreen)
    assert _rows_of(snapshot_db.url, run_id)["run"] == 1
    store = open_store(snapshot_db.url)
    queries.update_run(store, run_id, status=RunStatus.running)
    store.dispose()
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        screen.table.move_cursor(row=[r.run_id for r in screen.table.shown].index(run_id))
        await pilot.press("D")
        line = f"run {run_id} is running; cancel it first (cgan-tui queue cancel {run_id}); nothing was removed"
        await wait_for(pilot, lambda: any(line in t for t in _toasts(app)), what="the CLI's refusal")
        assert not isinstance(app.screen, ConfirmScreen)
    assert _rows_of(snapshot_db.url, run_id)["run"] == 1


# ------------------------------------------------------------------ the filter in the app
async def test_the_app_says_when_the_filter_matches_nothing_or_a_field_takes_a_number(snapshot_db, make_app):
    app = make_app(snapshot_db.url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        screen.filter_text = "loss:nonesuch"
        await wait_for(pilot, lambda: not screen.view, what="nothing shown")
        assert "no models match 'loss:nonesuch' (6 models in the database)" in _detail(screen)
        await pilot.press("slash")
        screen.query_one("#filter").value = "emb:abc"
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("emb takes a whole number" in t for t in _toasts(app)), what="the refusal")
