"""One epoch loop for every model family: the GAN step is the built-in ``FamilyTrainer`` and the
training modules import one another in one direction only."""

from __future__ import annotations

from pathlib import Path

import torch

from cgan_tui.gan.epoch_loop import seed_everything
from cgan_tui.gan.gan_trainer import GanTrainer
from cgan_tui.gan.trainer import FamilyTrainer

ROOT = Path(__file__).resolve().parents[2]
TRAINING_MODULES = ("training", "epoch_loop", "gan_trainer", "trainer", "checkpoint_state", "train_events")


def test_the_gan_step_is_a_family_trainer_that_names_its_losses(tiny_config, registries):
    cfg = tiny_config(model="seed000", loss="wgan-gp", conditioning="embedding", n_critic=2, batch_size=8)
    seed_everything(cfg.seed)
    trainer: FamilyTrainer = GanTrainer(cfg, registries, torch.device("cpu"))
    real, labels = torch.rand(8, 1, 28, 28) * 2 - 1, torch.arange(8) % 10
    for epoch in (1, 2):
        trainer.start_epoch(epoch)  # the critic count restarts with every epoch, as the loop's steps do
        steps = [trainer.train_step(real, labels) for _ in range(3)]
        assert [sorted(s) for s in steps] == [["d_loss", "g_loss"], ["d_loss"], ["d_loss", "g_loss"]]
    assert trainer.sampler() is trainer.G
    state = trainer.state_dict()
    assert sorted(state) == ["D", "G", "opt_d", "opt_g"]
    other = GanTrainer(cfg, registries, torch.device("cpu"))
    other.load_state_dict(state)
    for key, value in other.G.state_dict().items():
        assert torch.equal(value, trainer.G.state_dict()[key]), key


def test_no_training_module_is_in_an_import_cycle_and_the_second_loop_is_gone():
    import grimp

    assert not (ROOT / "cgan_tui" / "gan" / "family_training.py").exists()
    graph = grimp.build_graph("cgan_tui", cache_dir=None)
    for name in TRAINING_MODULES:
        module = f"cgan_tui.gan.{name}"
        for imported in graph.find_modules_directly_imported_by(module):
            assert not graph.chain_exists(importer=imported, imported=module), f"{module} <-> {imported}"
