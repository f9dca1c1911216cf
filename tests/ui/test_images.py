"""Sample pictures: the zoomed views show the stored PNG pixel for pixel, the grid view stays readable,
and the renderer choice fails clearly on a bad value.

The pixel checks read the cells back from the widgets Textual draws (``▀`` with the upper pixel as
foreground colour, the lower as background) and compare them with the PNG stored by a real training
run, cut with Pillow independently of the app's own tiling code.
"""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image

from cgan_tui.errors import UserError
from cgan_tui.grid_tiles import GridImage, compose_tiles
from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.ui import renderers
from cgan_tui.ui.screens.detail import RunDetailScreen
from cgan_tui.ui.screens.rate import RateScreen
from cgan_tui.ui.screens.zoom import ZoomScreen
from cgan_tui.ui.widgets.class_row import ClassRow
from cgan_tui.ui.widgets.pixels import UPPER_HALF, HalfcellPicture, halfcell_strips
from cgan_tui.ui.widgets.sample_grid import READABLE_SCALE, SampleGrid

from .conftest import results_loaded, wait_for

TILE, GAP = 28, 1  # what training stores: 28x28 samples, 1-pixel black gaps


def stored(url: str, run_id: int, epoch: int) -> Image.Image:
    store = open_store(url)
    try:
        row = queries.grid(store, run_id, epoch)
        return Image.open(io.BytesIO(bytes(row.png))).convert("RGB")
    finally:
        store.dispose()


def expected_row(png: Image.Image, label: int, samples: range) -> list[list[tuple[int, int, int]]]:
    """Pixel rows of class ``label``'s ``samples`` side by side with 1-px black gaps, cut straight from the PNG."""
    y0 = label * (TILE + GAP)
    rows = []
    for y in range(y0, y0 + TILE):
        line: list[tuple[int, int, int]] = []
        for k, c in enumerate(samples):
            if k:
                line.append((0, 0, 0))
            x0 = c * (TILE + GAP)
            line.extend(png.getpixel((x, y)) for x in range(x0, x0 + TILE))
        rows.append(line)
    return rows


def cells_to_pixels(picture: HalfcellPicture) -> list[list[tuple[int, int, int]]]:
    """Read the drawn cells back: each ``▀`` is (foreground above, background below)."""
    width, height = picture.size
    pixels: list[list[tuple[int, int, int]]] = []
    for y in range(height):
        upper, lower = [], []
        for segment in picture.render_line(y):
            for ch in segment.text:
                assert ch == UPPER_HALF
                upper.append(segment.style.color.triplet)
                lower.append(segment.style.bgcolor.triplet)
        pixels += [[tuple(p) for p in upper], [tuple(p) for p in lower]]
    return pixels


# ------------------------------------------------------------------------------------- unit level
def _grid_png(rows: int, cols: int, gap: int) -> tuple[bytes, list[list[Image.Image]]]:
    import numpy as np

    rng = np.random.default_rng(3)
    tiles = [[Image.fromarray(rng.integers(0, 256, (TILE, TILE), dtype=np.uint8), "L").convert("RGB")
              for _ in range(cols)] for _ in range(rows)]  # fmt: skip
    picture = compose_tiles(tiles, TILE, TILE, gap)
    buf = io.BytesIO()
    picture.convert("L").save(buf, format="PNG")
    return buf.getvalue(), tiles


@pytest.mark.parametrize("gap", [0, 1])
def test_tiles_and_halfcell_strips_keep_every_pixel(gap):
    png, tiles = _grid_png(10, 8, gap)
    grid = GridImage(png, rows=10, cols=8)
    assert grid.geometry == (TILE, TILE, gap)
    for r, c in [(0, 0), (1, 3), (7, 7), (9, 5)]:
        assert grid.tile(r, c).tobytes() == tiles[r][c].tobytes()
    row = compose_tiles([[grid.tile(7, c) for c in range(3)]], TILE, TILE, 1)
    strips = halfcell_strips(row)
    assert len(strips) == TILE // 2 and all(s.cell_length == 3 * TILE + 2 for s in strips)
    for y, strip in enumerate(strips):
        x = 0
        for segment in strip:
            for _ in segment.text:
                assert tuple(segment.style.color.triplet) == row.getpixel((x, 2 * y))
                assert tuple(segment.style.bgcolor.triplet) == row.getpixel((x, 2 * y + 1))
                x += 1


def test_a_picture_that_is_not_a_grid_says_so():
    png, _ = _grid_png(10, 8, 1)
    with pytest.raises(ValueError, match="not a 10x7 grid"):
        _ = GridImage(png, rows=10, cols=7).geometry


@pytest.mark.parametrize("value, name", [(None, "auto"), ("", "auto"), ("halfcell", "halfcell"), ("SIXEL", "sixel"),
                                         ("kitty", "kitty"), ("tgp", "kitty")])  # fmt: skip
def test_renderer_names(value, name):
    assert renderers.parse(value) == name


