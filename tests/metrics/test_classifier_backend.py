"""The classifier backend complete offline: shipped network, LPIPS@classifier, combined@classifier,
the backbone hash stored with every value, and the new user's first `train` + `ls --sort combined`."""

from __future__ import annotations

import sqlite3

import pytest
import torch

from cgan_tui import scoring
from cgan_tui.cli import main
from cgan_tui.gan import backbones, classifier, weights
from cgan_tui.results import load_results, missing_hint
from cgan_tui.store import queries
from cgan_tui.store.db import open_store

from .conftest import SHIPPED_CLASSIFIER, ReplayGenerator, add_run, add_values


def _table_rows(out):
    return [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]


def _header(out):
    line = next(line for line in out.splitlines() if line.startswith("┃"))
    return [c.strip().rstrip("↑↓ ").strip() for c in line.split("┃")[1:-1]]


# ----------------------------------------------------------------------------- shipped network


def test_shipped_classifier_is_found_without_training(weights_env):
    """An empty weights folder: the package's own file is used; nothing is trained or written."""
    st = weights.status("classifier")
    assert st.path == SHIPPED_CLASSIFIER.resolve()
    info = classifier.read_info(st.path)
    assert info is not None and info.arch == classifier.ARCH
    assert info.sha256 == classifier.file_sha256(st.path)  # the sidecar describes this very file
    assert info.command.startswith("cgan-tui weights train-classifier")
    assert SHIPPED_CLASSIFIER.stat().st_size < 4_000_000
    model = classifier.load()
    assert isinstance(model, classifier.FashionClassifier)
    assert list(weights_env.iterdir()) == []


def test_shipped_classifier_accuracy_on_fixture(test_split):
    """Its recorded test accuracy beats the old network's 91.2 %, and the fixture's real test images agree."""
    info = classifier.read_info(SHIPPED_CLASSIFIER)
    assert info.test_accuracy >= 0.929 and info.n_test == 10_000 and info.n_train == 60_000  # old network: 0.912
    acc = classifier.accuracy(classifier.load(SHIPPED_CLASSIFIER), test_split.images, test_split.labels)
    assert acc > 0.8  # 200 images: a loose check that the file is the trained network


def test_a_file_of_another_architecture_is_refused(tmp_path):
    bad = tmp_path / "old.pt"
    torch.save({"arch": "fmnist-cnn-v1", "state_dict": {}}, bad)
    with pytest.raises(weights.WeightsUnavailable, match="not fmnist-cnn3-v2"):
        classifier.load(bad)


# ------------------------------------------------------------------------------ LPIPS@classifier


@pytest.fixture(scope="module")
def extractor():
    return classifier.extractor("cpu")


