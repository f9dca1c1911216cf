"""User text is never markup (issue 26): a database whose every free-text field holds ``[/bold]``, ``[red]``,
``<script>``, ``|`` and a newline (``hostile_db``) opens in every command and every screen of the app, shows
that text as typed, and report.md escapes it like report.html does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cgan_tui.cli import main
from cgan_tui.hooks import hookimpl
from cgan_tui.plugins import load_plugins
from cgan_tui.safe_text import NEWLINE_MARK, literal, markdown_text, one_line
from cgan_tui.ui.app import CganApp
from cgan_tui.ui.services import Services
from tests.ui.conftest import results_loaded, wait_for

from .hostile_db import HOSTILE, HOSTILE_LOSS, MARKERS, build

HOSTILE_PLUGIN = "[/bold]evil|<b>"


class HostilePlugin:
    """A plugin whose name and error message are markup: the plugins screen lists it as typed."""

    __name__ = "tests.reliability.hostile_plugin"

    @hookimpl
    def register_losses(self):
        raise RuntimeError(HOSTILE)


@pytest.fixture(scope="module")
def hostile_registries():
    return load_plugins(extra=[(HOSTILE_PLUGIN, HostilePlugin())])


@pytest.fixture
def hostile(tmp_path, hostile_registries) -> str:
    path = tmp_path / "experiments.db"
    build(path, hostile_registries)
    return f"sqlite:///{path}"


def test_the_helper_keeps_text_as_typed():
    assert literal(HOSTILE).plain == HOSTILE and not literal(HOSTILE).spans
    assert one_line("a\nb") == "a" + NEWLINE_MARK + "b"
    assert literal("\x1b[2Jx").plain == "\\x1b[2Jx"  # a stored string cannot clear the terminal
    cell = markdown_text(HOSTILE)
    assert "\n" not in cell and "<" not in cell.replace("<br>", "") and re.search(r"(?<!\\)\|", cell) is None


@pytest.mark.parametrize("argv", [
    ["ls"], ["ls", "--columns", "all"], ["ls", "--aggregate", "loss"], ["ls", "--filter", "[/x]"],
    ["show", "1"], ["show", "2"], ["queue", "ls"], ["export"], ["export", "--format", "json"],
], ids=" ".join)  # fmt: skip
def test_every_command_prints_hostile_text_as_typed(hostile, argv, capsys):
    assert main([*argv, "--db", hostile]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "MarkupError" not in out + err
    if argv != ["ls", "--filter", "[/x]"]:
        assert any(m in out for m in (*MARKERS, HOSTILE_LOSS)), out
    if argv[0] in ("ls", "queue"):  # one table row per line: a newline in a name never breaks a row
        assert "line2" not in out or NEWLINE_MARK.strip() in out
    assert "\x1b" not in out


def test_report_escapes_user_text_in_markdown_and_html(hostile, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", "--db", hostile, "-o", str(out)]) == 0
    capsys.readouterr()
    md = (out / "report.md").read_text(encoding="utf-8")
    page = (out / "report.html").read_text(encoding="utf-8")
    prose = re.sub(r"^(`{3,})json\n.*?^\1$", "", md, flags=re.S | re.M)  # config JSON in a code fence: verbatim
    assert '"loss": "bce[/bold]|<b>"' in md
    for raw in ("<script>", "<img src=x", "<b>"):
        assert raw not in prose and raw not in page
    assert "&lt;script&gt;" in md and "&lt;script&gt;" in page
    tables = re.findall(r"(?:^\|.*\n)+", md, flags=re.M)
    assert len(tables) >= 3
    for table in tables:  # every row keeps its table's column count: no raw pipe or newline inside a cell
        counts = {len(re.findall(r"(?<!\\)\|", line)) for line in table.splitlines()}
        assert len(counts) == 1, table


def _alive(app) -> None:
    assert app.is_running and app._exception is None, app._exception


def _text(app, selector: str) -> str:
    return str(app.screen.query_one(selector).render())


async def test_every_screen_opens_and_the_filter_takes_markup(hostile, hostile_registries, tmp_path):
    from cgan_tui.ui.screens.aggregate import AggregateScreen
    from cgan_tui.ui.screens.columns import ColumnsScreen
    from cgan_tui.ui.screens.compare import CompareScreen
    from cgan_tui.ui.screens.detail import RunDetailScreen
    from cgan_tui.ui.screens.new_run import NewRunScreen
    from cgan_tui.ui.screens.plugins import PluginsScreen
    from cgan_tui.ui.screens.queue import QueueScreen
    from cgan_tui.ui.screens.rate import RateScreen

    app = CganApp(Services(hostile, plugin_loader=lambda: hostile_registries, image_renderer="halfcell",
                           poll_interval=0.3, grids_dir=Path(tmp_path)))  # fmt: skip
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        results = app.screen
        cells = [str(c) for i in range(results.table.row_count) for c in results.table.get_row_at(i)]
        assert any("[/bold]oops" in c for c in cells) and any(HOSTILE_LOSS.upper() in c for c in cells)

        await pilot.press("slash", *"loss:[/x]", "enter")  # killed the app before issue 26
        await pilot.pause()
        _alive(app)
        await pilot.press("slash", "ctrl+u", *"[/bold]oops", "enter")
        await wait_for(pilot, lambda: "filter '[/bold]oops'" in _text(app, "#results-status"), what="filter shown")
        _alive(app)
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: len(results.table.shown) == len(results.rows), what="filter cleared")

        # the failed run (error, worker, precision, run.log: all hostile) in the detail screen
        first = next(i for i, r in enumerate(results.table.shown) if r.run_id == 1)
        results.table.move_cursor(row=first)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None,
                       what="run detail")  # fmt: skip
        await pilot.pause()
        assert "line2 [/x]" in _text(app, "#detail-title") and "[/bold]oops" in _text(app, "#detail-log")
        _alive(app)
        await pilot.press("escape")

        hostile_row = next(i for i, r in enumerate(results.table.shown) if r.loss == HOSTILE_LOSS)
        results.table.move_cursor(row=0)
        await pilot.press("space", *(["down"] * hostile_row), "space", "v")
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen), what="compare")
        await pilot.pause()
        assert HOSTILE_LOSS.upper() in _text(app, "#compare-title")
        _alive(app)
        await pilot.press("escape")

        await wait_for(pilot, lambda: app.screen is results, what="back on results")
        results.table.move_cursor(row=hostile_row)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RateScreen) and app.screen.loaded, what="rate")
        await pilot.pause()
        _alive(app)
        await pilot.press("escape")

        await wait_for(pilot, lambda: app.screen is results, what="back on results")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, AggregateScreen), what="aggregate")

        def hostile_group_shown() -> bool:  # grouped by loss: the hostile loss name is a row (once drawn)
            tables = app.screen.query("#aggregate-table")
            return bool(tables) and any(HOSTILE_LOSS in str(tables.first().get_row_at(i)[0])
                                        for i in range(tables.first().row_count))  # fmt: skip

        await wait_for(pilot, hostile_group_shown, what="the hostile loss as an aggregate row")
        _alive(app)
        await pilot.press("escape")

        await wait_for(pilot, lambda: app.screen is results, what="back on results")
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, ColumnsScreen), what="columns")
        await pilot.pause()
        _alive(app)
        await pilot.press("escape")

        await pilot.press("2")
        await wait_for(pilot, lambda: isinstance(app.screen, QueueScreen) and app.screen.rows, what="queue")
        await pilot.pause()
        table = app.screen.query_one("#queue-table") if app.screen.query("#queue-table") else app.screen.query_one(
            "DataTable")  # fmt: skip
        assert "[/bold]oops" in str(table.get_row_at(0)[-2])  # the worker name, on one line
        _alive(app)

        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, NewRunScreen), what="new-run form")
        form = app.screen
        form.query_one("#f-epochs").value = "[/bold]x"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: "[/bold]x" in _text(app, "#form-error"), what="the form's error")
        _alive(app)
        await pilot.press("escape")

        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, PluginsScreen) and getattr(app.screen, "infos", None),
                       what="plugins")  # fmt: skip
        await pilot.pause()
        assert any(i.name == HOSTILE_PLUGIN for i in app.screen.infos)
        app.screen.query_one("DataTable").move_cursor(row=[i.name for i in app.screen.infos].index(HOSTILE_PLUGIN))
        await wait_for(pilot, lambda: "[/bold]oops" in _text(app, "#plugins-detail"), what="the plugin's error")
        _alive(app)

        app.notify(HOSTILE)  # a toast with a stored error in it
        await pilot.pause()
        _alive(app)
