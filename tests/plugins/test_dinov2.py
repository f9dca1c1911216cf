"""plugins/cgan-tui-dinov2, the example backend plugin: installed by pip, its weight file fetched with
a hash check from a local HTTP server, its values (``fd@dinov2``) computed by the evaluation and listed
by ``cgan-tui ls --backend dinov2``.

The served file is a *structurally valid* DINOv2 backbone state dict (DINOv2's key names, a tiny width
and depth, random values): it proves the wiring offline; its numbers mean nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import pytest

from cgan_tui.cli import main
from tests.metrics.test_weights_fetch import FileServer, files_under
from tests.plugins.conftest import ROOT, pip_install

PACKAGE = ROOT / "plugins" / "cgan-tui-dinov2"
FILENAME = "dinov2_vits14_pretrain.pth"


@pytest.fixture(scope="module")
def dinov2_site(tmp_path_factory) -> Path:
    """``pip install --no-deps --target SITE plugins/cgan-tui-dinov2``, as a user would."""
    return pip_install([PACKAGE], tmp_path_factory.mktemp("site-dinov2"), tmp_path_factory.mktemp("dinov2-src"))


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory) -> bytes:
    """A DINOv2 ViT state dict with the real key names: width 64 (one head), 2 blocks, patch 14,
    a 2 x 2 grid of trained positions (resized to 16 x 16 at 224 px, as the real 37 x 37 are)."""
    import io

    import torch

    dim, depth, hidden = 64, 2, 128
    gen = torch.Generator().manual_seed(0)
    state = {"cls_token": torch.randn(1, 1, dim, generator=gen), "pos_embed": torch.randn(1, 5, dim, generator=gen),
             "mask_token": torch.zeros(1, dim), "patch_embed.proj.weight": torch.randn(dim, 3, 14, 14, generator=gen) * 0.02,
             "patch_embed.proj.bias": torch.zeros(dim), "norm.weight": torch.ones(dim), "norm.bias": torch.zeros(dim)}  # fmt: skip
    for i in range(depth):
        p = f"blocks.{i}."
        shapes = {"norm1.weight": (dim,), "norm1.bias": (dim,), "attn.qkv.weight": (3 * dim, dim), "attn.qkv.bias": (3 * dim,),
                  "attn.proj.weight": (dim, dim), "attn.proj.bias": (dim,), "ls1.gamma": (dim,), "norm2.weight": (dim,),
                  "norm2.bias": (dim,), "mlp.fc1.weight": (hidden, dim), "mlp.fc1.bias": (hidden,),
                  "mlp.fc2.weight": (dim, hidden), "mlp.fc2.bias": (dim,), "ls2.gamma": (dim,)}  # fmt: skip
        for key, shape in shapes.items():
            state[p + key] = torch.randn(*shape, generator=gen) * 0.1 + (1.0 if key.endswith("norm1.weight") else 0.0)
    buf = io.BytesIO()
    torch.save(state, buf)
    return buf.getvalue()


@pytest.fixture
def plugin(dinov2_site, tmp_path, monkeypatch):
    """The installed package importable and discovered; empty weights folder and torch hub."""
    monkeypatch.syspath_prepend(str(dinov2_site))
    monkeypatch.delenv("CGAN_TUI_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("CGAN_TUI_WEIGHTS_MIRROR", raising=False)
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(tmp_path / "weights"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    import cgan_tui_dinov2

    assert cgan_tui_dinov2.__file__.startswith(str(dinov2_site))  # the pip-installed copy, not the source tree
    return cgan_tui_dinov2


def publish(monkeypatch, module, sha256: str | None) -> None:
    """The plugin's published hash for its file (the real file's cannot match test bytes)."""
    monkeypatch.setattr(module, "WEIGHTS", dataclasses.replace(module.WEIGHTS, sha256=sha256))


def test_plugin_registers_the_backend_and_its_weight_file(plugin, capsys):
    from cgan_tui.gan import weights
    from cgan_tui.plugins import load_plugins

    regs = load_plugins()
    info = {p.name: p for p in regs.plugins}["dinov2"]
    assert info.status == "ok", info.error
    assert info.provides == {"metrics": ["fd_dinov2"], "backends": ["dinov2"]}
    assert regs.backends.get("dinov2").weights[0].url == plugin.URL
    assert "dinov2-vits14" in weights.downloadable()
    assert main(["weights"]) == 0
    assert "dinov2-vits14" in capsys.readouterr().out


def test_fetch_checks_the_hash_and_the_structure(plugin, fixture_file, tmp_path, monkeypatch, capsys):
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    publish(monkeypatch, plugin, hashlib.sha256(b"another file").hexdigest())
    with FileServer({FILENAME: fixture_file}) as server:
        assert main(["weights", "fetch", "dinov2-vits14", "--mirror", server.url()]) == 1
        assert "does not match the published" in capsys.readouterr().err
        publish(monkeypatch, plugin, None)  # no published hash: a file that is not a DINOv2 ViT is refused
        with FileServer({FILENAME: b"not a network"}) as bad:
            assert main(["weights", "fetch", "dinov2-vits14", "--mirror", bad.url()]) == 1
        assert "not a valid dinov2-vits14 file" in capsys.readouterr().err
        assert files_under(tmp_path / "weights", hub) == []
        publish(monkeypatch, plugin, hashlib.sha256(fixture_file).hexdigest())
        assert main(["weights", "fetch", "dinov2-vits14", "--mirror", server.url()]) == 0
    assert (hub / FILENAME).read_bytes() == fixture_file


def test_fd_dinov2_is_evaluated_stored_and_listed_by_backend(plugin, fixture_file, fmnist_dir, db_url, tmp_path,
                                                              monkeypatch, capsys):  # fmt: skip
    import torch

    from cgan_tui.config import RunConfig
    from cgan_tui.gan.metrics.engine import evaluate
    from cgan_tui.plugins import load_plugins
    from cgan_tui.runner.evaluate_hook import store_results
    from cgan_tui.store.db import open_store
    from tests.metrics.conftest import ReplayGenerator, add_run

    digest = hashlib.sha256(fixture_file).hexdigest()
    publish(monkeypatch, plugin, digest)
    with FileServer({FILENAME: fixture_file}) as server:
        assert main(["weights", "fetch", "dinov2-vits14", "--mirror", server.url()]) == 0
    from cgan_tui.gan.data import load_fashion_mnist

    real = load_fashion_mnist(fmnist_dir, "test")
    n = 20
    flipped = ReplayGenerator(real.images, real.labels, transform=lambda x: x.flip(-1))  # not the test images
    results = evaluate(flipped, RunConfig(latent_dim=8, data_dir=str(fmnist_dir)),
                       load_plugins(), epoch=1, n=n, device="cpu", metrics=["fd_dinov2"])  # fmt: skip
    value = {r.key: r for r in results}["fd@dinov2"]
    assert value.value is not None and torch.isfinite(torch.tensor(value.value)), value.unavailable
    assert value.value > 1e-6  # the two sets differ
    assert value.n_samples == n and value.backbone == digest[:12]

    store = open_store(db_url)
    run_id = add_run(store, epochs=1, checkpoint_epochs=(1,))
    store_results(store, run_id, 1, results)
    store.dispose()
    capsys.readouterr()
    assert main(["ls", "--db", db_url, "--backend", "dinov2"]) == 0
    out = capsys.readouterr().out
    header, row = (line for line in out.splitlines() if line.startswith(("┃", "│")))
    assert header.split("┃")[-2].strip().startswith("fd dinov2"), out
    assert row.split("│")[-2].strip().endswith("·20") and row.split("│")[-2].strip()[0].isdigit(), out


def test_without_the_file_the_value_is_unavailable_with_the_way_to_get_it(plugin, fmnist_dir):
    from cgan_tui.config import RunConfig
    from cgan_tui.gan.data import load_fashion_mnist
    from cgan_tui.gan.metrics.engine import evaluate
    from cgan_tui.plugins import load_plugins
    from tests.metrics.conftest import ReplayGenerator

    real = load_fashion_mnist(fmnist_dir, "test")
    results = evaluate(ReplayGenerator(real.images, real.labels), RunConfig(latent_dim=8, data_dir=str(fmnist_dir)),
                       load_plugins(), epoch=1, n=20, device="cpu", metrics=["fd_dinov2"])  # fmt: skip
    value = {r.key: r for r in results}["fd@dinov2"]
    assert value.value is None and "cgan-tui weights fetch dinov2-vits14" in value.unavailable
