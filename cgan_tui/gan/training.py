"""``train()``: a plain function that trains one conditional GAN and reports through callbacks.

It knows nothing of databases or screens: the CLI prints progress, the worker writes rows. It is
deterministic for a given seed on CPU, resumes bit-exactly from an epoch checkpoint, and stops with
``Diverged`` on a NaN/inf loss, leaving the last good checkpoint in place.
"""

from __future__ import annotations

import inspect
import io
import math
import random
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from cgan_tui.atomic import atomic_write_bytes
from cgan_tui.gan.checkpoint_file import read_checkpoint
from cgan_tui.gan.optim import Adam
from cgan_tui.run_config import RunConfig


class Diverged(RuntimeError):
    """A loss became NaN or infinite; ``epoch`` is the epoch it happened in."""

    def __init__(self, message: str, epoch: int) -> None:
        super().__init__(message)
        self.epoch = epoch


@dataclass(frozen=True)
class Progress:
    """Sent every few steps: where the run is and how fast it goes."""

    epoch: int  # 1-based epoch in progress
    step: int  # steps done in this epoch
    steps_per_epoch: int
    images_per_s: float
    g_loss: float
    d_loss: float
    values: Mapping[str, float] | None = None
    """Families with their own trainer: their step's values (``g_loss``/``d_loss`` are NaN then)."""


@dataclass(frozen=True)
class EpochEnd:
    """Sent after every epoch. ``generator`` is the live model (eval mode while callbacks run)."""

    epoch: int
    g_loss: float
    d_loss: float
    seconds: float
    images_per_s: float
    images_seen: int
    grid_png: bytes
    grid_rows: int
    grid_cols: int
    generator: object = field(repr=False, compare=False, default=None)
    is_checkpoint_epoch: bool = False
    sample_images_per_s: float | None = None
    """Images per second the sampler made the fixed-noise grid at (its generation only, not PNG)."""
    values: Mapping[str, float] | None = None
    """Families with their own trainer: epoch means of their step's values, stored instead of
    ``g_loss``/``d_loss`` (which are NaN then); ``not_applicable`` says why those do not exist."""
    not_applicable: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckpointSaved:
    epoch: int
    path: Path
    kind: str  # "milestone" (kept) or "last" (overwritten every epoch, for resume)


@dataclass
class TrainCallbacks:
    """Hooks the caller plugs in; all optional. ``should_stop`` is polled every step."""

    on_progress: Callable[[Progress], None] = lambda p: None
    on_epoch_end: Callable[[EpochEnd], None] = lambda e: None
    on_checkpoint: Callable[[CheckpointSaved], None] = lambda c: None
    should_stop: Callable[[], bool] = lambda: False
    progress_every: int = 10


@dataclass(frozen=True)
class TrainResult:
    epochs_done: int  # last fully completed epoch
    stopped: bool  # should_stop() ended it early
    device: str
    last_checkpoint: Path | None
    precision: str = "fp32"  # what the run trained in (``auto`` resolved; see gan.precision)
    precision_reason: str = ""


def train(
    config: RunConfig,
    registries,  # cgan_tui.plugins.Registries
    checkpoint_dir: Path,
    callbacks: TrainCallbacks | None = None,
    resume_from: Path | None = None,
    data=None,  # cgan_tui.gan.data.ImageData; loaded from config.data_dir when None
) -> TrainResult:
    """Train ``config`` (already ``resolve()``d) and return how far it got. Raises ``Diverged``."""
    from cgan_tui.config import HYPER_PARAMETERS, resolve
    from cgan_tui.gan.device import pick_device

    if config.d_conditioning is None or any(getattr(config, key) is None for key in HYPER_PARAMETERS):
        config = resolve(config, registries)  # a caller passed an unresolved config: fill it the same way
    family = registries.models.get(config.model)
    if not family.adversarial:
        from cgan_tui.gan.family_training import train_own

        return train_own(config, family, checkpoint_dir, callbacks, resume_from, data)
    cb = callbacks or TrainCallbacks()
    device = pick_device(config.device)
    checkpoint_dir = Path(checkpoint_dir)
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(config.seed)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    state = _build_state(config, registries, device)
    data = training_data(config, data, device)
    if resume_from is not None:
        _load_checkpoint(state, Path(resume_from), device)
    used = (state.precision.precision, state.precision.reason)
    return epoch_loop(state, data, _run_epoch, checkpoint_dir, cb, device, resume_from, used)