def test_classifier_lpips_properties(extractor, balanced_real):
    imgs = balanced_real.images[:40]
    other = balanced_real.images[40:80]
    same = extractor.lpips(imgs, imgs)
    assert same.shape == (40,) and float(same.abs().max()) < 1e-6  # identical images -> 0
    ab, ba = extractor.lpips(imgs, other), extractor.lpips(other, imgs)
    assert torch.allclose(ab, ba, atol=1e-6)  # symmetric
    assert bool((ab > 0).all())  # different images -> > 0
    noisy = (imgs.float() + 40 * torch.randn(imgs.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 255)
    slightly = (imgs.float() + 5 * torch.randn(imgs.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 255)
    assert float(extractor.lpips(imgs, slightly.to(torch.uint8)).mean()) < float(
        extractor.lpips(imgs, noisy.to(torch.uint8)).mean()
    )  # more distortion, larger distance


def test_classifier_lpips_metrics_pair_like_alexnet_lpips(registries, balanced_real):
    """A replay generator returns, for the k-th sample of class c, the k-th real image of c: paired as
    lpips_to_real pairs (each sample with the reals of its class in turn) the distance is exactly 0;
    noise makes it > 0; diversity (each sample vs the next of its class) is > 0 for distinct images."""
    from cgan_tui.config import RunConfig
    from cgan_tui.gan.metrics.engine import evaluate

    def run(transform=None):
        gen = ReplayGenerator(balanced_real.images, balanced_real.labels, transform)
        results = evaluate(gen, RunConfig(latent_dim=8), registries, epoch=1, n=len(balanced_real),
                           real=balanced_real, metrics=["classifier_lpips", "classifier_lpips_diversity"])  # fmt: skip
        assert {r.backbone for r in results} == {backbones.current("classifier")}
        return {r.key: r.value for r in results}

    exact = run()
    assert set(exact) == {"lpips@classifier", "lpips_diversity@classifier"}
    assert exact["lpips@classifier"] == pytest.approx(0.0, abs=1e-6)
    assert exact["lpips_diversity@classifier"] > 0.05
    g = torch.Generator().manual_seed(0)
    noisy = run(lambda x: (x + 0.3 * torch.randn(x.shape, generator=g)).clamp(-1, 1))
    assert noisy["lpips@classifier"] > 0.01


# --------------------------------------------------------------------------- combined@classifier


def test_combined_at_classifier_from_known_inputs(store):
    run = add_run(store, loss="hinge", embed_dim=32, epochs=10, checkpoint_epochs=(10,))
    add_values(store, run, 10, "classifier", fid=12.5, **{"is": 7.25}, lpips=0.8, class_acc=0.9)
    add_values(store, run, 10, "lpips", lpips=None, unavailable={"lpips": "lpips-alex weights missing (x)"})
    [row] = load_results(store)
    expected = 12.5 + 10 / 7.25 + 10 * 0.8
    assert row.scores["combined@classifier"] == pytest.approx(expected)
    assert scoring.combined_score(12.5, 7.25, 0.8) == pytest.approx(expected)  # one formula
    assert row.scores["final@classifier"] is None  # not rated
    assert missing_hint(row, "final@classifier").startswith("final@classifier needs ratings of sharpness")


def test_missing_hint_is_one_short_line_with_the_fix(store):
    run = add_run(store, loss="bce", epochs=10, checkpoint_epochs=(10,))
    add_values(store, run, 10, "inception", fid=40.0, **{"is": None},
               unavailable={"is": "Inception Score needs Inception class logits: torch-fidelity's network "
                                  "(pip install torch-fidelity and its weights x.pth); default_1.pt has no logits"})
    [row] = load_results(store)
    hint = missing_hint(row, "combined@inception")
    assert "\n" not in hint and len(hint) < 160
    assert hint.startswith("combined@inception needs is@inception: Inception Score needs Inception class logits")
    assert "cgan-tui weights" in hint
    hint = missing_hint(row, "combined@classifier")
    assert hint == f"combined@classifier: not computed yet: cgan-tui eval {run} --epoch 10"  # no classifier values


# ------------------------------------------------------------------------------- backbone hash


def test_values_of_another_backbone_are_never_ranked(store):
    current = backbones.current("classifier")
    assert current and len(current) == 12
    a = add_run(store, loss="bce", epochs=10, checkpoint_epochs=(10,))
    b = add_run(store, loss="hinge", epochs=10, checkpoint_epochs=(10,))
    add_values(store, a, 10, "classifier", fid=5.0)  # current network
    add_values(store, b, 10, "classifier", fid=1.0, backbone="0123456789ab")  # another network
    add_values(store, a, 10, "classifier", fid=99.0, backbone="0123456789ab")  # same identity, other hash: 2 rows
    rows = {r.run_id: r for r in load_results(store)}
    assert rows[a].values["fid@classifier"] == 5.0
    assert "fid@classifier" not in rows[b].values
    stored = [(m.run_id, m.value, m.backbone) for m in queries.metric_rows(store, [a, b])]
    assert sorted(stored) == [(a, 5.0, current), (a, 99.0, "0123456789ab"), (b, 1.0, "0123456789ab")]


def test_old_database_opens_and_is_migrated(tmp_path):
    """A schema-1 database (no backbone column, old unique key) opens; its values survive with
    backbone "", classifier ones are hidden (unknown network), new values can be stored beside them."""
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    store = open_store(url)
    run = add_run(store, loss="bce", epochs=10, checkpoint_epochs=(10,))
    store.dispose()
    con = sqlite3.connect(path)
    con.executescript("""
        DROP TABLE metricvalue;
        CREATE TABLE metricvalue (
            id INTEGER NOT NULL, run_id INTEGER NOT NULL, epoch INTEGER NOT NULL, name VARCHAR NOT NULL,
            value FLOAT, backend VARCHAR NOT NULL, n_samples INTEGER NOT NULL, unavailable VARCHAR,
            created_at DATETIME NOT NULL, PRIMARY KEY (id),
            UNIQUE (run_id, epoch, name, backend, n_samples), FOREIGN KEY(run_id) REFERENCES run (id));
        CREATE INDEX ix_metricvalue_run_id ON metricvalue (run_id);
        CREATE INDEX ix_metricvalue_epoch ON metricvalue (epoch);
        CREATE INDEX ix_metricvalue_name ON metricvalue (name);
        UPDATE schemainfo SET version = 1;
    """)
    con.execute("INSERT INTO metricvalue VALUES (1, ?, 10, 'fid', 42.0, 'inception', 1000, NULL, '2026-01-01 00:00:00')", (run,))
    con.execute("INSERT INTO metricvalue VALUES (2, ?, 10, 'fid', 7.0, 'classifier', 1000, NULL, '2026-01-01 00:00:00')", (run,))
    con.commit()
    con.close()

    store = open_store(url, create=False)
    try:
        with store.session() as s:
            from cgan_tui.store.tables import SCHEMA_VERSION, SchemaInfo

            assert s.get(SchemaInfo, 1).version == SCHEMA_VERSION
        old = {(m.name, m.backend): m for m in queries.metric_rows(store, [run])}
        assert old[("fid", "inception")].value == 42.0 and old[("fid", "inception")].backbone == ""
        assert old[("fid", "classifier")].backbone == ""
        [row] = load_results(store)
        assert row.values["fid@inception"] == 42.0 and "fid@classifier" not in row.values
        add_values(store, run, 10, "classifier", n=1000, fid=8.0)  # same name/backend/n, current hash: a new row
        [row] = load_results(store)
        assert row.values["fid@classifier"] == 8.0
    finally:
        store.dispose()


# -------------------------------------------------------------------- the new user's first run


@pytest.mark.slow
def test_first_run_shows_combined_at_classifier_without_other_commands(fmnist_dir, tmp_path, weights_env, capsys,
                                                                       monkeypatch):
    """`cgan-tui train --loss hinge --embed-dim 32 --epochs 1 --limit-train 128` then
    `cgan-tui ls --sort combined`: a number in combined (classifier backend), said on the first line."""
    monkeypatch.delenv("CGAN_TUI_EVAL", raising=False)
    url = f"sqlite:///{tmp_path / 'experiments.db'}"
    assert main(["train", "--loss", "hinge", "--embed-dim", "32", "--epochs", "1", "--limit-train", "128",
                 "--data-dir", str(fmnist_dir), "--db", url]) == 0  # fmt: skip
    capsys.readouterr()
    store = open_store(url, create=False)
    try:
        stored = [m for m in queries.metric_rows(store) if m.backend != "train"]
    finally:
        store.dispose()
    assert {m.backend for m in stored} == {"classifier"}  # a debug run: Inception/LPIPS keep their policy
    assert {m.name for m in stored} >= {"fid", "is", "lpips", "lpips_diversity", "class_acc"}
    assert {m.backbone for m in stored} == {backbones.current("classifier")}  # the hash is stored
    per_class = {m.n_samples for m in stored if m.name.startswith("intra_fid_c")}  # intra-FID: n of its class
    assert {m.n_samples for m in stored if not m.name.startswith("intra_fid_c")} == {1000} and per_class == {100}

    assert main(["ls", "--sort", "combined", "--db", url]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"backend classifier, network {backbones.current('classifier')}")
    header, [row] = _header(out), _table_rows(out)
    combined = row[header.index("combined cls")]
    assert float(combined.split("·")[0]) > 0  # value·n
    assert "n/a" not in out and "needs" not in out  # nothing missing that is shown


def test_ls_sorts_combined_then_fid_numerically_missing_last(db_url, weights_env, capsys):
    store = open_store(db_url)
    spec = [  # (loss, emb, fid, is, lpips) on the classifier backend
        ("bce", 10, 100.0, 5.0, 0.5),  # combined 107
        ("hinge", 32, 9.0, 2.0, 1.0),  # combined 24
        ("lsgan", 32, 20.0, 10.0, 0.3),  # combined 24
        ("wgan-gp", 10, 11.0, None, 0.2),  # no IS -> no combined
        ("bce", 32, None, None, None),  # nothing
    ]
    for loss, emb, fid, inc, lp in spec:
        run = add_run(store, loss=loss, embed_dim=emb, epochs=10, checkpoint_epochs=(10,))
        add_values(store, run, 10, "classifier", fid=fid, **{"is": inc}, lpips=lp)
    store.dispose()
    assert main(["ls", "--db", db_url, "--sort", "combined,fid", "--columns", "label,combined,fid"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("backend classifier")
    labels = [r[0] for r in _table_rows(out)]
    # 24 (FID 9) < 24 (FID 20) < 107 (numeric, not text order); missing combined last, ordered by FID then missing
    assert labels == ["HINGE_32 e10", "LSGAN_32 e10", "BCE_10 e10", "WGAN_GP_10 e10", "BCE_32 e10"]
    hints = [line for line in out.splitlines() if "needs" in line]
    assert len(hints) == 1 and "combined@classifier needs is@classifier" in hints[0]
