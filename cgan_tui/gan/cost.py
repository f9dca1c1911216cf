"""What a grid will cost before it starts: a few measured training steps per model family and device.

``estimate(configs, registries)`` times ``PROBE_STEPS`` steps of each distinct (model, batch size,
precision) with the real ``train()`` on this machine's device, caches the seconds per image in a
small JSON file in the user's cache (``cost.json`` in ``settings().cache_dir``: ``$CGAN_TUI_CACHE``,
else ``$XDG_CACHE_HOME/cgan-tui``, never the data folder, which may be shared or system-wide), and
multiplies by the images each run trains.
It counts training only (one worker); evaluations come on top (docs/engine.md gives their cost).
"""

from __future__ import annotations

import json
import math
import platform
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from cgan_tui.atomic import atomic_write_text
from cgan_tui.run_config import TRAIN_IMAGES
from cgan_tui.settings import CONFIRM_ABOVE_S, settings  # noqa: F401 - the default's home is settings


def confirm_above_s() -> float:
    """Seconds of estimated training above which a grid asks before it is queued (CLI ``--yes`` skips):
    ``$CGAN_TUI_CONFIRM_ABOVE_S`` (a one-line ``SettingError`` when it is not a number), else 3600."""
    return settings().confirm_above_s

PROBE_STEPS = 6
PROBE_WARMUP = 2
CACHE_NAME = "cost.json"


@dataclass(frozen=True)
class GridCost:
    seconds: float  # training wall time of all runs one after another
    runs: int
    device: str
    per_family: dict[str, float]  # model -> seconds per image measured (or cached)
    probed: bool  # False: every figure came from the cache

    @property
    def needs_confirmation(self) -> bool:
        return self.seconds > confirm_above_s()

    def text(self) -> str:
        rates = ", ".join(f"{m} {1 / s:,.0f} img/s" for m, s in sorted(self.per_family.items()))
        how = "measured now" if self.probed else "cached probe"
        return (f"estimated training time of {self.runs} run(s) on {self.device} with 1 worker: "
                f"{human(self.seconds)} ({rates}; {how}; evaluations not included)")  # fmt: skip


def human(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    if seconds >= 60:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds} s"


def device_key(device: torch.device) -> str:
    """What a cached probe is valid for: the device model, torch version and thread count."""
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device.index if device.index is not None else torch.cuda.current_device())
    else:
        caps = getattr(torch.cpu, "get_capabilities", lambda: {})()
        name = f"{caps.get('cpu_name') or platform.processor() or 'cpu'} x{torch.get_num_threads()}"
    return f"{device.type}:{name}|torch {torch.__version__}"


def cache_path() -> Path:
    """The probe cache in the user's cache folder (``settings().cache_dir``), never beside the data."""
    return settings().cache_dir / CACHE_NAME


def _load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _save(path: Path, data: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True))
    except OSError:
        pass  # a cache that cannot be written only means probing again next time


def probe(config, registries, device: torch.device) -> float:
    """Seconds per training image of ``config``'s family on ``device``: ``PROBE_STEPS`` timed steps."""
    from cgan_tui.gan.data import ImageData, load_fashion_mnist
    from cgan_tui.gan.training import TrainCallbacks, train

    need = (PROBE_WARMUP + PROBE_STEPS) * config.batch_size
    try:
        data = load_fashion_mnist(config.data_dir, "train", device, limit=need)
    except Exception:  # noqa: BLE001 - no data yet: noise images cost the same to train on
        gen = torch.Generator().manual_seed(0)
        data = ImageData(torch.randint(0, 256, (need, 1, 28, 28), dtype=torch.uint8, generator=gen),
                         torch.randint(0, 10, (need,), generator=gen))  # fmt: skip
    stamps: list[float] = []

    def tick(_p) -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        stamps.append(time.perf_counter())

    cfg = replace(config, epochs=1, checkpoint_epochs=(1,), limit_train=None, device=str(device))
    with tempfile.TemporaryDirectory() as tmp:
        train(cfg, registries, Path(tmp), TrainCallbacks(on_progress=tick, progress_every=PROBE_WARMUP), data=data)
    steps = (len(stamps) - 1) * PROBE_WARMUP
    return (stamps[-1] - stamps[0]) / max(steps * config.batch_size, 1)


def estimate(configs: list, registries, device: torch.device | str | None = None) -> GridCost:
    """Training wall time of resolved ``configs`` run one after another on ``device`` (default: theirs)."""
    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.precision import choose_precision

    device = pick_device(str(device or configs[0].device))
    path = cache_path()
    cache = _load(path)
    dkey = device_key(device)
    per_family: dict[str, float] = {}
    probed = False
    total = 0.0
    for cfg in configs:
        precision = choose_precision(cfg.precision, device, registries.models.get(cfg.model)).precision
        key = f"{dkey}|{cfg.model}|batch {cfg.batch_size}|{precision}"
        if key not in cache:
            cache[key] = probe(replace(cfg, precision=precision), registries, device)
            probed = True
            _save(path, cache)
        per_image = float(cache[key])
        per_family.setdefault(cfg.model, per_image)
        images = min(cfg.limit_train or TRAIN_IMAGES, TRAIN_IMAGES)
        steps = math.ceil(images / cfg.batch_size)
        total += cfg.epochs * steps * cfg.batch_size * per_image
    return GridCost(total, len(configs), str(device), per_family, probed)


def main(argv: list[str] | None = None) -> int:
    """``python -m cgan_tui.gan.cost GRID.toml`` -> one JSON line: what the TUI shows (it stays torch-free)."""
    import sys

    from cgan_tui.config import expand_all, load_grid
    from cgan_tui.errors import UserError
    from cgan_tui.plugins import load_plugins

    args = sys.argv[1:] if argv is None else argv
    try:
        registries = load_plugins()
        cost = estimate(expand_all(load_grid(args[0]).expand(), registries), registries)
    except UserError as exc:
        print(json.dumps({"error": str(exc)}))
        return 0
    print(json.dumps({"seconds": cost.seconds, "text": cost.text(), "confirm": cost.needs_confirmation,
                      "human": human(cost.seconds), "limit": human(confirm_above_s())}))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
