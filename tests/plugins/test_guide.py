"""docs/plugins.md is complete and true: every hook and field documented, and its example works as written."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from cgan_tui import hooks, specs

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "plugins.md"


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def hookspecs() -> list[tuple[str, object]]:
    marker = f"{hooks.PROJECT}_spec"
    return [(name, fn) for name, fn in inspect.getmembers(hooks, inspect.isfunction) if hasattr(fn, marker)]


def section(text: str, heading_start: str) -> str:
    start = text.index(heading_start)
    nxt = text.find("\n#", start + 1)
    return text[start : nxt if nxt != -1 else len(text)]


def test_every_hookspec_is_documented_with_its_signature_and_fields():
    text = guide()
    specs_found = hookspecs()
    assert {name for name, _ in specs_found} == {f"register_{kind}" for kind in specs.KINDS}
    for name, fn in specs_found:
        kind = name.removeprefix("register_")
        spec_cls = specs.KINDS[kind]
        heading = f"### `{name}{inspect.signature(fn).replace(return_annotation=inspect.Signature.empty)}"
        assert heading in text, f"{name} is not documented with its signature (looked for {heading!r})"
        body = section(text, heading)
        assert f"list[{spec_cls.__name__}]" in body.splitlines()[0]
        for field in dataclasses.fields(spec_cls):
            assert f"| `{field.name}` |" in body, f"{spec_cls.__name__}.{field.name} missing under {name}"


def test_guide_covers_errors_disabling_and_versions():
    text = guide()
    for needle in ("-p no:", "CGAN_TUI_DISABLE_PLUGINS", "HOOKSPEC_VERSION", "load_plugins(extra=",
                   "cgan-tui plugins", "partial", "disabled", "[project.entry-points.cgan_tui]"):  # fmt: skip
        assert needle in text
    assert f"currently **{specs.HOOKSPEC_VERSION}**" in text


def example_files() -> dict[str, str]:
    """The guide's code blocks marked ``file=NAME``, exactly as a reader would copy them."""
    blocks = re.findall(r"```\w+ file=(\S+)\n(.*?)```", guide(), flags=re.S)
    return {name: body for name, body in blocks}


def test_example_package_is_about_twenty_lines():
    files = example_files()
    assert set(files) == {"pyproject.toml", "cgan_tui_smooth.py", "test_smooth.py"}
    assert len(files["cgan_tui_smooth.py"].strip().splitlines()) <= 25


@pytest.mark.slow
def test_new_user_writes_a_loss_package_from_the_guide(tmp_path, fmnist_dir, subprocess_env, run_cli, monkeypatch):
    """Follow only the guide: write the two files, pip install, see it listed, train it with the guide's own test.

    (Training an installed loss package through ``cgan-tui train`` is covered in test_training.py.)
    """
    files = example_files()
    package = tmp_path / "cgan-tui-smooth"
    package.mkdir()
    for name in ("pyproject.toml", "cgan_tui_smooth.py"):
        (package / name).write_text(files[name])
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--target", str(site), str(package)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stdout + install.stderr
    env = subprocess_env(site, CGAN_TUI_DATA=str(fmnist_dir))

    listing = run_cli("plugins", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    row = {r["name"]: r for r in json.loads(listing.stdout)}["smooth"]
    assert (row["package"], row["version"], row["status"]) == ("cgan-tui-smooth", "0.1.0", "ok")
    assert row["provides"] == {"losses": ["bce-smooth"]}

    # the guide's own test, run as written against the installed package (in-process: cheaper than pytest-in-pytest)
    (tmp_path / "test_smooth.py").write_text(files["test_smooth.py"])
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("CGAN_TUI_DATA", str(fmnist_dir))
    user_test = importlib.import_module("test_smooth")
    try:
        (tmp_path / "user").mkdir()
        user_test.test_bce_smooth_trains_one_tiny_epoch(tmp_path / "user")
    finally:
        sys.modules.pop("test_smooth", None)
        sys.modules.pop("cgan_tui_smooth", None)


def test_guide_examples_run_as_written(monkeypatch):
    """Every ``python example=NAME`` block of the guide (``build``'s arguments and the building blocks'
    constructors) runs as a module of its own: its asserts are the check."""
    import types

    blocks = re.findall(r"```python example=(\S+)\n(.*?)```", guide(), flags=re.S)
    assert {name for name, _ in blocks} >= {"cbn_family"}
    for name, code in blocks:
        module = types.ModuleType(f"guide_{name}")
        monkeypatch.setitem(sys.modules, module.__name__, module)
        exec(compile(code, f"docs/plugins.md:{name}", "exec"), module.__dict__)


def test_guide_documents_build_and_the_building_blocks():
    text = guide()
    for needle in ("build(config, g_conditioning, d_conditioning)", "cgan_tui.NUM_CLASSES", "cgan_tui.IMAGE_SHAPE",
                   "takes_labels", "CGAN_TUI_SPEC", "A new backend", "hidden_values"):  # fmt: skip
        assert needle in text, needle
    blocks = {"ConditionedGenerator(encoder, body, latent_dim)", "ConditionedDiscriminator(conditioner, trunk, head)",
              "EmbeddingEncoder(num_classes, embed_dim)", "OneHotEncoder(num_classes, embed_dim=0)",
              "DiscOutput(score, class_logits=None)"}  # fmt: skip
    for constructor in blocks:
        assert f"`{constructor}" in text, constructor
