"""The model-family contract's second path: a family that brings its own training step.

A tiny non-adversarial family defined here (per-class mean images plus scaled noise, fitted by MSE)
goes through the real queue row -> ``execute_run`` -> engine loop -> checkpoints -> grid ->
evaluation (classifier backend) -> results table, and resumes bit-exactly after an interrupt.
"""

from __future__ import annotations

import threading
import types

import pytest
import torch
from torch import nn

from cgan_tui.config import ConfigError, RunConfig, resolve
from cgan_tui.hooks import hookimpl
from cgan_tui.plugins import load_plugins
from cgan_tui.runner import queue
from cgan_tui.runner.execute import execute_run
from cgan_tui.specs import ModelFamily
from cgan_tui.store import queries as q

pytestmark = pytest.mark.slow


class MeanSampler(nn.Module):
    """``sampler(z, labels)``: the class's mean image plus ``scale`` times the noise, in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.means = nn.Parameter(torch.zeros(10, 1, 28, 28))
        self.log_scale = nn.Parameter(torch.tensor(-2.0))

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.means[labels] + self.log_scale.exp() * z.view(-1, 1, 28, 28))


class MeanTrainer:
    def __init__(self, config: RunConfig, device: torch.device) -> None:
        self.model = MeanSampler().to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.lr_g)
        self.steps = 0

    def train_step(self, real, labels):
        z = torch.randn(real.shape[0], 784, device=real.device)  # the engine's RNG stream: resumes exactly
        loss = (self.model(z, labels) - real).pow(2).mean()
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        self.steps += 1
        return {"fit_loss": loss}

    def sampler(self) -> nn.Module:
        return self.model

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(), "steps": self.steps}

    def load_state_dict(self, state) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.steps = int(state["steps"])


@hookimpl
def register_models():
    return [
        ModelFamily(
            name="meanfit",
            trainer=MeanTrainer,
            defaults=dict(latent_dim=784, batch_size=16, lr_g=0.05, lr_d=0.05, betas=(0.9, 0.999), n_critic=1,
                          hflip=False, bn_momentum=0.1, bn_eps=1e-5, gp_weight=0.0),  # fmt: skip
            fixed={"loss": "mse", "conditioning": "class-mean"},
            not_applicable={"g_loss": "meanfit has no generator loss", "d_loss": "meanfit has no discriminator"},
            extra_defaults={"note": "fake"},
            description="test family: per-class mean image + noise",
        )
    ]


PLUGIN = types.SimpleNamespace(register_models=register_models)


@pytest.fixture(scope="module")
def regs():
    registries = load_plugins(extra=[("meanfit-test", PLUGIN)])
    assert {p.name: p for p in registries.plugins}["meanfit-test"].status == "ok"
    return registries


@pytest.fixture
def own(fmnist_dir):
    def make(**kw) -> RunConfig:
        base = dict(model="meanfit", epochs=1, checkpoint_epochs=(1,), limit_train=64, data_dir=str(fmnist_dir),
                    device="cpu", metrics=("classifier",), eval_n=20, grid_columns=2)  # fmt: skip
        base.update(kw)
        return RunConfig(**base)

    return make


def test_resolve_fixes_the_familys_own_names_and_refuses_others(regs, own):
    cfg = resolve(own(), regs)
    assert (cfg.loss, cfg.conditioning, cfg.d_conditioning) == ("mse", "class-mean", "")
    assert cfg.latent_dim == 784 and cfg.extra == {"note": "fake"}
    with pytest.raises(ConfigError, match="loss 'hinge' does not apply"):
        resolve(own(loss="hinge"), regs)
    with pytest.raises(ConfigError, match="trains in fp32"):
        resolve(own(precision="bf16"), regs)


def test_a_loss_or_conditioning_named_at_its_default_value_is_refused_too(regs, own):
    """``--loss bce`` is as inapplicable to an own-trainer family as ``--loss hinge``: named by the user
    (``given``), the default value is refused like any other; the family's own name is accepted."""
    for key, value in (("loss", "bce"), ("conditioning", "embedding")):
        assert getattr(own(), key) == value  # RunConfig's default: left out, it becomes the family's name
        with pytest.raises(ConfigError, match=f"{key} '{value}' does not apply to it: leave it out"):
            resolve(own(), regs, given={key})
    assert resolve(own(loss="mse"), regs, given={"loss"}).loss == "mse"
    assert resolve(own(), regs, given={"epochs", "model"}).loss == "mse"


