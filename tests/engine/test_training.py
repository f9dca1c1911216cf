"""train(): determinism, bit-exact resume, clean stop, divergence, precision and edge cases."""

from __future__ import annotations

import pytest
import torch

from cgan_tui.config import RunConfig, resolve
from cgan_tui.gan.training import Diverged, TrainCallbacks, load_checkpoint, load_generator, train
from cgan_tui.hooks import hookimpl
from cgan_tui.plugins import load_plugins
from cgan_tui.specs import Loss


def g_params(path):
    return load_checkpoint(path)["G"]


def assert_same_weights(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


def test_same_seed_same_weights_other_seed_differs(tiny_config, registries, tmp_path):
    cfg = tiny_config()
    a = train(cfg, registries, tmp_path / "a").last_checkpoint
    b = train(cfg, registries, tmp_path / "b").last_checkpoint
    c = train(tiny_config(seed=1), registries, tmp_path / "c").last_checkpoint
    assert_same_weights(g_params(a), g_params(b))
    assert not torch.equal(g_params(a)["body.1.weight"], g_params(c)["body.1.weight"])


class StopAfter:
    """should_stop() that turns True after ``steps`` polls once epoch ``epoch`` has started."""

    def __init__(self, calls: int) -> None:
        self.calls = calls

    def __call__(self) -> bool:
        self.calls -= 1
        return self.calls < 0


@pytest.mark.parametrize(
    "overrides",
    [
        dict(),  # seed004 + bce + hflip
        dict(model="seed000", loss="wgan-gp", conditioning="embedding", limit_train=32, batch_size=16, n_critic=2),
    ],
    ids=["seed004-bce", "seed000-wgan-gp"],
)
@pytest.mark.parametrize("stop_polls", [3, 4], ids=["stop-at-epoch-boundary", "stop-mid-epoch"])
def test_resume_is_bit_exact(tiny_config, registries, tmp_path, overrides, stop_polls):
    cfg = tiny_config(epochs=2, **overrides)
    straight = train(cfg, registries, tmp_path / "straight")
    assert straight.epochs_done == 2

    # polls: one per epoch start + one per step
    steps = -(-cfg.limit_train // cfg.batch_size)
    polls = 1 + steps + (stop_polls - 3)  # epoch 1 complete, then stop at epoch 2 start or after 1 step
    first = train(cfg, registries, tmp_path / "resumed", TrainCallbacks(should_stop=StopAfter(polls)))
    assert first.stopped and first.epochs_done == 1
    assert load_checkpoint(first.last_checkpoint)["epoch"] == 1

    second = train(cfg, registries, tmp_path / "resumed", resume_from=first.last_checkpoint)
    assert second.epochs_done == 2 and not second.stopped
    assert_same_weights(g_params(straight.last_checkpoint), g_params(second.last_checkpoint))
    assert_same_weights(load_checkpoint(straight.last_checkpoint)["D"], load_checkpoint(second.last_checkpoint)["D"])


def test_unresolved_config_is_resolved_like_resolve(tiny_config, registries, fmnist_dir, tmp_path):
    raw = RunConfig(model="seed004", conditioning="one-hot", epochs=1, limit_train=32, batch_size=32,
                    device="cpu", data_dir=str(fmnist_dir))  # fmt: skip
    result = train(raw, registries, tmp_path / "raw")
    stored = load_checkpoint(result.last_checkpoint)["config"]
    assert stored == resolve(raw, registries).to_dict() and stored["lr_d"] == 1e-4


def test_stop_before_anything_returns_cleanly(tiny_config, registries, tmp_path):
    result = train(tiny_config(), registries, tmp_path, TrainCallbacks(should_stop=lambda: True))
    assert result.stopped and result.epochs_done == 0 and result.last_checkpoint is None


class NanLossPlugin:
    """A third-party-style plugin whose loss turns NaN after ``good_steps`` discriminator steps."""

    def __init__(self, good_steps: int) -> None:
        self.calls = 0
        self.good_steps = good_steps

    def d_loss(self, real, fake):
        self.calls += 1
        value = (fake - real).mean()
        return value * float("nan") if self.calls > self.good_steps else value

    @hookimpl
    def register_losses(self):
        return [Loss("nan-later", d_loss=self.d_loss, g_loss=lambda fake: -fake.mean())]


def test_nan_loss_raises_diverged_and_keeps_last_good_checkpoint(fmnist_dir, tmp_path):
    regs = load_plugins(extra=[("nan-plugin", NanLossPlugin(good_steps=2))])
    cfg = resolve(
        RunConfig(model="seed004", loss="nan-later", conditioning="one-hot", epochs=2, checkpoint_epochs=(2,),
                  limit_train=64, batch_size=32, device="cpu", data_dir=str(fmnist_dir)),
        regs,
    )  # fmt: skip
    with pytest.raises(Diverged) as info:
        train(cfg, regs, tmp_path)
    assert info.value.epoch == 2
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 1


def test_bf16_aux_classifier_and_batch_larger_than_data(fmnist_dir, tmp_path):
    from torch import nn

    from cgan_tui.gan.models.common import DiscriminatorConditioner
    from cgan_tui.specs import Conditioning

    class AuxClassifier(DiscriminatorConditioner):
        def __init__(self, num_classes, embed_dim, image_shape, feature_dim):
            super().__init__()
            self.cls = nn.Linear(feature_dim, num_classes)

        def classify(self, features):
            return self.cls(features)

    @hookimpl
    def register_conditionings():
        return [Conditioning("aux", discriminator=AuxClassifier, aux_weight=1.0)]

    class Plugin:
        pass

    plugin = Plugin()
    plugin.register_conditionings = register_conditionings
    regs = load_plugins(extra=[("aux-plugin", plugin)])
    cfg = resolve(
        RunConfig(model="seed004", conditioning="one-hot", d_conditioning="aux", precision="bf16", epochs=1,
                  limit_train=20, batch_size=128, device="cpu", data_dir=str(fmnist_dir)),
        regs,
    )  # fmt: skip
    epochs = []
    result = train(cfg, regs, tmp_path, TrainCallbacks(on_epoch_end=epochs.append))
    assert result.epochs_done == 1 and epochs[0].images_seen == 20
    ckpt = load_checkpoint(result.last_checkpoint)
    # the classifier head only gets gradients from the auxiliary loss: it moved away from its init
    torch.manual_seed(cfg.seed)
    family = regs.models.get("seed004")
    _, d_init = family.build(cfg, regs.conditionings.get("one-hot"), regs.conditionings.get("aux"))
    assert not torch.equal(ckpt["D"]["conditioner.cls.weight"], d_init.conditioner.cls.weight.detach())
    torch.manual_seed(cfg.seed)
    _, d_same = family.build(cfg, regs.conditionings.get("one-hot"), regs.conditionings.get("aux"))
    assert torch.equal(d_same.conditioner.cls.weight, d_init.conditioner.cls.weight)
    g, loaded_cfg = load_generator(result.last_checkpoint, regs)
    assert loaded_cfg == cfg and not g.training


def test_resolve_defaults_from_the_seeds(registries):
    r000 = resolve(RunConfig(model="seed000", loss="wgan-gp"), registries)
    assert (r000.lr_g, r000.lr_d, r000.n_critic, r000.gp_weight) == (1e-4, 1e-4, 5, 10.0)
    assert (r000.latent_dim, r000.batch_size, r000.bn_momentum, r000.hflip) == (200, 64, 0.2, False)
    bce = resolve(RunConfig(model="seed000", loss="hinge"), registries)
    assert (bce.lr_g, bce.lr_d, bce.betas, bce.d_conditioning) == (2e-4, 2e-4, (0.5, 0.999), "label-map")
    r004 = resolve(RunConfig(model="seed004", loss="lsgan-sigmoid", conditioning="embedding"), registries)
    assert (r004.lr_g, r004.lr_d, r004.batch_size, r004.latent_dim, r004.hflip) == (2e-4, 1e-4, 128, 100, True)
    assert r004.d_conditioning == "embedding" and r004.betas == (0.9, 0.999)
    explicit = resolve(RunConfig(model="seed000", loss="wgan-gp", lr_g=3e-4), registries)
    assert explicit.lr_g == 3e-4 and explicit.lr_d == 1e-4