def test_bad_renderer_is_a_one_line_error_naming_the_valid_ones(monkeypatch, capsys, tmp_path):
    with pytest.raises(UserError) as err:
        renderers.parse("ascii")
    assert str(err.value) == "CGAN_TUI_IMAGES='ascii' is not an image renderer; valid: auto|halfcell|sixel|kitty"
    from cgan_tui.cli import main

    monkeypatch.setenv("CGAN_TUI_IMAGES", "ascii")
    assert main(["--db", str(tmp_path / "x.db")]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines == [f"cgan-tui: error: {err.value}"]
    assert not (tmp_path / "x.db").exists()


def test_tmux_passthrough_doubles_every_escape():
    assert renderers.tmux_wrap("\x1b_Ga=q\x1b\\") == "\x1bPtmux;\x1b\x1b_Ga=q\x1b\x1b\\\x1b\\"


def test_footer_line_names_renderer_and_how_to_change_it():
    line = renderers.Choice("halfcell", "in tmux; for Kitty graphics: set -g allow-passthrough on").footer()
    assert line.startswith("images: halfcell (in tmux; for Kitty graphics: set -g allow-passthrough on)")
    assert line.endswith("change: CGAN_TUI_IMAGES=auto|halfcell|sixel|kitty")


# ------------------------------------------------------------------------------------- in the app
async def _open_detail(app, pilot, run_id: int, epoch: int) -> RunDetailScreen:
    await wait_for(pilot, lambda: results_loaded(app), what="results")
    app.push_screen(RunDetailScreen(run_id, epoch))
    await wait_for(pilot, lambda: isinstance(app.screen, RunDetailScreen) and app.screen.data is not None
                   and app.screen.query_one(SampleGrid).grid is not None, what="detail grid")  # fmt: skip
    return app.screen


def _zoom_loaded(app) -> bool:
    return isinstance(app.screen, ZoomScreen) and app.screen.loaded and app.screen.query_one(ClassRow).shown > 0


@pytest.mark.parametrize("size, per_row", [((160, 48), 5), ((80, 24), 2)])
async def test_zoomed_row_is_the_stored_png_pixel_for_pixel(ui_db, make_app, size, per_row):
    run_id = ui_db.run_ids[1]
    app = make_app(ui_db.url)
    async with app.run_test(size=size) as pilot:
        detail = await _open_detail(app, pilot, run_id, 2)
        await pilot.press("z")
        await wait_for(pilot, lambda: _zoom_loaded(app), what="zoom")
        zoom = app.screen
        picture = zoom.query_one(".row-image", HalfcellPicture)

        async def check(label: int, first: int, epoch: int) -> None:
            await pilot.pause()
            await wait_for(pilot, lambda: zoom.loaded and zoom.epoch == epoch, what=f"epoch {epoch}")
            row = zoom.query_one(ClassRow)
            assert (row.label, row.first_sample) == (label, first)
            samples = range(first, min(first + per_row, 8))
            assert picture.size == (len(samples) * (TILE + GAP) - GAP, TILE // 2)  # 28 columns x 14 rows a sample
            assert cells_to_pixels(picture) == expected_row(stored(ui_db.url, run_id, epoch), label, samples)

        await check(0, 0, 2)
        await pilot.press("down")  # class 1: trousers
        await check(1, 0, 2)
        await pilot.press("right_square_bracket")  # the next samples
        await check(1, 8 - per_row if per_row * 2 > 8 else per_row, 2)
        await pilot.press("left")  # epoch 1, same class and samples
        await check(1, 8 - per_row if per_row * 2 > 8 else per_row, 1)
        for _ in range(6):
            await pilot.press("down")  # class 7: sneakers
        await check(7, 8 - per_row if per_row * 2 > 8 else per_row, 1)
        await pilot.press("z")
        assert app.screen is detail
        await wait_for(pilot, lambda: detail.slider.epoch == 1 and detail.query_one(SampleGrid).first_class == 7,
                       what="detail follows the zoom")


async def test_grid_view_is_never_below_two_cells_per_three_pixels(ui_db, make_app):
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 48)) as pilot:
        detail = await _open_detail(app, pilot, ui_db.run_ids[0], 2)
        grid = detail.query_one(SampleGrid)
        picture = grid.query_one(".grid-image", HalfcellPicture)
        n_cls, n_smp = grid.shown
        side = math.ceil(TILE * READABLE_SCALE)
        assert picture.image.size == (n_smp * (side + 1) - 1, n_cls * (side + 1) - 1)
        assert side / TILE >= 2 / 3 and n_smp >= 4 and n_cls >= 3
        # every picture cell is inside the widget that holds it: nothing is cut off
        assert picture.size.width <= grid.content_region.width
        await pilot.press("down")
        assert grid.first_class == n_cls
        await pilot.press("right_square_bracket")
        assert grid.first_sample == grid.grid.cols - n_smp


async def test_rate_screen_shows_one_class_row_at_full_resolution(ui_db, make_app):
    run_id = ui_db.run_ids[0]
    app = make_app(ui_db.url)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        app.push_screen(RateScreen(run_id, 2, "bce"))
        await wait_for(pilot, lambda: isinstance(app.screen, RateScreen) and app.screen.loaded, what="rate")
        await pilot.pause()
        screen = app.screen
        picture = screen.query_one(".row-image", HalfcellPicture)
        png = stored(ui_db.url, run_id, 2)
        for label in (0, 1, 2):
            assert screen.query_one(ClassRow).label == label
            assert cells_to_pixels(picture) == expected_row(png, label, range(5))
            await pilot.press("right")
            await pilot.pause()
        await pilot.press("left", "left", "left", "left")  # cycles: 3 -> 9
        assert screen.query_one(ClassRow).label == 9
        await pilot.press("5")  # rating still works
        await wait_for(pilot, lambda: app.services.ratings(run_id, 2).get("sharpness") == 5, what="rating saved")


def test_shade_turns_halfcell_cells_into_text():
    from .shade import shade

    white_over_black = "\x1b[1;1H\x1b[38;2;255;255;255;48;2;0;0;0m▀\x1b[0m"
    white = "\x1b[38;2;255;255;255;48;2;255;255;255m▀▀\x1b[0m"
    assert shade(f"{white_over_black}{white} ok\n\x1b[38;2;0;0;0;48;2;0;0;0m▀") == "=@@ ok\n"