def training_data(config: RunConfig, data, device: torch.device):
    """The run's training images on ``device``: ``data`` cut to ``limit_train``, else read from ``data_dir``."""
    from cgan_tui.gan.data import load_fashion_mnist

    if data is None:
        return load_fashion_mnist(config.data_dir, "train", device, limit=config.limit_train)
    return data.subset(config.limit_train).to(device)


def epoch_loop(state, data, run_epoch, checkpoint_dir: Path, cb: TrainCallbacks, device: torch.device,
               resume_from: Path | None, used: tuple[str, str], payload=None) -> TrainResult:  # fmt: skip
    """The epoch loop of every model family: a stop check before each epoch, ``run_epoch(state, data,
    epoch, cb)`` (None when a stop interrupted it), then checkpoint, grid and callbacks.
    ``payload(state)`` gives the checkpoint's bytes for a family that writes its own."""
    last: Path | None = Path(resume_from) if resume_from is not None else None
    for epoch in range(state.epoch + 1, state.config.epochs + 1):
        if cb.should_stop():
            return TrainResult(state.epoch, True, str(device), last, *used)
        stats = run_epoch(state, data, epoch, cb)
        if stats is None:
            return TrainResult(state.epoch, True, str(device), last, *used)
        state.epoch = epoch
        last = _epoch_end(state, epoch, stats, checkpoint_dir, cb, device, payload=payload(state) if payload else None)
    return TrainResult(state.epoch, False, str(device), last, *used)


# --------------------------------------------------------------------------------------------
# internals


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and every CUDA device)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


@dataclass
class _State:
    config: RunConfig
    device: torch.device
    G: torch.nn.Module
    D: torch.nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    loss: Any
    aux_weight: float
    perm_gen: torch.Generator
    penalty_kwargs: dict
    precision: Any  # gan.precision.PrecisionChoice
    epoch: int = 0
    images_seen: int = 0


def _build_state(config: RunConfig, registries, device: torch.device) -> _State:
    from cgan_tui.gan.precision import choose_precision

    family = registries.models.get(config.model)
    loss = registries.losses.get(config.loss)
    g_cond = registries.conditionings.get(config.conditioning)
    d_cond = registries.conditionings.get(config.d_conditioning or family.default_d_conditioning(config.conditioning))
    G, D = family.build(config, g_cond, d_cond)
    G, D = G.to(device), D.to(device)
    betas = tuple(config.betas)
    opt_g = Adam(G.parameters(), lr=config.lr_g, betas=betas)
    opt_d = Adam(D.parameters(), lr=config.lr_d, betas=betas)
    penalty_kwargs = {"weight": config.gp_weight} if loss.penalty is not None and _accepts(loss.penalty, "weight") else {}
    return _State(
        config=config, device=device, G=G, D=D, opt_g=opt_g, opt_d=opt_d, loss=loss,
        aux_weight=float(d_cond.aux_weight or 0.0),
        perm_gen=torch.Generator().manual_seed(config.seed), penalty_kwargs=penalty_kwargs,
        precision=choose_precision(config.precision, device, family),
    )  # fmt: skip


def _accepts(fn: Callable, keyword: str) -> bool:
    """Whether a (possibly lazy) penalty callable takes ``keyword`` (or ``**kwargs``)."""
    target = fn.resolve() if hasattr(fn, "resolve") else fn
    try:
        params = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == keyword or p.kind is inspect.Parameter.VAR_KEYWORD for p in params)


def _autocast(state: _State):
    if state.precision.precision == "bf16":
        return torch.autocast(device_type=state.device.type, dtype=torch.bfloat16)
    return nullcontext()


def _aux(out, labels: torch.Tensor, weight: float) -> torch.Tensor | None:
    if weight > 0 and out.class_logits is not None:
        return weight * F.cross_entropy(out.class_logits.float(), labels)
    return None


@dataclass
class _EpochStats:
    g_loss: float
    d_loss: float
    seconds: float
    images: int
    values: Mapping[str, float] | None = None
    not_applicable: Mapping[str, str] = field(default_factory=dict)


