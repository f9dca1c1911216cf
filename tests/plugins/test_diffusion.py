"""plugins/cgan-tui-diffusion: installed with pip, listed, and both families (ddpm, ldm) train one tiny
epoch, sample a grid, are evaluated (classifier backend) and resume after an interrupt, through the
same queue rows, ``execute_run`` and results table as the GANs.

Tiny models (8 channels, 2 DDIM steps, 64 real images) keep each family to seconds; the real
defaults are measured in docs/diffusion.md.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from tests.plugins.conftest import ROOT, pip_install

pytestmark = pytest.mark.slow

PACKAGE = ROOT / "plugins" / "cgan-tui-diffusion"
TINY = {"channels": 8, "channel_mults": [1, 2], "ddim_steps": 2, "timesteps": 50, "ae_channels": 8, "ae_steps": 1}


@pytest.fixture(scope="module")
def diffusion_site(tmp_path_factory) -> Path:
    """``pip install --no-deps --target SITE plugins/cgan-tui-diffusion``, as a user would."""
    return pip_install([PACKAGE], tmp_path_factory.mktemp("site-diffusion"), tmp_path_factory.mktemp("diffusion-src"))


@pytest.fixture
def regs(diffusion_site, monkeypatch):
    from cgan_tui.plugins import load_plugins

    monkeypatch.syspath_prepend(str(diffusion_site))
    monkeypatch.delenv("CGAN_TUI_DISABLE_PLUGINS", raising=False)
    registries = load_plugins()
    info = {p.name: p for p in registries.plugins}["diffusion"]
    assert info.status == "ok", info.error
    return registries


def _config(fmnist_dir, model: str, **kw):
    from cgan_tui.config import RunConfig

    base = dict(model=model, epochs=2, checkpoint_epochs=(1, 2), limit_train=64, batch_size=32, device="cpu",
                data_dir=str(fmnist_dir), metrics=("classifier",), eval_n=20, grid_columns=2, extra=dict(TINY))  # fmt: skip
    base.update(kw)
    return RunConfig(**base)


class StopAfter:
    """Extra callbacks: set the worker's stop event after ``epoch`` (an interrupt between epochs)."""

    def __init__(self, event: threading.Event, epoch: int) -> None:
        self.event, self.epoch = event, epoch

    def on_progress(self, p) -> None:
        pass

    def on_epoch_end(self, e) -> None:
        if e.epoch == self.epoch:
            self.event.set()

    def on_checkpoint(self, c) -> None:
        pass

    def should_stop(self) -> bool:
        return False


def test_installs_with_pip_and_is_listed(diffusion_site, subprocess_env, run_cli, tmp_path):
    proc = run_cli("plugins", "--json", env=subprocess_env(diffusion_site), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    info = {p["name"]: p for p in json.loads(proc.stdout)}["diffusion"]
    assert (info["package"], info["status"]) == ("cgan-tui-diffusion", "ok"), info
    assert info["provides"] == {"models": ["ddpm", "ldm"]}
    proc = run_cli("plugins", env=subprocess_env(diffusion_site), cwd=tmp_path)
    assert "diffusion" in proc.stdout and "ddpm" in proc.stdout and "ldm" in proc.stdout


def test_bad_options_are_refused_when_submitted(regs, fmnist_dir):
    from cgan_tui.config import ConfigError, resolve

    cfg = resolve(_config(fmnist_dir, "ddpm", extra={}), regs)
    assert (cfg.loss, cfg.conditioning, cfg.latent_dim, cfg.extra["ddim_steps"]) == ("eps-mse", "cfg", 784, 50)
    with pytest.raises(ConfigError, match="extra.ddim_steps must be an integer >= 1, got 0"):
        resolve(_config(fmnist_dir, "ddpm", extra={"ddim_steps": 0}), regs)
    with pytest.raises(ConfigError, match="latent_dim must be 392"):
        resolve(_config(fmnist_dir, "ldm", extra={"latent_channels": 8}), regs)
    with pytest.raises(ConfigError, match="does not apply"):
        resolve(_config(fmnist_dir, "ldm", loss="hinge"), regs)


@pytest.mark.parametrize("model", ["ddpm", "ldm"])
def test_family_trains_samples_evaluates_and_resumes(model, regs, fmnist_dir, db_url, tmp_path, monkeypatch):
    from cgan_tui.formatting import cell_text
    from cgan_tui.gan.training import load_checkpoint
    from cgan_tui.results import load_results
    from cgan_tui.runner import queue
    from cgan_tui.runner.execute import execute_run
    from cgan_tui.store import queries as q
    from cgan_tui.store.db import open_store

    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(tmp_path / "weights"))  # the classifier shipped in the package
    store = open_store(db_url)
    try:
        rid = queue.enqueue(store, _config(fmnist_dir, model), registries=regs)
        stop = threading.Event()
        assert queue.claim_next(store, "w").id == rid
        out = execute_run(store, rid, regs, worker_id="w", stop_event=stop, extra_callbacks=StopAfter(stop, 1))
        assert (out.status, out.epochs_done) == ("queued", 1), out.error  # interrupted: resumes later
        assert queue.claim_next(store, "w").id == rid
        out = execute_run(store, rid, regs, worker_id="w")
        assert (out.status, out.epochs_done) == ("completed", 2), out.error

        rows = q.epoch_rows(store, rid)
        assert [r.epoch for r in rows] == [1, 2]
        assert all(r.g_loss is None and r.d_loss is None and r.sample_images_per_s > 0 for r in rows)
        assert all(r.losses["diffusion_loss"] > 0 for r in rows)
        if model == "ldm":  # 1 autoencoder step first, then diffusion: epoch 1 (2 steps of 32) has both
            assert rows[0].losses["ae_loss"] > 0 and rows[1].losses.get("ae_loss") is None
        assert q.grid_epochs(store, rid) == [1, 2]
        ckpt = load_checkpoint(store.artifact_store.fetch(q.latest_checkpoint(store, rid, ["milestone"]).path))
        state = ckpt["family"]
        core = state["diffusion"]
        assert core["diffusion_steps"] == (3 if model == "ldm" else 4)  # 2 epochs x 2 steps, resumed not restarted
        if model == "ldm":
            assert state["ae_steps_done"] == 1 and state["scale_set"] and "autoencoder" in state

        rows = {r.epoch: r for r in load_results(store, regs)}
        for epoch in (1, 2):
            row = rows[epoch]
            assert row.get("fid@classifier") is not None and row.get("combined@classifier") is not None
            assert cell_text(row, "d_loss@train") == cell_text(row, "g_loss@train") == "n/a"
            assert "no discriminator" in row.why_missing("d_loss@train")
            assert row.get("sample_images_per_s@train") > 0 and row.get("diffusion_loss@train") > 0
    finally:
        store.dispose()


