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
