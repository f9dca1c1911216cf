"""``ls --filter`` speaks the app's filter language (one parser, ``cgan_tui.results.filtering``), and a
filter matching nothing says so with the model count instead of "no models yet"."""

from __future__ import annotations

import pytest

from cgan_tui.cli import main
from cgan_tui.plugins import load_plugins

from .fixture_db import build


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    path = tmp_path_factory.mktemp("ls-filter") / "experiments.db"
    build(path, load_plugins(), settings=2, seeds=2)  # bce x 2 seeds, hinge x 2 seeds, 2 epochs each
    return f"sqlite:///{path}"


def lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.strip()]


def body(capsys) -> list[list[str]]:
    """The table's data rows as cell lists (box-drawing borders stripped)."""
    rows = [[c.strip() for c in line.strip("│┃ ").split("│")] for line in lines(capsys) if line.startswith("│")]
    return [r for r in rows if r and r[0].isdigit()]


def test_field_terms_select_like_the_app(url, capsys):
    assert main(["ls", "--db", url, "--filter", "loss:bce", "--columns", "run_id,loss,seed,epoch"]) == 0
    rows = body(capsys)
    assert len(rows) == 4 and {r[1] for r in rows} == {"bce"}
    assert main(["ls", "--db", url, "--filter", "loss:hinge seed:1 epoch:3", "--columns", "run_id,loss,seed,epoch"]) == 0
    assert body(capsys) == [["4", "hinge", "1", "3"]]


def test_no_match_names_the_filter_and_the_count(url, capsys):
    assert main(["ls", "--db", url, "--filter", "loss:wgan-gp"]) == 0
    assert lines(capsys) == ["no models match 'loss:wgan-gp' (8 models in the database)"]


def test_unknown_field_is_one_line(url, capsys):
    assert main(["ls", "--db", url, "--filter", "colour:red"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown filter field 'colour'; valid:" in err[0]
