"""Run detail (epoch slider), compare, rate, queue form, plugins screen, and bad databases."""

from __future__ import annotations

import sqlite3

import pytest

from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.compare import BEST, CompareScreen
from cgan_tui.ui.screens.detail import RunDetailScreen
from cgan_tui.ui.screens.message import MessageScreen
from cgan_tui.ui.screens.queue import QueueScreen
from cgan_tui.ui.screens.rate import RateScreen
from cgan_tui.ui.widgets.epoch_slider import EpochSlider
from cgan_tui.ui.widgets.sample_grid import SampleGrid

from .conftest import results_loaded, wait_for


def stored_grid(url: str, run_id: int, epoch: int) -> bytes:
    store = open_store(url)
    try:
        return bytes(queries.grid(store, run_id, epoch).png)
    finally:
        store.dispose()


def stored_ratings(url: str, run_id: int, epoch: int) -> dict[str, int]:
    store = open_store(url)
    try:
        return {r.criterion: r.value for r in queries.ratings(store, [run_id]) if r.epoch == epoch}
    finally:
        store.dispose()


async def test_open_run_and_move_epoch_slider(ui_db, make_app):
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        row = app.screen.table.current_row()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="run detail")
        screen = app.screen
        slider = screen.query_one(EpochSlider)
        assert slider.epochs == [1, 2] and slider.epoch == row.epoch
        grid = screen.query_one(SampleGrid)
        await wait_for(pilot, lambda: grid.png is not None, what="grid")
        assert grid.png == stored_grid(ui_db.url, row.run_id, row.epoch)
        assert screen.query_one(".grid-image").image is not None
        await pilot.press("right" if row.epoch == 1 else "left")
        other = 2 if row.epoch == 1 else 1
        await wait_for(pilot, lambda: grid.png == stored_grid(ui_db.url, row.run_id, other), what="other epoch")
        assert slider.epoch == other
        # the loss curve holds the run's recorded epochs
        plot = screen.query_one("#loss-plot")
        assert plot.series["G"][0] == [1, 2]
        log = str(screen.query_one("#detail-log").render())
        assert "start run" in log
        await pilot.press("escape")
        assert not isinstance(app.screen, RunDetailScreen)


async def test_compare_two_models(ui_db, make_app):
    app = make_app(ui_db.url)
    async with app.run_test(size=(170, 55)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        results = app.screen
        await pilot.press("f")  # sort by FID: the best model and the best model of another run
        first = results.table.shown[0]
        down = next(i for i, r in enumerate(results.table.shown) if r.run_id != first.run_id)
        second = results.table.shown[down]
        await pilot.press("space", *(["down"] * down), "space", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="compare")
        screen = app.screen
        assert [(r.run_id, r.epoch) for r in screen.rows] == [(first.run_id, first.epoch), (second.run_id, second.epoch)]
        table = screen.query_one("#compare-table")
        fid_row = [str(c) for c in table.get_row("fid@inception")][1:]
        # one epoch for all: the first model's; the other run's model at that epoch
        other = next(r for r in results.rows if r.run_id == second.run_id and r.epoch == first.epoch)
        assert fid_row[0].startswith(BEST) == (first.get("fid@inception") <= other.get("fid@inception"))
        assert f"{other.get('fid@inception'):.2f}" in fid_row[1]
        grids = list(screen.query(SampleGrid))
        await wait_for(pilot, lambda: all(g.png is not None for g in grids), what="grids")
        slider = screen.query_one(EpochSlider)
        start = slider.epoch
        await pilot.press("left" if start == 2 else "right")
        target = 1 if start == 2 else 2
        await wait_for(
            pilot,
            lambda: [g.png for g in grids] == [stored_grid(ui_db.url, r.run_id, target) for r in screen.rows],
            what="both grids at the new epoch",
        )


async def test_rate_a_model_and_see_final_score(ui_db, make_app):
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        results = app.screen
        row = results.table.current_row()
        assert row.get("final@inception") is None
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RateScreen), what="rate screen")
        await pilot.press("4", "5", "3", "4")
        await wait_for(pilot, lambda: len(stored_ratings(ui_db.url, row.run_id, row.epoch)) == 4, what="4 ratings stored")
        await pilot.press("escape")

        def final_of():
            rows = [r for r in results.rows if (r.run_id, r.epoch) == (row.run_id, row.epoch)]
            return rows[0].get("final@inception") if rows else None

        await wait_for(pilot, lambda: final_of() is not None, what="final score")
        research = final_of()
        assert stored_ratings(ui_db.url, row.run_id, row.epoch) == {"sharpness": 4, "structure": 5, "detail": 3,
                                                                     "class_fit": 4}  # fmt: skip
        await pilot.press("o")  # preset research -> commercial: visual ratings weigh more
        await wait_for(pilot, lambda: final_of() is not None and final_of() != research, what="preset change")
        assert results.preset == "commercial"
        commercial = final_of()
        # custom weights 1,0: the final score is the quantitative part alone (it still needs the ratings)
        await pilot.press("O", *"1,0", "enter")
        await wait_for(pilot, lambda: results.preset == "custom" and final_of() not in (None, commercial),
                       what="custom weights")
        assert results.weights == (1.0, 0.0)


