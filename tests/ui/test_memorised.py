"""Issue 30 item 3: a "generator" that returns training images is flagged as memorising, and the zoom
view and the report show each flagged grid sample beside its nearest training image.

The record is written the way a worker writes it (``evaluate`` with the hook's context, then
``record_grid_neighbours``); the checks compare the pictures shown with the training images themselves.
"""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from cgan_tui import memorised
from cgan_tui.grid_tiles import GridImage
from cgan_tui.ui.screens.zoom import ZoomScreen, ZoomSource
from cgan_tui.ui.widgets.memorised_row import MemorisedRow
from cgan_tui.ui.widgets.pixels import HalfcellPicture

from .conftest import wait_for

COLS = 4


@pytest.fixture
def copying_run(tmp_path, fmnist_dir, registries):
    """A run whose grid and evaluation samples are training images, evaluated and recorded (epoch 1)."""
    from cgan_tui.config import RunConfig
    from cgan_tui.gan.data import load_fashion_mnist
    from cgan_tui.gan.metrics.context import TRAIN_SUBSET, MetricContext
    from cgan_tui.gan.metrics.engine import evaluate
    from cgan_tui.gan.sampling import grid_png
    from cgan_tui.runner.evaluate_hook import StoreFeatureCache, record_grid_neighbours, store_results
    from cgan_tui.store import queries
    from cgan_tui.store.db import open_store
    from tests.metrics.conftest import ReplayGenerator

    url = f"sqlite:///{tmp_path / 'copy.db'}"
    store = open_store(url, create=True)
    train = load_fashion_mnist(fmnist_dir, "train", device="cpu", limit=TRAIN_SUBSET)  # what the check embeds
    config = RunConfig(latent_dim=8, data_dir=str(fmnist_dir), epochs=1, checkpoint_epochs=(1,), grid_columns=COLS)
    run_id = queries.create_run(store, config, status="completed")
    copier = ReplayGenerator(train.images, train.labels)
    queries.save_grid(store, run_id, 1, grid_png(copier, 8, 10, COLS), 10, COLS)
    context = MetricContext(copier, latent_dim=8, n=100, device="cpu", data_dir=str(fmnist_dir),
                            feature_cache=StoreFeatureCache(store))  # fmt: skip
    results = evaluate(copier, config, registries, epoch=1, metrics=["memorisation"], context=context)
    store_results(store, run_id, 1, results)
    record_grid_neighbours(store, run_id, 1, results, context)
    value = {r.key: r.value for r in results}["memorised@classifier"]
    record = memorised.read(store.artifact_store, run_id, 1)
    grid = GridImage(bytes(queries.grid(store, run_id, 1).png), 10, COLS)
    store.dispose()
    return SimpleNamespace(url=url, run_id=run_id, value=value, record=record, grid=grid, train=train)


def train_tile(run, index: int) -> np.ndarray:
    return run.train.images[index, 0].numpy()


def test_copying_generator_is_flagged_with_its_own_training_images(copying_run):
    run = copying_run
    assert run.value is not None and run.value > 0.9  # nearly every sample is a training image
    assert run.record is not None and run.record.epoch == 1 and len(run.record.cells) == 10 * COLS
    assert all(c.flagged for c in run.record.cells), [(c.row, c.col, c.distance) for c in run.record.cells]
    for cell in run.record.cells:
        sample = np.asarray(run.grid.tile(cell.row, cell.col).convert("L"))
        neighbour = np.asarray(cell.train_image().convert("L"))
        assert np.array_equal(neighbour, train_tile(run, cell.train_index))
        assert np.array_equal(sample, neighbour)  # the nearest training image is the one it copied
        assert cell.distance < 1e-3


async def test_zoom_shows_each_flagged_sample_beside_its_training_image(copying_run, make_app):
    run = copying_run
    app = make_app(run.url)
    async with app.run_test(size=(160, 48)) as pilot:
        app.push_screen(ZoomScreen([ZoomSource("copier", run.run_id, (1,))], epoch=1, label=3))
        await wait_for(pilot, lambda: isinstance(app.screen, ZoomScreen) and app.screen.loaded
                       and app.screen.query_one(MemorisedRow).pairs_shown > 0, what="memorised pairs")  # fmt: skip
        row = app.screen.query_one(MemorisedRow)
        assert row.display and row.label == 3
        caption = str(row.query_one(".memorised-caption").render())
        first = run.record.flagged(3)[0]
        assert f"training #{first.train_index}" in caption and "memorised" in caption
        picture = row.query_one(".memorised-image", HalfcellPicture).image.convert("L")
        pixels = np.asarray(picture)
        shown_sample, shown_train = pixels[:, 0:28], pixels[:, 29:57]  # sample, 1-px gap, its neighbour
        assert np.array_equal(shown_sample, np.asarray(run.grid.tile(3, first.col).convert("L")))
        assert np.array_equal(shown_train, train_tile(run, first.train_index))
        await pilot.press("down")  # the next class follows
        await wait_for(pilot, lambda: row.label == 4, what="class 4")
        assert f"training #{run.record.flagged(4)[0].train_index}" in str(row.query_one(".memorised-caption").render())


def test_report_shows_the_flagged_samples_beside_their_training_images(copying_run, registries, tmp_path):
    from cgan_tui.report import build, data
    from cgan_tui.store.db import open_store

    run = copying_run
    store = open_store(run.url)
    try:
        (tmp_path / "report").mkdir()
        paths = build.write(data.collect(store, registries, run_ids=[run.run_id]), tmp_path / "report")
    finally:
        store.dispose()
    md = paths["md"].read_text(encoding="utf-8")
    assert "### Memorised samples" in md
    ref = re.search(rf"!\[([^\]]*)\]\((report_figures/memorised_r{run.run_id}_e1\.png)\)", md)
    assert ref is not None, md
    assert f"{10 * COLS} of {10 * COLS} grid samples memorised" in ref.group(1)
    figure = np.asarray(Image.open(io.BytesIO((paths["md"].parent / ref.group(2)).read_bytes())).convert("L"))
    cells = run.record.flagged()
    assert figure.shape == (28, 2 * len(cells) * 29 - 1)
    for k, cell in enumerate(cells):  # pair k: the grid sample, then its nearest training image
        x = 2 * k * 29
        assert np.array_equal(figure[:, x : x + 28], np.asarray(run.grid.tile(cell.row, cell.col).convert("L")))
        assert np.array_equal(figure[:, x + 29 : x + 57], train_tile(run, cell.train_index))
    html = paths["html"].read_text(encoding="utf-8")
    assert "Memorised samples" in html and f"{10 * COLS} of {10 * COLS} grid samples memorised" in html
