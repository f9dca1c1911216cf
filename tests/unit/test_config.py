"""Config resolution against the real registries: defaults per family/loss and plugin D-side schemes."""

import pytest

from cgan_tui.config import ConfigError, RunConfig, resolve
from cgan_tui.hooks import hookimpl
from cgan_tui.plugins import UnknownName, load_plugins
from cgan_tui.specs import Conditioning


class _ProjectionLike:
    """A D-and-G scheme as a plugin would provide it (callables are never called here)."""

    @hookimpl
    def register_conditionings(self):
        return [Conditioning("proj-test", generator=lambda *a: None, discriminator=lambda *a: None)]


@pytest.fixture(scope="module")
def registries():
    return load_plugins(extra=[("proj-test", _ProjectionLike())])


@pytest.mark.parametrize("scheme", ["embedding", "one-hot"])
def test_seed000_gives_its_own_schemes_the_label_map(registries, scheme):
    assert resolve(RunConfig(model="seed000", conditioning=scheme), registries).d_conditioning == "label-map"


def test_seed000_keeps_a_plugin_scheme_on_the_discriminator(registries):
    cfg = resolve(RunConfig(model="seed000", conditioning="proj-test"), registries)
    assert cfg.d_conditioning == "proj-test"
    explicit = resolve(RunConfig(model="seed000", conditioning="proj-test", d_conditioning="label-map"), registries)
    assert explicit.d_conditioning == "label-map"


def test_seed004_uses_the_same_scheme_on_both_sides(registries):
    assert resolve(RunConfig(model="seed004", conditioning="one-hot"), registries).d_conditioning == "one-hot"


def test_metrics_accept_backend_names_and_reject_unknown_ones(registries):
    assert resolve(RunConfig(metrics=("classifier", "fid")), registries).metrics == ("classifier", "fid")
    with pytest.raises(UnknownName, match="unknown metric 'fdi'; valid: .*fid"):
        resolve(RunConfig(metrics=("fdi",)), registries)


def test_label_map_has_no_generator_side(registries):
    with pytest.raises(ConfigError, match="no generator side; valid: .*embedding"):
        resolve(RunConfig(conditioning="label-map"), registries)


@pytest.mark.parametrize("device", ["cuda:x", "cuda:", "gpu", "cuda:1a"])
def test_bad_device_names_are_refused(registries, device):
    with pytest.raises(ConfigError, match="device must be auto, cpu, cuda or cuda:N"):
        resolve(RunConfig(device=device), registries)


def test_grid_key_error_names_the_file(tmp_path):
    from cgan_tui.config import load_grid

    grid = tmp_path / "g.toml"
    grid.write_text('[base]\nmodle = "seed000"\n')
    with pytest.raises(ConfigError, match=r"grid file .*g\.toml: unknown config key\(s\) 'modle'"):
        load_grid(grid)


# ------------------------------------------------------------------ one model validates every input


@pytest.mark.parametrize("data, message", [
    ({"epochs": 0}, "epochs must be an integer >= 1, got 0"),
    ({"seed": True}, "seed must be an integer >= 0, got True"),
    ({"eval_n": 5}, "eval_n must be an integer >= 10, got 5"),
    ({"checkpoint_epochs": [10, 0]}, "checkpoint epoch must be an integer >= 1, got 0"),
    ({"device": "gpu"}, "device must be auto, cpu, cuda or cuda:N, got 'gpu'"),
    ({"precision": "fp16"}, "precision must be auto, fp32 or bf16, got 'fp16'"),
    ({"lr_g": 0}, "lr_g must be a finite positive number, got 0"),
    ({"hflip": "maybe"}, "hflip: input should be a valid boolean"),
    ({"modle": "x"}, "unknown config key(s) 'modle'; valid: "),
])  # fmt: skip
def test_run_config_model_messages(data, message):
    from cgan_tui.config import validated

    with pytest.raises(ConfigError) as err:
        validated(data)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_cli_grid_and_form_share_the_model(tmp_path):
    """The same bad value gives the same message from the CLI, a grid file and the form."""
    import argparse

    from cgan_tui.cli.run_options import config_from_args
    from cgan_tui.config import load_grid
    from cgan_tui.ui.screens.new_run import DEFAULTS, build_configs

    with pytest.raises(ConfigError, match=r"^precision must be auto, fp32 or bf16, got 'fp8'$"):
        config_from_args(argparse.Namespace(cfg_precision="fp8"))
    grid = tmp_path / "g.toml"
    grid.write_text('[base]\nprecision = "fp8"\n[matrix]\nseed = [0, 1]\n')
    with pytest.raises(ConfigError, match=r"^grid file .*g\.toml: precision must be auto, fp32 or bf16, got 'fp8'$"):
        load_grid(grid)
    with pytest.raises(ConfigError, match=r"^precision must be auto, fp32 or bf16, got 'fp8'$"):
        build_configs("seed000", "bce", "embedding", {**DEFAULTS, "precision": "fp8"})
    configs = build_configs("seed000", "bce", "embedding", {**DEFAULTS, "embed_dims": "10 32", "n_seeds": "2"})
    assert [(c.embed_dim, c.seed) for c in configs] == [(10, 0), (10, 1), (32, 0), (32, 1)]


def test_grid_tables_are_checked(tmp_path):
    from cgan_tui.config import load_grid

    grid = tmp_path / "g.toml"
    grid.write_text('[bse]\nepochs = 1\n')
    with pytest.raises(ConfigError, match=r"unknown table\(s\) \['bse'\]; valid: experiment, base, matrix"):
        load_grid(grid)
    grid.write_text('[matrix]\nseed = []\n')
    with pytest.raises(ConfigError, match=r"^grid file .*: matrix\.seed must be a non-empty list$"):
        load_grid(grid)
    grid.write_text('[experiment]\nname = "x"\nowner = "me"\n')
    with pytest.raises(ConfigError, match=r"^grid file .*: experiment: extra inputs are not permitted"):
        load_grid(grid)