async def test_enqueue_from_form_appears_in_queue(ui_db, make_app):
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen), what="queue")
        await pilot.press("n")
        await wait_for(pilot, lambda: getattr(app.screen, "choices_ready", False), what="the form's plugin choices")
        form = app.screen
        form.query_one("#f-loss").value = "hinge"
        form.query_one("#f-embed_dims").value = "0"
        await pilot.click("#submit")
        await wait_for(pilot, lambda: "embed_dim" in str(form.query_one("#form-error").render()), what="error line")
        form.query_one("#f-embed_dims").value = "10, 32"
        form.query_one("#f-n_seeds").value = "2"
        form.query_one("#f-epochs").value = "3"
        # Textual's Button ignores clicks for 0.2 s after a press (its "-active" effect): on a fast
        # machine the second click came within that and was swallowed. Wait for the button to take clicks.
        submit = form.query_one("#submit")
        await wait_for(pilot, lambda: not submit.has_class("-active"), what="the Queue button to take a click again")
        await pilot.click("#submit")
        queue = None

        def queued():
            screen = app.screen
            return isinstance(screen, QueueScreen) and len(screen.rows) == 4

        await wait_for(pilot, queued, what="4 new runs in the queue")
        queue = app.screen
        assert {(r.loss, r.embed_dim, r.epochs) for r in queue.rows} == {("hinge", 10, 3), ("hinge", 32, 3)}
        table = queue.query_one("#queue-table")
        assert table.row_count == 4
        first = queue.rows[0].id
        await pilot.press("plus")
        await wait_for(pilot, lambda: queue.rows[0].id == first and queue.rows[0].priority == 1, what="priority")
        await pilot.press("x")
        await wait_for(pilot, lambda: first not in [r.id for r in queue.rows], what="cancelled run leaves the queue")
        store = open_store(ui_db.url)
        assert queries.get_run(store, first).status.value == "cancelled"
        store.dispose()


async def test_plugins_screen_lists_broken_plugin(ui_db, make_app):
    app = make_app(ui_db.url)
    async with app.run_test(size=(170, 45)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: app.registries is not None and app.screen.query_one("#plugins-table").row_count,
                       what="plugins")
        table = app.screen.query_one("#plugins-table")
        row = [str(c) for c in table.get_row("ui-broken")]
        assert row[1] == "failed" and row[5].startswith("register_losses raised RuntimeError")
        table.move_cursor(row=table.get_row_index("ui-broken"))
        await pilot.pause()
        detail = str(app.screen.query_one("#plugins-detail").render())
        assert "ui-broken" in detail and "broken on purpose for the UI test" in detail
        extra = [str(c) for c in table.get_row("ui-extra")]
        assert extra[1] == "ok" and "ui-test-loss" in extra[2]
        names = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert {"builtin-losses", "builtin-models"} <= names


async def test_load_grid_file_queues_the_study(ui_db, make_app, registries, monkeypatch):
    from cgan_tui.config import load_grid
    from cgan_tui.ui.screens.confirm import ConfirmScreen
    from cgan_tui.ui.screens.grid_picker import GridPickerScreen

    monkeypatch.setenv("CGAN_TUI_CONFIRM_ABOVE_S", "0.001")  # any machine: the study is over the limit
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen) and app.registries is not None, what="queue")
        queue = app.screen
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GridPickerScreen), what="grid picker")
        picker = app.screen
        index = [p.name for p in picker.files].index("seed004.toml")
        option_list = picker.query_one("OptionList")
        option_list.highlighted = index
        await pilot.press("enter")
        # over the limit: the estimate is shown and the app asks (a modal yes/no) before queueing
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="estimate and question")
        assert "estimated training time of 2 run(s) on " in app.screen.question
        assert "Queue it?" in app.screen.question
        assert not queue.rows
        await pilot.press("y")
        spec = load_grid(picker.files[index])
        await wait_for(pilot, lambda: app.screen is queue and len(queue.rows) == len(spec.expand()), what="grid runs")
        assert {r.conditioning for r in queue.rows} == {c.conditioning for c in spec.expand()}


def _corrupt(path):
    path.write_bytes(b"this is not a database at all" * 40)


def _newer(path):
    conn = sqlite3.connect(path)
    conn.execute("UPDATE schemainfo SET version = 999")
    conn.commit()
    conn.close()


