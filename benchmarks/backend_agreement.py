"""Does the classifier backend rank models as the Inception backend does? Spearman rank correlations.

    python benchmarks/backend_agreement.py [--n 500] [--epochs 2] [--limit-train 2000] [--db FILE]

Trains a small grid (model families seed004 and seed000 x losses bce, wgan-gp, lsgan, hinge; embed 32;
``--epochs`` epochs on ``--limit-train`` images, evaluation off while training), then evaluates each
run's last checkpoint with ``cgan-tui eval --n N --metrics fid,classifier`` (FID on the standard
Inception network, and the whole classifier backend, both at the same n), and prints per model
fid@inception, fid@classifier, combined@classifier and the Spearman rank correlations:

* fid@inception vs fid@classifier;
* fid@inception vs combined@classifier.

combined@inception needs IS (torch-fidelity's Inception logits) and AlexNet-LPIPS weights; where they
are missing (offline) it is reported as unavailable and not correlated. Every step is the plain CLI,
so the numbers are what a user gets. Needs ``default_1.pt`` (``cgan-tui weights``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FAMILIES = ("seed004", "seed000")
LOSSES = ("bce", "wgan-gp", "lsgan", "hinge")


def cli(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "cgan_tui", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"cgan-tui {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit-train", type=int, default=2000)
    parser.add_argument("--db", help="database file (default: a new temporary one)")
    parser.add_argument("--data-dir", help="Fashion-MNIST folder (default: the usual places)")
    parser.add_argument("--json", help="also write the per-model values and correlations here")
    args = parser.parse_args()

    from scipy.stats import spearmanr

    db = args.db or str(Path(tempfile.mkdtemp(prefix="agreement_")) / "experiments.db")
    data = ["--data-dir", args.data_dir] if args.data_dir else []
    started = time.perf_counter()
    for family in FAMILIES:
        for loss in LOSSES:
            cli("train", "--db", db, "--model", family, "--loss", loss, "--embed-dim", "32",
                "--epochs", str(args.epochs), "--limit-train", str(args.limit_train), "--metrics=", *data)  # fmt: skip
    trained = time.perf_counter() - started
    runs = json.loads(cli("export", "--format", "json", "--db", db))
    for run_id in sorted({r["run_id"] for r in runs}):
        cli("eval", str(run_id), "--n", str(args.n), "--metrics", "fid,classifier", "--db", db)
    evaluated = time.perf_counter() - started - trained

    rows = [r for r in json.loads(cli("export", "--format", "json", "--db", db)) if r.get("fid@classifier") is not None]
    keys = ("fid@inception", "fid@classifier", "combined@classifier", "combined@inception")
    print(f"{len(rows)} models, n={args.n}, {args.epochs} epochs on {args.limit_train} images; "
          f"train {trained:.0f} s, evaluate {evaluated:.0f} s")  # fmt: skip
    print(f"{'model':<10} {'loss':<8} " + " ".join(f"{k:>20}" for k in keys))
    for r in rows:
        cells = " ".join(f"{r.get(k):>20.3f}" if r.get(k) is not None else f"{'n/a':>20}" for k in keys)
        print(f"{r['model']:<10} {r['loss']:<8} {cells}")

    result: dict = {"n": args.n, "epochs": args.epochs, "limit_train": args.limit_train, "models": rows}
    for a, b in (("fid@inception", "fid@classifier"), ("fid@inception", "combined@classifier"),
                 ("combined@inception", "combined@classifier")):  # fmt: skip
        pairs = [(r[a], r[b]) for r in rows if r.get(a) is not None and r.get(b) is not None]
        if len(pairs) < 3:
            print(f"spearman({a}, {b}): unavailable ({len(pairs)} models have both)")
            continue
        rho, p = spearmanr([x for x, _ in pairs], [y for _, y in pairs])
        result[f"spearman {a} vs {b}"] = {"rho": rho, "p": p, "models": len(pairs)}
        print(f"spearman({a}, {b}) = {rho:.3f} (p = {p:.3g}, {len(pairs)} models)")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