def batch(data, idx: torch.Tensor, hflip: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """Images ``idx`` of ``data`` scaled to [-1, 1] (randomly mirrored with ``hflip``) and their labels:
    the batch every family's training step gets, adversarial or not."""
    real = data.images[idx].float().div_(127.5).sub_(1.0)
    if hflip:
        flip = torch.rand(real.shape[0], device=real.device) < 0.5
        real = torch.where(flip[:, None, None, None], real.flip(-1), real)
    return real, data.labels[idx]


def _run_epoch(state: _State, data, epoch: int, cb: TrainCallbacks) -> _EpochStats | None:
    """One pass over ``data``; None when ``should_stop`` interrupted it."""
    cfg, device, G, D = state.config, state.device, state.G, state.D
    n = len(data)
    bs = min(cfg.batch_size, n)
    steps = math.ceil(n / bs)
    perm = torch.randperm(n, generator=state.perm_gen).to(device)
    G.train()
    D.train()
    g_sum = torch.zeros((), device=device)
    d_sum = torch.zeros((), device=device)
    g_steps = 0
    images = 0
    start = time.perf_counter()
    every = max(1, int(cb.progress_every))
    for step in range(steps):
        if cb.should_stop():
            return None
        real, labels = batch(data, perm[step * bs : (step + 1) * bs], cfg.hflip)
        z = torch.randn(real.shape[0], cfg.latent_dim, device=device)

        # discriminator step (fake generated once and reused by the G step, like the seeds)
        with _autocast(state):
            fake = G(z, labels)
            out_real = D(real, labels)
            out_fake = D(fake.detach(), labels)
            d_loss = state.loss.d_loss(out_real.score.float(), out_fake.score.float())
            aux = _aux(out_real, labels, state.aux_weight)
            if aux is not None:
                d_loss = d_loss + aux
            if state.loss.penalty is not None:
                d_loss = d_loss + state.loss.penalty(D, real, fake.detach(), labels, **state.penalty_kwargs)
        state.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        state.opt_d.step()
        d_sum += d_loss.detach()

        # generator step every n_critic discriminator steps
        if step % cfg.n_critic == 0:
            D.requires_grad_(False)
            with _autocast(state):
                out = D(fake, labels)
                if state.loss.g_needs_real:  # relativistic losses: compare with the current real batch
                    with torch.no_grad():
                        real_scores = D(real, labels).score.float()
                    g_loss = state.loss.g_loss(out.score.float(), real_scores=real_scores)
                else:
                    g_loss = state.loss.g_loss(out.score.float())
                aux = _aux(out, labels, state.aux_weight)
                if aux is not None:
                    g_loss = g_loss + aux
            state.opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            state.opt_g.step()
            D.requires_grad_(True)
            g_sum += g_loss.detach()
            g_steps += 1
        images += real.shape[0]

        if (step + 1) % every == 0:
            g_val, d_val = float(g_loss.detach()), float(d_loss.detach())
            if not (math.isfinite(g_val) and math.isfinite(d_val)):
                raise Diverged(f"loss became non-finite in epoch {epoch} step {step + 1} (G {g_val}, D {d_val})", epoch)
            elapsed = time.perf_counter() - start
            cb.on_progress(Progress(epoch, step + 1, steps, images / max(elapsed, 1e-9), g_val, d_val))
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    g_mean = float(g_sum) / max(g_steps, 1)
    d_mean = float(d_sum) / steps
    if not (math.isfinite(g_mean) and math.isfinite(d_mean)):
        raise Diverged(f"loss became non-finite in epoch {epoch} (mean G {g_mean}, D {d_mean})", epoch)
    state.images_seen += images
    return _EpochStats(g_mean, d_mean, seconds, images)


def _epoch_end(
    state: _State, epoch: int, stats: _EpochStats, checkpoint_dir: Path, cb: TrainCallbacks, device: torch.device,
    payload: bytes | None = None,
) -> Path:
    """Checkpoint, grid, callbacks. RNG is forked so callbacks never shift the training stream.

    ``state`` needs ``config``, ``G`` (the sampling module) and ``images_seen``; ``payload`` is the
    checkpoint's bytes when the caller makes its own (families with their own trainer)."""
    from cgan_tui.gan.sampling import NUM_CLASSES, png_bytes, sample_grid

    cfg = state.config
    payload = _checkpoint_bytes(state) if payload is None else payload
    last = checkpoint_dir / "last.pt"
    atomic_write_bytes(last, payload)
    saved = [CheckpointSaved(epoch, last, "last")]
    is_milestone = epoch in cfg.checkpoint_epochs
    if is_milestone:
        milestone = checkpoint_dir / f"epoch_{epoch:03d}.pt"
        atomic_write_bytes(milestone, payload)
        saved.append(CheckpointSaved(epoch, milestone, "milestone"))
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        start = time.perf_counter()
        array = sample_grid(state.G, cfg.latent_dim, NUM_CLASSES, cfg.grid_columns, device)
        sample_rate = NUM_CLASSES * cfg.grid_columns / max(time.perf_counter() - start, 1e-9)
        png = png_bytes(array)
        for item in saved:
            cb.on_checkpoint(item)
        state.G.eval()
        try:
            cb.on_epoch_end(
                EpochEnd(
                    epoch=epoch, g_loss=stats.g_loss, d_loss=stats.d_loss, seconds=stats.seconds,
                    images_per_s=stats.images / max(stats.seconds, 1e-9), images_seen=state.images_seen,
                    grid_png=png, grid_rows=NUM_CLASSES, grid_cols=cfg.grid_columns,
                    generator=state.G, is_checkpoint_epoch=is_milestone, sample_images_per_s=sample_rate,
                    values=stats.values, not_applicable=stats.not_applicable,
                )  # fmt: skip
            )
        finally:
            state.G.train()
    return last


def _rng_state(state: _State) -> dict:
    rng = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "perm": state.perm_gen.get_state(),
    }
    if state.device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(state.device)
    return rng