@pytest.mark.parametrize(
    "damage, words",
    [(_corrupt, "not a SQLite database"), (_newer, "newer than this cgan-tui")],
)
async def test_bad_database_shows_message(ui_db, make_app, damage, words):
    damage(ui_db.path)
    before = ui_db.path.read_bytes()
    app = make_app(ui_db.url)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), what="message screen")
        assert words in app.screen.text
        await pilot.press("1")  # navigation is off while the database is unusable
        assert isinstance(app.screen, MessageScreen)
    assert ui_db.path.read_bytes() == before  # never touched


async def test_locked_database_shows_message(ui_db, make_app):
    holder = sqlite3.connect(ui_db.path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        app = make_app(ui_db.url, lock_probe_s=0.2)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen), what="message screen")
            assert "locked" in app.screen.text
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_empty_database_explains_next_step(tmp_path, make_app):
    app = make_app(f"sqlite:///{tmp_path / 'new.db'}")
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.screen.loaded, what="empty results")
        assert "No runs yet" in str(app.screen.query_one("#results-detail").render())


async def test_app_keeps_working_when_plugin_discovery_itself_fails(ui_db, make_app):
    def failing_loader():
        raise RuntimeError("entry points unreadable")

    app = make_app(ui_db.url, plugin_loader=failing_loader)
    async with app.run_test(size=(170, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results without plugins")
        assert len(app.screen.rows) > 0  # the stored runs still show
        await pilot.press("3")
        await wait_for(pilot, lambda: app.screen.query_one("#plugins-table").row_count == 1, what="plugins report")
        row = [str(c) for c in app.screen.query_one("#plugins-table").get_row_at(0)]
        assert row[1] == "failed" and "entry points unreadable" in row[-1]


async def test_run_detail_shows_precision_and_evaluation_progress(ui_db, make_app):
    """While a worker evaluates, the run detail says "evaluating: <backend set> x/y" (from the run row)."""
    from cgan_tui.store.tables import RunStatus

    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        row = app.screen.table.current_row()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="run detail")
        screen = app.screen
        store = open_store(ui_db.url)
        queries.update_run(store, row.run_id, status=RunStatus.running, eval_progress="inception generated 300/1000",
                           precision="bf16 (auto: CUDA NVIDIA H200 with native bf16)")  # fmt: skip
        store.dispose()
        screen.action_reload()
        title = lambda: str(screen.query_one("#detail-title").render())  # noqa: E731
        await wait_for(pilot, lambda: "evaluating: inception generated 300/1000" in title(), what="progress in title")
        assert " · bf16" in title()
        config = str(screen.query_one("#detail-config").render())
        assert "trains in bf16 (auto: CUDA NVIDIA H200 with native bf16)" in config
        assert "step losses: " in config and "(log_every " in config  # the K used and what was asked


async def test_detail_saves_shown_grid_as_png(snapshot_db, make_app, tmp_path):
    """``s`` on the run detail screen writes the grid shown (the stored PNG, byte for byte) and says where."""
    out = tmp_path / "exports"
    out.mkdir()
    app = make_app(snapshot_db.url, export_dir=out)
    run_id = snapshot_db.run_ids[1]
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        app.push_screen(RunDetailScreen(run_id, 1))
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="run detail")
        screen = app.screen
        grid = screen.query_one(SampleGrid)
        await wait_for(pilot, lambda: grid.png is not None, what="grid")
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.saved_path is not None, what="saved grid")
        assert screen.saved_path == (out / f"run{run_id}_e1_grid.png").resolve()
        assert screen.saved_path.read_bytes() == stored_grid(snapshot_db.url, run_id, 1)
        toasts = [m for _, m in app.notices]
        assert any(str(screen.saved_path) in t for t in toasts)


async def test_detail_save_into_missing_folder_says_why(snapshot_db, make_app, tmp_path):
    app = make_app(snapshot_db.url, export_dir=tmp_path / "missing")
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        app.push_screen(RunDetailScreen(snapshot_db.run_ids[0], 1))
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="run detail")
        grid = app.screen.query_one(SampleGrid)
        await wait_for(pilot, lambda: grid.png is not None, what="grid")
        await pilot.press("s")
        await wait_for(pilot, lambda: any("cannot save the grid" in m for _, m in app.notices),
                       what="error toast")
        assert app.screen.saved_path is None


