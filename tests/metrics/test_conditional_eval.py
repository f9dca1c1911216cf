"""Issue 30 end to end on the classifier backend: intra-FID sees a generator that ignores its labels,
memorisation flags a generator that returns training images, each value is stored with its n, old
cached summaries are recomputed once, and ``show``/``export`` print the errors and the worst class."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from torch import nn

from cgan_tui.cli import main
from cgan_tui.config import RunConfig
from cgan_tui.gan.metrics.context import MemoryFeatureCache
from cgan_tui.gan.metrics.engine import evaluate
from cgan_tui.results import hidden_by_default

from .conftest import ReplayGenerator, add_run, add_values

NEW = ["intra_fid", "prdc", "memorisation", "classifier_fid"]


@pytest.fixture(scope="module")
def train_split(fmnist_dir):
    from cgan_tui.gan.data import load_fashion_mnist

    return load_fashion_mnist(fmnist_dir, "train")


class Relabel(nn.Module):
    """A generator asked for ``relabel(labels)`` whatever it is asked for."""

    def __init__(self, inner: nn.Module, relabel) -> None:
        super().__init__()
        self.inner, self.relabel = inner, relabel

    def forward(self, z, labels):
        return self.inner(z, self.relabel(labels))


def _run(gen, registries, real, train, cache=None):
    results = evaluate(gen, RunConfig(latent_dim=8), registries, epoch=1, n=len(real), real=real, train=train,
                       metrics=NEW, feature_cache=cache or MemoryFeatureCache())  # fmt: skip
    return {r.key: r for r in results}


def test_intra_fid_sees_a_generator_that_ignores_labels(registries, balanced_real, train_split):
    """Real test images drawn for the wrong label (class c+1 for label c): the generated set is the real
    set, so FID is ~0, but every class compares with another class's images: intra-FID is far above."""
    shifted = ReplayGenerator(balanced_real.images, (balanced_real.labels - 1) % 10)
    out = _run(shifted, registries, balanced_real, train_split)
    fid, intra = out["fid@classifier"].value, out["intra_fid@classifier"].value
    assert fid < 1e-3 and intra > 10.0 and intra > 1000 * max(fid, 1e-6)
    assert out["fid_se@classifier"].value is not None and out["intra_fid_se@classifier"].value > 0
    per_class = [out[f"intra_fid_c{c}@classifier"] for c in range(10)]
    assert all(r.n_samples == len(balanced_real) // 10 for r in per_class)  # n per class recorded
    assert intra == pytest.approx(np.mean([r.value for r in per_class]))
    # a faithful generator: intra-FID small, and precision/recall/coverage at their top
    faithful = _run(ReplayGenerator(balanced_real.images, balanced_real.labels), registries, balanced_real,
                    train_split)  # fmt: skip
    assert faithful["intra_fid@classifier"].value < intra / 10
    for name in ("precision", "recall", "coverage"):
        assert faithful[f"{name}@classifier"].value == pytest.approx(1.0), name
    assert faithful["density@classifier"].value > 0.5


def test_one_class_for_every_label_has_intra_fid_far_above_fid(registries, balanced_real, train_split):
    """Good shirts for every label (real images of class 6): FID is already bad, intra-FID worse still,
    and the per-class values say which class is right (shirts) and which are not."""
    shirts = Relabel(ReplayGenerator(balanced_real.images, balanced_real.labels), lambda labels: labels * 0 + 6)
    out = _run(shirts, registries, balanced_real, train_split)
    assert out["intra_fid@classifier"].value > 1.3 * out["fid@classifier"].value
    per_class = {c: out[f"intra_fid_c{c}@classifier"].value for c in range(10)}
    assert min(per_class, key=per_class.get) == 6 and per_class[6] < 0.2 * np.median(list(per_class.values()))
    assert out["coverage@classifier"].value < 0.3


def test_memorisation_flags_training_copies_not_test_images(registries, balanced_real, train_split):
    cache = MemoryFeatureCache()
    copies = _run(ReplayGenerator(train_split.images, train_split.labels), registries, balanced_real, train_split, cache)
    assert copies["memorised@classifier"].value > 0.9
    fresh = _run(ReplayGenerator(balanced_real.images, balanced_real.labels), registries, balanced_real,
                 train_split, cache)  # fmt: skip
    assert fresh["memorised@classifier"].value <= 0.02  # the test images themselves: 1st percentile -> ~0.01
    datasets = {key[0].split(":")[0] for key in cache.items}
    assert "fashion-mnist-train" in datasets  # training features embedded once, cached like the reals


def test_old_cached_summary_is_recomputed_once(registries, balanced_real, train_split):
    """A summary cached before issue 30 (no per-class sums) is replaced, not misread."""
    from cgan_tui.gan.features import RealSummary

    cache = MemoryFeatureCache()
    gen = ReplayGenerator(balanced_real.images, balanced_real.labels)
    _run(gen, registries, balanced_real, train_split, cache)
    (key, payload), = [(k, v) for k, v in cache.items.items() if k[0].startswith("fashion-mnist-test") and "/" not in k[1]]
    full = RealSummary.from_bytes(payload)
    buf = io.BytesIO()
    np.savez(buf, n=np.array(full.n), feature_sum=full.feature_sum, cov_sum=full.cov_sum,
             kid_features=full.kid_features, class_diversity=full.class_diversity)  # fmt: skip
    cache.items[key] = buf.getvalue()
    out = _run(gen, registries, balanced_real, train_split, cache)
    assert out["intra_fid@classifier"].value is not None
    assert RealSummary.from_bytes(cache.items[key]).complete


def test_new_values_hidden_or_shown_by_default():
    for key in ("intra_fid_c3@classifier", "fid_se@classifier", "kid_se@inception", "intra_fid_se@classifier"):
        assert hidden_by_default(key), key
    for key in ("intra_fid@classifier", "precision@classifier", "coverage@classifier", "memorised@classifier"):
        assert not hidden_by_default(key), key


def test_show_and_export_print_errors_and_the_worst_class(store, db_url, capsys):
    run = add_run(store, epochs=2, checkpoint_epochs=(2,))
    per_class = {f"intra_fid_c{c}": 20.0 + c for c in range(10)}
    per_class["intra_fid_c6"] = 91.5
    add_values(store, run, 2, "classifier", n=1000, fid=38.2134, fid_se=0.4123, intra_fid=35.0, intra_fid_se=1.26,
               precision=0.71, recall=0.52, density=0.93, coverage=0.81, memorised=0.012)  # fmt: skip
    add_values(store, run, 2, "classifier", n=100, **per_class)
    add_values(store, run, 2, "classifier", n=200, fid=55.5)  # no SE of its own: never shows the n = 1,000 one
    assert main(["show", str(run), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "38.2±0.4" in out and "35.0±1.3" in out
    assert any(" fid " in line and "55.5000" in line and "n 200" in line for line in out.splitlines())
    for name in ("intra_fid", "precision", "recall", "density", "coverage", "memorised"):
        line = next(line for line in out.splitlines() if line.startswith("  epoch") and f" {name} " in line)
        assert "backend classifier" in line and "n 1000" in line
    assert "worst class by intra-FID: Shirt (c6) 91.50 (epoch 2, backend classifier, n 100)" in out
    assert main(["show", str(run), "--json", "--db", db_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["worst_class"][0]["label"] == 6
    assert main(["export", "--db", db_url]) == 0
    row = next(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert row["fid@classifier:with_se"] == "38.2±0.4"
    assert float(row["fid_se@classifier"]) == pytest.approx(0.4123)
    assert main(["export", "--format", "json", "--db", db_url]) == 0
    assert json.loads(capsys.readouterr().out)[0]["with_se"]["intra_fid@classifier"] == "35.0±1.3"


def test_worst_class_note_for_the_detail_screen():
    from cgan_tui.classes import worst_class_note

    series = {f"intra_fid_c{c}@classifier": {1: 10.0 + c, 2: 5.0 + (c == 3) * 50} for c in range(10)}
    assert worst_class_note(series) == " · worst class Dress (c3), intra-FID 55.0 (epoch 2)"
    assert worst_class_note({"fid@classifier": {1: 3.0}}) == ""
