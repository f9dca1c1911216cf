"""``cgan-tui weights``: the metric weight files (status, fetch, import) and classifier training."""

from __future__ import annotations

import argparse

from cgan_tui.cli.shared import make_console
from cgan_tui.errors import UserError


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli.shared import add_common

    weights = subparsers.add_parser(
        "weights",
        help="pretrained weight files the metrics use: status, fetch, import, classifier training",
        description="Lists every weight file (used by, status, size, where it was looked for).",
    )
    add_common(weights)
    weights.set_defaults(func=run_weights)
    wsub = weights.add_subparsers(dest="weights_command", metavar="SUBCOMMAND")
    fetch = wsub.add_parser(
        "fetch",
        help="download missing standard weights (ImageNet AlexNet, torch-fidelity Inception), hash-checked",
        description="Downloads each missing file from the URL its library uses (torchvision, torch-fidelity), "
        "checks its published SHA-256 and writes it atomically into torch's hub checkpoints folder. "
        "Files already present anywhere looked in are not downloaded again. Offline: one line per file "
        "with the URL, the reason and the `cgan-tui weights import NAME FILE` alternative; exit status 1.",
    )
    fetch.add_argument("names", nargs="*", metavar="NAME", help="weight files to fetch (see `cgan-tui weights`)")
    fetch.add_argument("--all", action="store_true", help="every downloadable weight file")
    fetch.add_argument("--mirror", metavar="URL", help="replace everything before the file name of each URL "
                       "(http://, https:// or file://; default $CGAN_TUI_WEIGHTS_MIRROR)")  # fmt: skip
    fetch.add_argument("--timeout", type=float, default=None, metavar="S",
                       help="seconds a connect or one read may take (default 30)")  # fmt: skip
    fetch.set_defaults(func=run_weights_fetch)
    imp = wsub.add_parser("import", help="copy a weight file into place (checked to load first)")
    imp.add_argument("name", metavar="NAME")
    imp.add_argument("path", metavar="PATH")
    imp.set_defaults(func=run_weights_import)
    tc = wsub.add_parser(
        "train-classifier",
        help="retrain the Fashion-MNIST classifier (reproduces the shipped one; minutes on CPU)",
        description="Trains the classifier the shipped file was made with (same seed and epochs by default) and "
        "writes it to the weights folder, where it takes precedence over the shipped file; its values are "
        "stored with its own hash, so they never mix with the shipped network's.",
    )
    tc.add_argument("--epochs", type=int, default=None, help="training epochs (default: as the shipped file)")
    tc.add_argument("--data-dir", help="folder with the Fashion-MNIST IDX files")
    tc.add_argument("--device", default="cpu", help="cpu (default: the shipped file was trained on CPU) | auto | cuda")
    tc.add_argument("--seed", type=int, default=0)
    tc.add_argument("--out", metavar="FILE", help="write here instead of the weights folder (not used unless imported)")
    tc.set_defaults(func=run_train_classifier)


def _size(n: int | None) -> str:
    if n is None:
        return "—"
    return f"{n / 1e6:.1f} MB" if n >= 1e5 else f"{n / 1e3:.1f} kB"


def run_weights(args: argparse.Namespace) -> int:
    from rich.table import Table

    from cgan_tui.gan import weights

    table = Table(header_style="bold", show_lines=True)
    for title in ("name", "used by", "status", "size", "where looked"):
        table.add_column(title, overflow="fold")
    for st in weights.all_status():
        where = "\n".join(("→ " if p == st.path else "  ") + str(p) for p in st.looked_in)
        status = st.status if st.found else f"missing: {st.spec.how_to_get}"
        table.add_row(st.spec.name, st.spec.used_by, status, _size(st.size), where)
    make_console().print(table)
    return 0


def run_weights_fetch(args: argparse.Namespace) -> int:
    from cgan_tui.gan import weights_fetch as wf

    if args.names and args.all:
        raise UserError("give weight names or --all, not both")
    if args.timeout is not None and not args.timeout > 0:
        raise UserError(f"--timeout must be a number of seconds > 0 (got {args.timeout:g})")
    names = wf.resolve_names(args.names, args.all)
    mirror = args.mirror or wf.mirror_from_env()
    return wf.run_fetch(names, mirror=mirror, timeout=args.timeout or wf.DEFAULT_TIMEOUT)


def run_weights_import(args: argparse.Namespace) -> int:
    from cgan_tui.gan import weights

    dest = weights.import_weight(args.name, args.path)
    print(f"imported {args.name}: {dest}")
    return 0


def run_train_classifier(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cgan_tui.gan import classifier
    from cgan_tui.gan.backbones import short_sha256
    from cgan_tui.gan.device import pick_device

    if args.epochs is not None and args.epochs < 1:
        raise UserError(f"--epochs must be >= 1 (got {args.epochs})")
    device = pick_device(args.device)
    epochs = args.epochs or classifier.DEFAULT_EPOCHS
    out = Path(args.out).expanduser() if args.out else None
    print(f"training the Fashion-MNIST classifier on {device} ({epochs} epochs, seed {args.seed}) ...", flush=True)
    info = classifier.train_classifier(
        args.data_dir, epochs=epochs, seed=args.seed, device=device, out=out,
        on_epoch=lambda e, loss: print(f"  epoch {e}/{epochs}: loss {loss:.4f}", flush=True),
    )  # fmt: skip
    from cgan_tui.gan import weights

    path = out or weights.CLASSIFIER.install_path()
    shipped = classifier.read_info(weights.CLASSIFIER.candidates()[-1])
    same = " (same file as the shipped one)" if shipped and shipped.sha256 == info.sha256 else ""
    print(f"test accuracy {info.test_accuracy:.4f} on {info.n_test} images; {info.seconds:.0f} s; "
          f"hash {short_sha256(path)}{same}; saved to {path}")  # fmt: skip
    if out is None:
        print("it now takes precedence over the shipped classifier; delete it to go back", flush=True)
    return 0