async def test_compare_marks_significance_across_seeds(tmp_path, make_app, registries):
    """Two settings over three seeds each: the compare screen's test row shows the p-value that
    scipy's Welch test gives for the values stored in the database (one pair: Holm leaves it as is)."""
    from scipy import stats as sps

    url, rows = seeds_db(tmp_path, registries)
    a = next(r for r in rows if r.loss == "bce")
    b = next(r for r in rows if r.loss == "hinge")
    key = "combined@inception"
    expected = sps.ttest_ind([r.get(key) for r in rows if r.loss == "bce"],
                             [r.get(key) for r in rows if r.loss == "hinge"], equal_var=False).pvalue
    app = make_app(url)
    async with app.run_test(size=(170, 55)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        app.push_screen(CompareScreen([a, b], "inception", rows))
        def tested():
            screen = app.screen
            return isinstance(screen, CompareScreen) and bool(screen.query("#compare-table")) and \
                "pair-1" in screen.query_one("#compare-table").rows

        await wait_for(pilot, tested, what="compare table with its test rows")
        table = app.screen.query_one("#compare-table")
        seeds = [str(c).strip() for c in table.get_row("seeds")]
        cells = [str(c).strip() for c in table.get_row("pair-1")]
        from cgan_tui.stats import format_p

        assert seeds == ["seeds (combined, Holm ×1)", "3 seeds", "3 seeds"]
        assert cells[0] == f"p Welch/Holm vs r{b.run_id}" and cells[1].startswith(f"p={format_p(expected)} * g=")
        assert expected < 0.05


def seeds_db(tmp_path, registries):
    """Two settings (bce, hinge) over three seeds each, FID/IS/LPIPS at epoch 2: (url, result rows)."""
    from cgan_tui.config import RunConfig, resolve
    from cgan_tui.results import load_results

    url = f"sqlite:///{tmp_path / 'seeds.db'}"
    store = open_store(url)
    fids = {"bce": (40.0, 42.0, 41.0), "hinge": (60.0, 63.0, 61.5)}
    for loss, values in fids.items():
        for seed, fid in enumerate(values):
            cfg = resolve(RunConfig(model="seed004", loss=loss, epochs=2, checkpoint_epochs=(2,), seed=seed), registries)
            (run_id,) = queries.create_runs(store, [cfg], status="completed")
            queries.upsert_metrics(store, run_id, 2, {"fid": fid, "is": 2.0}, backend="inception", n_samples=50)
            queries.upsert_metrics(store, run_id, 2, {"lpips": 0.4}, backend="lpips", n_samples=50)
    rows = load_results(store, registries)
    store.dispose()
    return url, rows


async def test_aggregate_by_setting_shows_ci(tmp_path, make_app, registries):
    from cgan_tui import stats
    from cgan_tui.results import format_value
    from cgan_tui.ui.screens.aggregate import GROUPS

    url, rows = seeds_db(tmp_path, registries)
    key = "combined@inception"
    app = make_app(url)
    async with app.run_test(size=(170, 45)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("a", *(["g"] * GROUPS.index("setting")))
        await wait_for(pilot, lambda: "by setting" in str(app.screen.query_one("#aggregate-title").render()),
                       what="aggregate by setting")
        table = app.screen.query_one("#aggregate-table")
        shown = {str(table.get_row_at(i)[0]): [str(c) for c in table.get_row_at(i)] for i in range(table.row_count)}
        assert set(shown) == {r.setting for r in rows}
        for setting, cells in shown.items():
            values = [r.get(key) for r in rows if r.setting == setting]
            mean = sum(values) / len(values)
            assert cells[2:4] == ["3", "3"]
            assert cells[4] == f"{format_value(mean, key)} ± {format_value(stats.ci_half_width(values), key)}"


async def test_queue_screen_shows_a_run_without_heartbeat_as_stale(ui_db, make_app):
    """A running run whose worker stopped heart-beating: ``stale?``, no ETA (issue 26)."""
    from datetime import timedelta

    from cgan_tui.runner.queue import STALE_AFTER_S
    from cgan_tui.store.tables import RunStatus, utcnow
    from cgan_tui.ui.widgets.run_progress import RunProgress

    store = open_store(ui_db.url)
    run_id = ui_db.run_ids[0]
    queries.update_run(store, run_id, status=RunStatus.running, worker_id="gone", current_epoch=1, current_step=1,
                       steps_per_epoch=2, images_per_s=50.0, heartbeat_at=utcnow() - timedelta(seconds=STALE_AFTER_S + 60))
    store.dispose()
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen) and app.screen.rows, what="queue rows")
        queue = app.screen
        table = queue.query_one("#queue-table")
        await wait_for(pilot, lambda: table.row_count == 1 and queue.query(RunProgress), what="the stale run drawn")
        cells = [str(c) for c in table.get_row_at(0)]
        assert "stale?" in cells and "running" not in cells, cells
        assert "—" in cells  # the ETA column
        text = str(queue.query_one(RunProgress).query_one(".run-text").render())
        assert "stale?" in text and "ETA" not in text, text