def test_cli_and_grids_refuse_a_named_default_loss(regs, store, fmnist_dir, tmp_path, monkeypatch, capsys):
    """Every way a user names fields passes them on: ``train``/``queue add`` options and grid files."""
    from cgan_tui.cli import main
    from cgan_tui.config import load_grid

    monkeypatch.setenv("CGAN_TUI_EXTRA_PLUGINS", "tests.runner.test_own_trainer")
    db = tmp_path / "q.db"
    common = ["--db", str(db), "--model", "meanfit", "--epochs", "1", "--data-dir", str(fmnist_dir)]
    for argv in (["queue", "add", *common, "--loss", "bce"], ["train", *common, "--conditioning", "embedding"]):
        assert main(argv) != 0
        err = capsys.readouterr().err
        assert "does not apply to it: leave it out" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["queue", "add", *common]) == 0  # left out: the family's own names
    grid = tmp_path / "g.toml"
    grid.write_text('[base]\nmodel = "meanfit"\nepochs = 1\n[matrix]\nloss = ["bce"]\n')
    with pytest.raises(ConfigError, match="loss 'bce' does not apply"):
        queue.enqueue_grid(store, load_grid(grid), regs)


def test_trains_samples_evaluates_and_shows_na(store, own, regs, monkeypatch, tmp_path):
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(tmp_path / "weights"))  # the shipped classifier only
    rid = queue.enqueue(store, own(), registries=regs)
    assert queue.claim_next(store, "w").id == rid
    out = execute_run(store, rid, regs, worker_id="w")
    assert (out.status, out.epochs_done) == ("completed", 1), out.error
    (row,) = q.epoch_rows(store, rid)
    assert row.g_loss is None and row.d_loss is None and row.losses["fit_loss"] > 0
    assert row.images_per_s > 0 and row.sample_images_per_s > 0
    assert q.grid_epochs(store, rid) == [1]
    assert {c.kind for c in q.checkpoints(store, rid)} == {"milestone", "last"}

    from cgan_tui.formatting import cell_text
    from cgan_tui.results import load_results

    (result,) = load_results(store, regs)
    assert result.get("fid@classifier") is not None and result.get("combined@classifier") is not None
    assert cell_text(result, "d_loss@train") == "n/a"  # not applicable, distinct from "—" (not yet)
    assert "no discriminator" in result.why_missing("d_loss@train")
    assert result.get("sample_images_per_s@train") > 0


def test_resumes_bit_exactly_after_an_interrupt(store, own, regs):
    def run_to_end(rid: int, stop_after_epoch: int | None = None):
        stop = threading.Event()

        class StopAt:
            def on_progress(self, p):
                pass

            def on_epoch_end(self, e):
                if e.epoch == stop_after_epoch:
                    stop.set()

            def on_checkpoint(self, c):
                pass

            def should_stop(self):
                return False

        assert queue.claim_next(store, "w").id == rid
        return execute_run(store, rid, regs, worker_id="w", stop_event=stop, extra_callbacks=StopAt(), epoch_hooks=[])

    straight = queue.enqueue(store, own(epochs=2, checkpoint_epochs=(2,)), registries=regs)
    assert run_to_end(straight).status == "completed"
    interrupted = queue.enqueue(store, own(epochs=2, checkpoint_epochs=(2,)), registries=regs)
    assert run_to_end(interrupted, stop_after_epoch=1).status == "queued"  # the worker's stop: resume later
    assert run_to_end(interrupted).status == "completed"

    from cgan_tui.gan.training import load_checkpoint

    a, b = (load_checkpoint(store.artifact_store.fetch(q.latest_checkpoint(store, r, ["milestone"]).path))
            for r in (straight, interrupted))  # fmt: skip
    assert b["family"]["steps"] == a["family"]["steps"] == 8
    for key, value in a["family"]["model"].items():
        assert torch.equal(value, b["family"]["model"][key]), key
    assert [r.losses["fit_loss"] for r in q.epoch_rows(store, straight)] == [
        r.losses["fit_loss"] for r in q.epoch_rows(store, interrupted)
    ]