def test_cli_train_ls_show_and_tui_detail(regs, fmnist_dir, tmp_path, capsys, monkeypatch):
    """The CLI trains ddpm (in-process, the installed package on sys.path); ``ls`` and the TUI's results table say n/a
    for the D loss; ``show`` and the run detail give the sampling cost; the detail plots the diffusion loss."""
    import asyncio

    from cgan_tui.cli import main

    db = tmp_path / "d.db"
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("COLUMNS", "200")
    extra = [f"--set=extra.{k}={json.dumps(v)}" for k, v in TINY.items()]
    assert main(["train", "--db", str(db), "--model", "ddpm", "--epochs", "1", "--limit-train", "64",
                 "--batch-size", "32", "--device", "cpu", "--data-dir", str(fmnist_dir), "--metrics", "classifier",
                 "--eval-n", "20", *extra]) == 0  # fmt: skip
    assert "n/a" in capsys.readouterr().out  # the summary's G/D loss columns
    columns = "run_id,label,d_loss@train,diffusion_loss@train,sample_images_per_s@train"
    assert main(["ls", "--db", str(db), "--columns", columns]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "EPS_MSE_cfg" in x)
    assert "n/a" in line and "has no discriminator" in out
    assert main(["show", "--db", str(db), "1"]) == 0
    out = capsys.readouterr().out
    assert "cost: training" in out and "img/s, sampling" in out
    assert "d_loss: n/a (ddpm is a diffusion model: it has no discriminator)" in out

    from cgan_tui.ui.app import CganApp
    from cgan_tui.ui.screens.detail import RunDetailScreen
    from cgan_tui.ui.screens.results import ResultsScreen
    from cgan_tui.ui.services import Services

    async def drive() -> None:
        app = CganApp(Services(f"sqlite:///{db}", plugin_loader=lambda: regs, image_renderer="halfcell",
                               poll_interval=0.3))  # fmt: skip
        async with app.run_test(size=(200, 50)) as pilot:
            while not (isinstance(app.screen, ResultsScreen) and app.screen.complete and app.screen.table.shown):
                await pilot.pause(0.05)
            table = app.screen.table
            keys = [str(k.value) for k in table.columns]
            cells = [str(c) for c in table.get_row_at(0)]
            assert cells[keys.index("d_loss@train")] == "n/a" and cells[keys.index("g_loss@train")] == "n/a"
            assert "sample_images_per_s@train" in keys
            app.push_screen(RunDetailScreen(1, 1))
            while not (isinstance(app.screen, RunDetailScreen) and app.screen.data is not None):
                await pilot.pause(0.05)
            await pilot.pause()
            assert "sample" in str(app.screen.query_one("#detail-title").render())
            assert app.screen.query_one("#loss-plot").title_text.startswith("diff loss per step (G/D loss n/a)")

    asyncio.run(asyncio.wait_for(drive(), 300))
