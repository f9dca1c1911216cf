"""``cgan-tui sample RUN[:EPOCH]``: draw new images from a stored checkpoint and write a PNG grid.

Everything that can be wrong with the request (run, epoch, classes, steps, output path) is checked
before torch is imported, so a typo costs milliseconds and prints one line. The torch work lives in
``cgan_tui.gan.sampling`` (``class_samples``, ``latent_walk``); the checkpoint is rebuilt with the same
``load_generator`` that ``eval`` uses.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cgan_tui.classes import CLASS_NAMES
from cgan_tui.errors import DamagedCheckpoint, UserError

MAX_PER_CLASS = 64
MAX_STEPS = 64
MAX_SCALE = 16


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.shared import add_common

    p = subparsers.add_parser(
        "sample",
        help="draw new samples from a stored checkpoint into a PNG grid",
        description="Draw images from a run's checkpoint (default: the epoch that is best by the results "
        "table's default ranking, combined on its default backend, else FID; else the newest checkpoint) "
        "and write one row per class as a PNG.",
    )
    p.add_argument("target", metavar="RUN[:EPOCH]", help="run id, optionally with a checkpoint epoch (7 or 7:20)")
    p.add_argument("--classes", metavar="A,B", help=f"class labels 0..{len(CLASS_NAMES) - 1} (default: all)")
    p.add_argument("-n", type=int, default=8, metavar="N", help=f"samples per class (1..{MAX_PER_CLASS}, default 8)")
    p.add_argument("--seed", type=int, default=0, help="noise seed (same seed, same images; default 0)")
    p.add_argument("--interpolate", type=int, metavar="STEPS",
                   help=f"a latent walk per class: STEPS images (2..{MAX_STEPS}) between two noise vectors")  # fmt: skip
    p.add_argument("--no-labels", action="store_true",
                   help="write the bare grid (no class names on the left, no title line)")
    p.add_argument("-o", "--output", metavar="FILE.png", help="output file (default: run<ID>_e<EPOCH>_samples.png)")
    p.add_argument("--scale", type=int, default=1, metavar="K", help=f"pixel size: K x K per pixel (1..{MAX_SCALE})")
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    add_common(p)
    p.set_defaults(func=run_sample)


def parse_target(text: str) -> tuple[int, int | None]:
    """``7`` -> (7, None); ``7:20`` -> (7, 20); anything else is a one-line error."""
    run, sep, epoch = text.partition(":")
    if not run.strip().isdigit() or (sep and not epoch.strip().isdigit()):
        raise UserError(f"expected RUN or RUN:EPOCH (e.g. 7 or 7:20), got {text!r}")
    return int(run), (int(epoch) if sep else None)


def parse_classes(text: str | None) -> list[int]:
    """``0,3,7`` -> [0, 3, 7]; every label must be one of the data set's classes."""
    top = len(CLASS_NAMES) - 1
    if text is None:
        return list(range(len(CLASS_NAMES)))
    out = []
    for part in (p.strip() for p in text.split(",")):
        if not part.lstrip("-").isdigit() or not 0 <= int(part) <= top:
            raise UserError(f"--classes: {part!r} is not a class; valid: 0..{top} ({', '.join(CLASS_NAMES)})")
        out.append(int(part))
    if not out:
        raise UserError(f"--classes needs at least one class in 0..{top}")
    return out


def check_args(args: argparse.Namespace) -> None:
    if not 1 <= args.n <= MAX_PER_CLASS:
        raise UserError(f"-n must be 1..{MAX_PER_CLASS} samples per class (got {args.n})")
    if args.interpolate is not None and not 2 <= args.interpolate <= MAX_STEPS:
        raise UserError(f"--interpolate must be 2..{MAX_STEPS} steps (got {args.interpolate})")
    if not 1 <= args.scale <= MAX_SCALE:
        raise UserError(f"--scale must be 1..{MAX_SCALE} (got {args.scale})")


def checkpoint_files(store, run_id: int) -> dict[int, str]:
    """Epoch -> checkpoint file that exists on disk (the newer by ``checkpoint_rank`` wins a tie)."""
    from cgan_tui.store import queries as q
    from cgan_tui.store.tables import checkpoint_rank

    files: dict[int, str] = {}
    for c in sorted(q.checkpoints(store, run_id), key=checkpoint_rank):
        if os.path.isfile(c.path):
            files[c.epoch] = c.path
    return files


