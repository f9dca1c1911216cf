"""``cgan-tui report``: valid self-contained HTML, images that decode, table values equal to the database's,
the Markdown twin with its PNGs, selection by experiment or run ids, and one-line errors."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from cgan_tui import results, scoring
from cgan_tui.cli import main
from cgan_tui.plugins import load_plugins
from cgan_tui.store.db import open_store

from .fixture_db import build

ROOT = Path(__file__).resolve().parents[2]
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@pytest.fixture(scope="session")
def registries():
    return load_plugins()


@pytest.fixture(scope="session")
def master_db(tmp_path_factory, registries):
    path = tmp_path_factory.mktemp("report-db") / "experiments.db"
    ids = build(path, registries, settings=2, seeds=2)
    return path, ids


@pytest.fixture
def report_db(master_db, tmp_path):
    path, ids = master_db
    copy = tmp_path / "experiments.db"
    shutil.copy(path, copy)
    return f"sqlite:///{copy}", ids


class StrictHTML(HTMLParser):
    """Collects tags and fails on any end tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.cells: list[dict[str, str]] = []
        self.images: list[str] = []
        self._cell: dict[str, str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs.get("src") or "")
        if tag not in VOID:
            self.stack.append(tag)
        if tag == "td" and "data-key" in attrs:
            self._cell = {**attrs, "text": ""}

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()
        if tag == "td" and self._cell is not None:
            self.cells.append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def parse(html_text: str) -> StrictHTML:
    parser = StrictHTML()
    parser.feed(html_text)
    parser.close()
    assert html_text.startswith("<!DOCTYPE html>")
    assert not parser.errors, parser.errors[:5]
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


