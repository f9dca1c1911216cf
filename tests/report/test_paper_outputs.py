"""Issue 30 item 7, paper outputs: ``export --format latex`` is well-formed LaTeX (checked without LaTeX:
balanced environments and braces, math closed, every row as wide as its tabular, every label escaped) with
the best values bold and the significance marks of ``stats.setting_tests``; ``report --figures pdf,svg``
writes files that decode (PDF header, xref and trailer; SVG parsed as XML), and the labelled sample grids
at print resolution."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from cgan_tui import stats
from cgan_tui.cli import main
from cgan_tui.plugins import load_plugins
from cgan_tui.results import load_results
from cgan_tui.safe_text import LATEX_SPECIAL, latex_text
from cgan_tui.store.db import open_store

from .fixture_db import build


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    registries = load_plugins()
    path = tmp_path_factory.mktemp("paper") / "paper.db"
    build(path, registries, settings=3, seeds=3)
    url = f"sqlite:///{path}"
    store = open_store(url)
    try:
        rows = load_results(store, registries)
    finally:
        store.dispose()
    return url, rows


def unescape(text: str) -> str:
    for ch, escaped in sorted(LATEX_SPECIAL.items(), key=lambda kv: -len(kv[1])):
        text = text.replace(escaped, ch)
    return text


def test_latex_text_escapes_every_special_character_once():
    hostile = r"a&b%c$d#e_f{g}h~i^j\k \textbf{x} <b>|"
    escaped = latex_text(hostile)
    assert unescape(escaped) == hostile
    outside = re.sub(r"\\text[a-z]+\{\}|\\[&%$#_{}]", "", escaped)
    assert not set(outside) & set(LATEX_SPECIAL)  # no special character left unescaped
    assert latex_text("two\nlines") == "two ⏎ lines"


def check_latex(source: str) -> list[tuple[str, list[str]]]:
    """LaTeX-free well-formedness: environments nest and close, braces balance, ``$`` pairs per line, no
    unescaped special character outside math and commands; returns each tabular's (spec, rows)."""
    stack, tabulars = [], []
    lines = [line for line in source.splitlines() if not line.startswith("%")]
    for line in lines:
        for kind, name in re.findall(r"\\(begin|end)\{(\w+)\}", line):
            if kind == "begin":
                stack.append(name)
            else:
                assert stack and stack.pop() == name, f"\\end{{{name}}} closes {stack}"
        plain = re.sub(r"\\[\\&%$#_{}]", "", line)  # escaped characters (and the \\ row ends)
        assert plain.count("{") == plain.count("}"), line
        assert plain.count("$") % 2 == 0, line
        text = re.sub(r"\$[^$]*\$", "", plain)  # math segments may hold ^ and <
        text = re.sub(r"~\\ref", "", text)  # our one tie, before a cross-reference
        text = re.sub(r"\\[a-zA-Z]+", "", text).replace(" & ", " ")  # commands; column separators
        assert not set(text) & set("&%$#_~^<>"), f"unescaped special character in: {line}"
    assert not stack, f"unclosed environments: {stack}"
    body = "\n".join(lines)
    for spec, content in re.findall(r"\\begin\{tabular\}\{(\w+)\}\n(.*?)\\end\{tabular\}", body, re.S):
        rows = [r for r in content.splitlines() if r.endswith("\\\\")]
        tabulars.append((spec, rows))
        for row in rows:
            assert len(re.split(r"(?<!\\)&", row)) == len(spec), f"row width != {spec}: {row}"
    return tabulars