def default_epoch(store, run_id: int, epochs: list[int], registries) -> tuple[int, str]:
    """The checkpoint epoch a bare ``sample RUN`` uses and why: the best of the run's models with a
    checkpoint by the results table's default ranking (combined, else FID, on the default backend), else
    the newest checkpoint."""
    from cgan_tui import results

    rows = results.load_results(store, registries)
    backend = results.default_backend(rows)
    mine = [r for r in rows if r.run_id == run_id and r.epoch in epochs]
    directions = results.directions(registries)
    for key in (f"combined@{backend}", f"fid@{backend}"):
        scored = [r for r in mine if r.get(key) is not None]
        if scored:
            best = results.sort_rows(scored, [(key, results.direction_of(key, directions) == "higher")])[0]
            return best.epoch, f"best by {key}"
    return max(epochs), "newest checkpoint"


def resolve(store, args: argparse.Namespace, registries) -> tuple[int, int, str, str]:
    """(run id, epoch, checkpoint path, why this epoch), or a one-line error."""
    from cgan_tui.store import queries as q

    run_id, epoch = parse_target(args.target)
    q.get_run(store, run_id)  # "no run 7; ids: ..."
    files = checkpoint_files(store, run_id)
    if not files:
        raise UserError(f"run {run_id} has no checkpoint file yet; train it first (checkpoints are written at "
                        "its checkpoint epochs and at the end)")  # fmt: skip
    if epoch is None:
        epoch, why = default_epoch(store, run_id, sorted(files), registries)
    elif epoch not in files:
        raise UserError(f"run {run_id} has no checkpoint at epoch {epoch}; epochs with one: "
                        f"{', '.join(map(str, sorted(files)))}")  # fmt: skip
    else:
        why = "asked for"
    return run_id, epoch, files[epoch], why


def run_sample(args: argparse.Namespace) -> int:
    from cgan_tui.cli.shared import open_from_args, registries_from_args
    from cgan_tui.grid_tiles import class_name

    check_args(args)
    classes = parse_classes(args.classes)
    parse_target(args.target)
    registries = registries_from_args(args)
    store = open_from_args(args)
    try:
        run_id, epoch, path, why = resolve(store, args, registries)
    finally:
        store.dispose()
    out = Path(args.output or f"run{run_id}_e{epoch}_samples.png")
    if out.suffix.lower() != ".png":
        raise UserError(f"-o must name a .png file, got {str(out)!r}")
    if not out.parent.is_dir():
        raise UserError(f"-o: folder {str(out.parent)!r} does not exist")
    if not os.access(out.parent, os.W_OK):
        raise UserError(f"-o: folder {str(out.parent)!r} is not writable")

    from cgan_tui.gan.device import pick_device
    from cgan_tui.gan.sampling import class_samples, latent_walk
    from cgan_tui.gan.training import load_generator

    device = pick_device(args.device)
    try:
        generator, config = load_generator(Path(path), registries, device)
    except DamagedCheckpoint as exc:
        from cgan_tui.runner.damaged import damaged_line

        store = open_from_args(args)
        try:
            raise UserError(damaged_line(store, run_id, exc)) from None
        finally:
            store.dispose()
    latent = int(config.latent_dim or 100)
    if args.interpolate:
        grid = latent_walk(generator, latent, classes, args.interpolate, args.seed, device)
        what = f"{args.interpolate}-step latent walk"
    else:
        grid = class_samples(generator, latent, classes, args.n, args.seed, device)
        what = f"{args.n} per class"
    write_png(grid, out, args.scale, labels=None if args.no_labels else [class_name(c) for c in classes],
              title=f"run {run_id} {config.label} s{config.seed} epoch {epoch}")
    print(f"run {run_id} {config.label} epoch {epoch} ({why}): {len(classes)} classes, {what}, seed {args.seed}, "
          f"device {device} -> {out}")  # fmt: skip
    return 0


def write_png(grid, path: Path, scale: int = 1, labels: list[str] | None = None, title: str = "") -> None:
    """A grayscale uint8 array (one row per class) as PNG, each pixel ``scale`` x ``scale`` (nearest: no
    blur); with ``labels``, each row's class name in a margin on the left and ``title`` above."""
    from PIL import Image

    from cgan_tui.grid_tiles import with_row_labels

    image = Image.fromarray(grid, mode="L")
    if labels:
        image = with_row_labels(image, labels, len(labels), title, scale)
    elif scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    try:
        image.save(path, format="PNG")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