def decode(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()  # decodes every pixel: a truncated or corrupt file raises
    return image


def make_report(url: str, out: Path, *extra: str) -> tuple[str, StrictHTML]:
    assert main(["report", "--db", url, "-o", str(out), *extra]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    return text, parse(text)


def test_report_html_is_valid_self_contained_and_matches_the_database(report_db, tmp_path, registries, capsys):
    url, ids = report_db
    out = tmp_path / "out"
    text, page = make_report(url, out)
    assert f"{out / 'report.html'}" in capsys.readouterr().out

    # self-contained: every image is embedded, no external reference of any kind
    assert page.images and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert not re.search(r'(src|href)="(?!data:)', text)
    for src in page.images:
        decode(base64.b64decode(src.split(",", 1)[1]))

    # every table value equals the database's (via the same read model as ls) and is shown as ls shows it
    store = open_store(url)
    try:
        rows = results.load_results(store, registries)
    finally:
        store.dispose()
    by_model = {(r.run_id, r.epoch): r for r in rows}
    checked = 0
    for cell in page.cells:
        key, raw = cell["data-key"], cell["data-value"]
        expected = None
        if "data-run" in cell:
            row = by_model[(int(cell["data-run"]), int(cell["data-epoch"]))]
            expected = scoring.qualitative(row.ratings) if key == "human@rating" else row.get(key)
            if key != "human@rating":
                assert results.format_value(expected, key) in cell["text"]
                if expected is not None:
                    assert int(cell["data-n"]) == row.n_samples[key]
        elif key.startswith("mean:"):
            value_key = key[5:]
            values = [r.get(value_key) for r in rows if r.get(value_key) is not None]
            groups = [a.mean for a in results.aggregate(rows, results.SETTING, value_key) if a.n]
            assert float(raw) in groups and len(groups) * 2 == len(values)  # two seeds per setting
            checked += 1
            continue
        if expected is None:
            assert raw == ""
        else:
            assert float(raw) == pytest.approx(expected, rel=1e-12)
        checked += 1
    assert checked >= len(rows) * 5
    models = {(int(c["data-run"]), int(c["data-epoch"])) for c in page.cells if "data-run" in c}
    assert models == set(by_model)

    # sections the issue lists
    for heading in ("Models", "Ranking: scores vs eyes", "Settings across seeds", "Training", "Metrics per epoch",
                    "Samples", "Runs"):  # fmt: skip
        assert f"<h2>{heading}</h2>" in text
    assert "is not the one that looks best" in text and 'class="disagree"' in text
    assert "Welch" in text and "Holm" in text and re.search(r'<td class="text">(\*|n\.s\.)</td>', text)
    assert "Evidence: 2 of" in text and "(8 ratings)" in text  # the central finding states its evidence
    for run_id in ids:
        assert f"run {run_id} config" in text
    assert "0.1.0+fixture" in text and "fp32" in text


def test_report_markdown_has_its_pngs_beside_it(report_db, tmp_path):
    url, ids = report_db
    out = tmp_path / "md"
    make_report(url, out)
    md = (out / "report.md").read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(links) >= 4 + 2 * len(ids)  # losses, time, metrics..., a grid per model, diversity
    for link in links:
        decode((out / link).read_bytes())
    assert {p.name for p in (out / "report_figures").iterdir()} == {Path(link).name for link in links}
    assert "| run | model | family | loss | conditioning | emb | seed | epoch |" in md


def test_report_selects_by_experiment_or_run_ids(report_db, tmp_path):
    url, ids = report_db
    text, page = make_report(url, tmp_path / "exp", "--experiment", "report-fixture")
    assert {int(c["data-run"]) for c in page.cells if "data-run" in c} == set(ids)
    text, page = make_report(url, tmp_path / "two", str(ids[0]), str(ids[2]))
    assert {int(c["data-run"]) for c in page.cells if "data-run" in c} == {ids[0], ids[2]}
    assert "report: runs" in text


def _error(argv, capsys) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("cgan-tui: error: ") and "\n" not in err
    return err


def test_report_errors_are_one_line(report_db, tmp_path, capsys):
    url, _ = report_db
    db_url = f"sqlite:///{tmp_path / 'empty.db'}"
    open_store(db_url).dispose()  # an empty database
    assert "no runs to report" in _error(["report", "--db", db_url, "-o", str(tmp_path / "a")], capsys)
    err = _error(["report", "--db", url, "--experiment", "nope", "-o", str(tmp_path / "b")], capsys)
    assert "no experiment 'nope'; experiments: report-fixture" in err
    assert "no run 99" in _error(["report", "--db", url, "99", "-o", str(tmp_path / "c")], capsys)
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    assert "is a file, not a folder" in _error(["report", "--db", url, "-o", str(a_file)], capsys)
    assert "cannot create the folder" in _error(["report", "--db", url, "-o", str(a_file / "sub")], capsys)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()  # nothing written on a bad selection


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_report_into_read_only_folder(report_db, tmp_path, capsys):
    url, _ = report_db
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert "not writable" in _error(["report", "--db", url, "-o", str(locked)], capsys)
    finally:
        locked.chmod(0o755)


def test_report_of_a_real_run(fmnist_dir, tmp_path):
    """A real 1-epoch run with real grid, losses and a measured PSNR: the quick start's shape."""
    url = f"sqlite:///{tmp_path / 'real.db'}"
    assert main(["train", "--model", "seed004", "--loss", "hinge", "--epochs", "1", "--limit-train", "64",
                 "--data-dir", str(fmnist_dir), "--db", url, "--metrics", "psnr", "--eval-n", "20"]) == 0  # fmt: skip
    text, page = make_report(url, tmp_path / "real")
    assert len(page.images) >= 3 and "psnr@pixel per epoch" in text and "HINGE" in text
    for src in page.images:
        decode(base64.b64decode(src.split(",", 1)[1]))


def test_starting_the_app_never_imports_the_report_or_matplotlib():
    code = ("import sys, cgan_tui.cli, cgan_tui.ui.app; cgan_tui.cli.build_parser(); "
            "print(sorted(m for m in sys.modules if m.startswith(('matplotlib', 'cgan_tui.report'))))")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout  # fmt: skip
    assert out.strip() == "[]"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium not installed (apt-get install -y chromium)")
def test_report_renders_in_headless_chromium(report_db, tmp_path):
    url, _ = report_db
    make_report(url, tmp_path / "r")
    shot = tmp_path / "shot.png"
    subprocess.run([str(ROOT / "benchmarks" / "report_render.sh"), str(tmp_path / "r" / "report.html"), str(shot),
                    "1000", "1400"], check=True, capture_output=True)  # fmt: skip
    image = decode(shot.read_bytes()).convert("L")
    assert image.size == (1000, 1400)
    lo, hi = image.getextrema()
    assert lo < 80 and hi > 200  # text and tables drawn on the page, not a blank or error page


def test_loss_figure_draws_a_diffusion_runs_own_loss_not_empty_gd_panels():
    """A diffusion run has no G/D loss (n/a): its ``diffusion_loss`` gets a panel; G/D panels appear
    only when some run has them."""
    from types import SimpleNamespace

    from cgan_tui.report import figures
    from cgan_tui.store.queries import EpochRow

    gan = SimpleNamespace(name="r1 BCE", epochs=[EpochRow(epoch=e, g_loss=1.0 / e, d_loss=0.5) for e in (1, 2)])
    ddpm = SimpleNamespace(name="r2 EPS_MSE", epochs=[EpochRow(epoch=e, losses={"diffusion_loss": 0.1 / e, "ae_loss": None})
                                                      for e in (1, 2)])  # fmt: skip
    assert figures.loss_panels([ddpm], results.DISPLAY) == {"diffusion_loss": "diff loss"}
    assert list(figures.loss_panels([gan, ddpm], results.DISPLAY)) == ["g_loss", "d_loss", "diffusion_loss"]
    assert list(figures.loss_panels([gan])) == ["g_loss", "d_loss"]
    for runs, panels in (([ddpm], 1), ([gan, ddpm], 3)):
        png = Image.open(io.BytesIO(figures.losses(runs, results.DISPLAY)))
        assert png.size[0] == 5 * panels * figures.DPI  # one 5-inch panel per loss
    assert figures.losses([SimpleNamespace(name="r3", epochs=[])]) is None


def test_the_report_is_rendered_by_templates_one_macro_per_block_kind():
    """Issue 28: report.html and report.md come from templates (one macro per block kind in each format),
    not from if/elif chains on kind strings; a kind without a macro is a clear error."""
    from cgan_tui.report import build as report_build
    from cgan_tui.report import render
    from cgan_tui.report.tables import Block, Cell, Table

    source = Path(report_build.__file__).read_text(encoding="utf-8") + Path(render.__file__).read_text(encoding="utf-8")
    assert not re.search(r'kind == "(h1|p|table|figure|pre)"', source.replace('b.kind == "h1"), "cgan-tui', ""))
    table = Table("t <caption>", ["model", "fid"], [[Cell("a|b", numeric=False), Cell("1.0", key="fid@x", value=1.0, best=True, n=500)]],
                  row_classes=["disagree"])  # fmt: skip
    blocks = [Block("h1", "R & D"), Block("p", "run `cgan-tui ls` <now>"), Block("table", table)]
    page = render.to_html(blocks)
    assert "<title>R &amp; D</title>" in page and "<code>cgan-tui ls</code> &lt;now&gt;" in page
    assert '<tr class="disagree"><td class="text">a|b</td><td class="best" data-key="fid@x" data-value="1.0" data-n="500">' in page
    md = render.to_markdown(blocks)
    assert md.startswith("# R &amp; D\n\nrun `cgan-tui ls` &lt;now&gt;\n\n*t &lt;caption&gt;*\n\n| model | fid |\n|---:|---|\n")
    assert "| a\\|b | ⚠ **★ 1.0 ·500** |" in md  # the flag marks the second column, as before
    with pytest.raises(ValueError, match="report block kind 'video' has no template macro"):
        render.to_markdown([Block("video", "x")])