def _checkpoint_bytes(state: _State) -> bytes:
    buf = io.BytesIO()
    torch.save(
        {
            "format": 1,
            "epoch": state.epoch,
            "images_seen": state.images_seen,
            "config": state.config.to_dict(),
            "G": state.G.state_dict(),
            "D": state.D.state_dict(),
            "opt_g": state.opt_g.state_dict(),
            "opt_d": state.opt_d.state_dict(),
            "rng": _rng_state(state),
        },
        buf,
    )
    return buf.getvalue()


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """The checkpoint dict, verified first: a damaged file raises ``DamagedCheckpoint`` (see checkpoint_file)."""
    return read_checkpoint(path, map_location)


def load_generator(path: Path, registries, device: str | torch.device = "cpu") -> tuple[torch.nn.Module, RunConfig]:
    """Rebuild G from a checkpoint (eval mode) for evaluation/sampling; returns (G, config)."""
    ckpt = load_checkpoint(path, device)
    config = RunConfig.from_dict(ckpt["config"])
    family = registries.models.get(config.model)
    if not family.adversarial:
        from cgan_tui.gan.family_training import load_sampler

        return load_sampler(ckpt, family, config, device), config
    g_cond = registries.conditionings.get(config.conditioning)
    d_cond = registries.conditionings.get(config.d_conditioning or family.default_d_conditioning(config.conditioning))
    G, _ = family.build(config, g_cond, d_cond)
    G.load_state_dict(ckpt["G"])
    return G.to(device).eval(), config


def _load_checkpoint(state: _State, path: Path, device: torch.device) -> None:
    ckpt = load_checkpoint(path, "cpu")
    state.G.load_state_dict(ckpt["G"])
    state.D.load_state_dict(ckpt["D"])
    state.opt_g.load_state_dict(ckpt["opt_g"])
    state.opt_d.load_state_dict(ckpt["opt_d"])
    state.epoch = int(ckpt["epoch"])
    state.images_seen = int(ckpt.get("images_seen", 0))
    restore_rng(ckpt["rng"], state.perm_gen, device)


def restore_rng(rng: dict, perm_gen: torch.Generator, device: torch.device) -> None:
    """Put back the RNG streams ``_rng_state`` saved, so a resumed run continues bit-exactly."""
    random.setstate(rng["python"])
    np.random.set_state(rng["numpy"])
    torch.set_rng_state(rng["torch"])
    perm_gen.set_state(rng["perm"])
    if device.type == "cuda" and "cuda" in rng:
        torch.cuda.set_rng_state(rng["cuda"], device)