def test_export_latex_is_well_formed_with_best_bold_and_holm_marks(db, tmp_path, capsys):
    url, rows = db
    out = tmp_path / "tables.tex"
    assert main(["export", "--db", url, "--format", "latex", "-o", str(out)]) == 0
    assert "wrote the tables of 18 models" in capsys.readouterr().err
    source = out.read_text(encoding="utf-8")
    tabulars = check_latex(source)
    assert len(tabulars) == 3  # models (inception), settings, pairs
    models, settings, pairs = (rows_[1:] for _, rows_ in tabulars)  # each without its header row
    header = [h.strip() for h in tabulars[0][1][0].split(" & ")]
    # labels come escaped: HINGE_10 -> HINGE\_10, a setting's #hash -> \#hash
    for r in rows:
        assert latex_text(f"{r.run_label} (run {r.run_id})") in source and "\\_" in latex_text(r.run_label)
        assert latex_text(r.setting.replace(f" e{r.epoch} #", " #")) in source
    # the best FID (lower) bold in the models table, nobody else's FID at that n
    key = "fid@inception"
    best = min(rows, key=lambda r: r.get(key))
    fid_col = next(i for i, h in enumerate(header) if h.startswith("FID"))
    assert "(500)" in header[fid_col] and "$\\downarrow$" in header[fid_col]
    bold = [row for row in models if "\\textbf{" in row.split(" & ")[fid_col]]
    assert len(bold) == 1 and f"(run {best.run_id})" in bold[0] and f"& {best.epoch} &" in bold[0]
    # settings: mean ± CI per setting and epoch; the marks and the caption come from stats.setting_tests
    tests = stats.setting_tests(rows, "combined@inception")
    assert len(pairs) == len(tests) == 6
    assert f"Holm correction across the {len(tests)} pair(s)" in source
    assert "Holm-corrected across the 6 pair(s) shown" in source and "Hedges'" in source
    for pair, row in zip(tests, pairs, strict=True):
        cells = [c.strip().removesuffix("\\\\").strip() for c in row.split(" & ")]
        assert cells[2] == f"{pair.n_a} vs {pair.n_b}"
        assert cells[6] == latex_text(stats.format_p(pair.p_holm))
    assert all("$\\pm$" in row for row in settings)
    marked = sum(row.rstrip(" \\").endswith("$^{\\dagger}$") for row in settings)
    assert marked == sum(1 for p in tests if p.significant and "BCE" in p.a.setting)  # vs the best (BCE) setting


def pdf_ok(data: bytes) -> None:
    assert data.startswith(b"%PDF-1."), data[:16]
    assert data.rstrip().endswith(b"%%EOF")
    start = data.rfind(b"startxref")
    assert start > 0
    offset = int(data[start + len(b"startxref"):].split()[0])
    assert data[offset:offset + 4] == b"xref", "startxref points at the cross-reference table"
    assert b"/Root" in data[data.rfind(b"trailer"):]


def test_report_figures_pdf_svg_decode_and_print_grids(db, tmp_path, capsys):
    url, rows = db
    out = tmp_path / "rep"
    assert main(["report", "--db", url, "-o", str(out), "--figures", "pdf,svg"]) == 0
    figs = out / "report_figures"
    pngs = sorted(p.stem for p in figs.glob("*.png") if not p.stem.startswith("grid_"))
    assert pngs and "losses" in pngs
    for stem in pngs:  # each matplotlib figure also as PDF and SVG, decoded
        pdf_ok((figs / f"{stem}.pdf").read_bytes())
        assert ET.parse(figs / f"{stem}.svg").getroot().tag.endswith("svg")
    prints = out / "print_grids"
    runs = {r.run_id for r in rows}
    assert sorted(p.name for p in prints.iterdir()) == sorted(f"grid_r{i}_e3.{fmt}" for i in runs for fmt in ("pdf", "svg"))
    for run_id in runs:
        pdf_ok((prints / f"grid_r{run_id}_e3.pdf").read_bytes())
        root = ET.parse(prints / f"grid_r{run_id}_e3.svg").getroot()
        texts = " ".join("".join(t.itertext()) for t in root.iter() if t.tag.endswith("text"))
        assert "T-shirt/top" in texts and "Ankle boot" in texts and "epoch 3" in texts and f"r{run_id} " in texts
        assert root.find(".//{http://www.w3.org/2000/svg}image") is not None  # the grid's pixels


def test_report_default_png_prints_grids_at_300_dpi_and_rejects_unknown_formats(db, tmp_path, capsys):
    url, _ = db
    out = tmp_path / "rep"
    assert main(["report", "--db", url, "-o", str(out)]) == 0
    figs = out / "report_figures"
    assert not list(figs.glob("*.pdf")) and not list(figs.glob("*.svg"))
    grid = next((out / "print_grids").glob("*.png"))
    with Image.open(grid) as image:
        assert round(image.info["dpi"][0]) >= 300 and image.width >= 1200
    capsys.readouterr()
    assert main(["report", "--db", url, "-o", str(out), "--figures", "png,eps"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown format eps; valid: png, pdf, svg" in err[0]


def test_export_latex_of_hostile_text_is_well_formed(tmp_path, capsys):
    from tests.reliability.hostile_db import build as build_hostile

    path = tmp_path / "hostile.db"
    build_hostile(path, load_plugins())
    assert main(["export", "--db", f"sqlite:///{path}", "--format", "latex"]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    check_latex(out)
