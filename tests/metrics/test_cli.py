"""``cgan-tui ls/eval/rate/export/weights`` end to end on a real tiny run in a temp database."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest

from cgan_tui.cli import main
from cgan_tui.gan import weights
from cgan_tui.store import queries
from cgan_tui.store.db import open_store

REAL_FID = weights.status("fid-inception").path  # looked up before any test changes $CGAN_TUI_WEIGHTS


@pytest.fixture(scope="module")
def trained(fmnist_dir, tmp_path_factory):
    """One 1-epoch seed004 run on 64 images (evaluation hook off: --metrics=), its DB URL and id."""
    folder = tmp_path_factory.mktemp("cli_db")
    url = f"sqlite:///{folder / 'experiments.db'}"
    rc = main(["train", "--model", "seed004", "--loss", "lsgan", "--epochs", "1", "--limit-train", "64",
               "--data-dir", str(fmnist_dir), "--db", url, "--metrics="])  # fmt: skip
    assert rc == 0
    return url, 1


@pytest.fixture
def eval_weights(tmp_path, tiny_classifier, monkeypatch):
    """A weights folder holding the tiny classifier and (a link to) the real default_1.pt if installed."""
    folder = tmp_path / "w"
    folder.mkdir()
    src, _ = tiny_classifier
    for name in ("fmnist_classifier_v2.pt", "fmnist_classifier_v2.json"):
        shutil.copy(src / name, folder / name)
    if REAL_FID is not None:
        (folder / "default_1.pt").symlink_to(REAL_FID)
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(folder))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return folder


def _metrics(url, run_id):
    store = open_store(url)
    try:
        return {(m.name, m.backend): m for m in queries.metric_rows(store, [run_id]) if m.backend != "train"}
    finally:
        store.dispose()


def test_eval_stores_inception_fid_and_classifier_metrics_with_n(trained, eval_weights, capsys):
    url, run_id = trained
    assert main(["eval", str(run_id), "--n", "10", "--db", url]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "n=10" in out and "device cpu" in out and "evaluated in" in out
    # a progress bar per backend and image set on stderr (stdout keeps the results; counts right-aligned)
    assert re.search(r"classifier generated .*10/10\s+images", captured.err), captured.err
    assert "generated" not in out
    rows = _metrics(url, run_id)
    acc = rows[("class_acc", "classifier")]
    assert acc.value is not None and 0.0 <= acc.value <= 1.0 and acc.n_samples == 10 and acc.epoch == 1
    collapse = rows[("mode_collapse", "classifier")]  # 1 sample per class: no pairwise diversity
    assert collapse.value is None and "at least 2 samples per class" in collapse.unavailable
    assert rows[("psnr", "pixel")].value is not None
    fid = rows[("fid", "inception")]
    assert fid.n_samples == 10
    if REAL_FID is not None:
        assert fid.value is not None and fid.value > 0
    else:
        assert fid.value is None and "default_1.pt" in fid.unavailable
    assert rows[("is", "inception")].value is None and "logits" in rows[("is", "inception")].unavailable
    assert rows[("lpips", "lpips")].value is None and "alexnet" in rows[("lpips", "lpips")].unavailable

    # ls opens on the classifier backend (combined exists there), says so, one line for what is missing
    assert main(["ls", "--db", url, "--sort", "fid"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("backend classifier") and "LSGAN_10 e1" in out and "combined cls" in out
    [line] = [line for line in out.splitlines() if line.startswith("n/a lpips_diversity@classifier")]  # n=10
    assert "needs at least 2 samples per class" in line  # each reason once, under the table
    # the inception backend: unavailable values as n/a, one line with the first missing input and the fix
    assert main(["ls", "--db", url, "--sort", "fid", "--backend", "inception"]) == 0
    out = capsys.readouterr().out
    assert "n/a" in out and "cgan-tui weights" in out
    [hint] = [line for line in out.splitlines() if line.startswith("— ")]  # the one line for the missing score
    assert "combined@inception needs " + ("is@inception" if REAL_FID is not None else "fid@inception") in hint
    assert main(["ls", "--db", url, "--columns", "label,class_acc,mode_collapse", "--backend", "classifier"]) == 0
    out = capsys.readouterr().out
    assert "acc cls" in out and f"{acc.value:.3f}" in out

    # rate all four criteria: final stays missing (combined needs IS/LPIPS), and says why
    assert main(["rate", str(run_id), "--epoch", "1", "--sharpness", "4", "--structure", "3", "--detail", "4",
                 "--class-fit", "5", "--db", url]) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "final@inception [research]: n/a" in out and "is@inception unavailable" in out

    assert main(["export", "--format", "json", "--db", url]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["run_id"] == run_id and row["epoch"] == 1
    assert row["class_acc@classifier"] == pytest.approx(acc.value)
    assert row["sharpness@rating"] == 4.0 and row["class_fit@rating"] == 5.0
    assert row["n_samples"]["class_acc@classifier"] == 10
    assert "logits" in row["unavailable"]["is@inception"]
    assert row["combined@inception"] is None

    assert main(["export", "--format", "csv", "--db", url]) == 0
    [csv_row] = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert csv_row["label"] == "LSGAN_10 e1" and float(csv_row["class_acc@classifier"]) == pytest.approx(acc.value)
    assert csv_row["is@inception"] == "n/a" and "logits" in csv_row["is@inception:unavailable"]
    assert csv_row["class_acc@classifier:n"] == "10" and csv_row["class_acc@classifier:unavailable"] == ""


def test_eval_without_checkpoint_or_with_bad_input_is_a_one_line_error(trained, eval_weights, capsys):
    url, run_id = trained
    assert main(["eval", str(run_id), "--epoch", "7", "--db", url]) == 2
    assert "no checkpoint file at epoch 7" in capsys.readouterr().err
    assert main(["eval", "99", "--db", url]) == 2
    assert "no run 99" in capsys.readouterr().err
    assert main(["eval", str(run_id), "--metrics", "fdi", "--n", "10", "--db", url]) == 2
    assert "unknown metric(s) fdi" in capsys.readouterr().err
    assert main(["ls", "--db", url, "--sort", "nope"]) == 2
    assert "unknown column 'nope'" in capsys.readouterr().err
    assert main(["rate", str(run_id), "--epoch", "1", "--db", url]) == 2
    assert "give at least one rating" in capsys.readouterr().err
    assert main(["rate", str(run_id), "--epoch", "1", "--detail", "9", "--db", url]) == 2
    assert "1..5" in capsys.readouterr().err
    assert main(["ls", "--db", url, "--preset", "fancy"]) == 2
    assert "unknown preset 'fancy'" in capsys.readouterr().err


def test_ls_sorts_filters_and_aggregates(db_url, capsys):
    from .conftest import add_run, add_values

    store = open_store(db_url)
    ids = {}
    for loss, emb, fid in (("bce", 10, 38.15), ("hinge", 32, 51.94), ("bce", 32, 42.0), ("wgan-gp", 10, None)):
        ids[(loss, emb)] = run = add_run(store, loss=loss, embed_dim=emb, epochs=10, checkpoint_epochs=(10,))
        add_values(store, run, 10, "inception", fid=fid, **{"is": 2.21})
        add_values(store, run, 10, "lpips", lpips=0.431)
    store.dispose()
    assert main(["ls", "--db", db_url, "--sort", "combined", "--columns", "label,combined"]) == 0
    out = capsys.readouterr().out
    order = [line.split("│")[1].strip() for line in out.splitlines() if line.startswith("│")]
    assert order == ["BCE_10 e10", "BCE_32 e10", "HINGE_32 e10", "WGAN_GP_10 e10"]  # missing last
    assert main(["ls", "--db", db_url, "--sort", "fid", "--desc", "--columns", "label"]) == 0
    order = [line.split("│")[1].strip() for line in capsys.readouterr().out.splitlines() if line.startswith("│")]
    assert order == ["HINGE_32 e10", "BCE_32 e10", "BCE_10 e10", "WGAN_GP_10 e10"]
    assert main(["ls", "--db", db_url, "--loss", "bce", "--columns", "label"]) == 0
    out = capsys.readouterr().out
    assert "BCE_10" in out and "HINGE" not in out
    assert main(["ls", "--db", db_url, "--aggregate", "embed_dim"]) == 0
    out = capsys.readouterr().out
    assert "combined@inception by embed_dim" in out
    line32 = next(line for line in out.splitlines() if line.startswith("│ 32"))
    cells = [c.strip() for c in line32.split("│")[1:-1]]
    assert cells[1] == "100" and cells[2] == "2"  # two models with embed dim 32, at n=100


def test_weights_lists_missing_files_with_places_and_import_checks_files(weights_env, tmp_path, capsys):
    assert main(["weights"]) == 0
    out = capsys.readouterr().out
    for name in ("fid-inception", "torch-fidelity-inception", "lpips-alex", "lpips-alex-linear", "classifier"):
        assert name in out
    assert "missing" in out and str(weights_env) in out and "alexnet-owt-7be5be79.pth" in out
    bogus = tmp_path / "bogus.pt"
    bogus.write_bytes(b"not a network")
    assert main(["weights", "import", "classifier", str(bogus)]) == 2
    assert "not a valid classifier weight file" in capsys.readouterr().err
    assert main(["weights", "import", "nope", str(bogus)]) == 2
    assert "unknown weight file 'nope'" in capsys.readouterr().err
    assert not (weights_env / "fmnist_classifier_v2.pt").exists()


def test_weights_import_installs_a_valid_classifier(weights_env, tiny_classifier, capsys):
    src, info = tiny_classifier
    assert main(["weights", "import", "classifier", str(src / "fmnist_classifier_v2.pt")]) == 0
    assert (weights_env / "fmnist_classifier_v2.pt").is_file()
    assert json.loads((weights_env / "fmnist_classifier_v2.json").read_text())["test_accuracy"] == info.test_accuracy
    assert weights.status("classifier").found
    capsys.readouterr()
    assert main(["weights"]) == 0
    assert "found" in capsys.readouterr().out


def _table_rows(out):
    return [[c.strip() for c in line.split("│")[1:-1]] for line in out.splitlines() if line.startswith("│")]


def _header(out):
    line = next(line for line in out.splitlines() if line.startswith("┃"))
    return [c.strip() for c in line.split("┃")[1:-1]]


def test_ls_sorts_by_known_keys_before_any_values_exist(db_url, capsys):
    from .conftest import add_run

    store = open_store(db_url, create=True)
    for loss in ("hinge", "bce"):
        add_run(store, status="queued", loss=loss, embed_dim=32, epochs=1, checkpoint_epochs=())
    store.dispose()
    for key in ("combined@inception", "fid", "fid@classifier", "-final"):
        assert main(["ls", "--db", db_url, f"--sort={key}"]) == 0, key
        out = capsys.readouterr().out
        assert sorted(r[1] for r in _table_rows(out)) == ["BCE_32 e0", "HINGE_32 e0"], out
        header = _header(out)
        # nothing has a combined score yet: short names mean the classifier backend (the offline one)
        wanted = {"combined@inception": "combined inc", "fid": "FID cls", "fid@classifier": "FID cls",
                  "-final": "final cls"}[key]  # fmt: skip
        assert any(h.startswith(wanted) for h in header), header
        assert all("—" in r for r in _table_rows(out))  # the column is there, every value missing
    assert main(["ls", "--db", db_url, "--sort", "fdi"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown column 'fdi'" in err and "fid@inception" in err and "combined" in err


def test_ls_headers_label_and_model_family(db_url, capsys):
    from .conftest import add_run

    store = open_store(db_url, create=True)
    add_run(store, model="seed000", loss="hinge", embed_dim=32, epochs=1, checkpoint_epochs=())
    add_run(store, model="seed004", loss="bce", embed_dim=32, epochs=1, checkpoint_epochs=())
    store.dispose()
    assert main(["ls", "--db", db_url]) == 0
    out = capsys.readouterr().out
    header = _header(out)
    assert "label" in header and "model" in header and "family" not in header
    rows = _table_rows(out)
    label_at, model_at = header.index("label"), header.index("model")
    assert {r[label_at] for r in rows} == {"HINGE_32 e0", "BCE_32 e0"}
    assert {r[model_at] for r in rows} == {"seed000", "seed004"}


def test_ls_export_eval_reject_bad_options_in_one_line(db_url, tmp_path, capsys):
    from .conftest import add_run

    store = open_store(db_url, create=True)
    add_run(store, status="queued", epochs=1, checkpoint_epochs=())
    store.dispose()
    cases = [
        (["ls", "--backend", "bogus"], ["unknown backend 'bogus'", "inception", "classifier"]),
        (["ls", "--status", "bogus"], ["unknown status 'bogus'", "queued", "completed", "failed"]),
        (["ls", "--limit", "-1"], ["--limit must be >= 1"]),
        (["ls", "--limit", "0"], ["--limit must be >= 1"]),
        (["eval", "1", "--n", "0"], ["--n must be an integer >= 10 (got 0)"]),
        (["export", "--format", "json", "-o", str(tmp_path / "missing" / "x.json")],
         [f"cgan-tui: error: cannot write {tmp_path / 'missing' / 'x.json'}: "]),
    ]  # fmt: skip
    for argv, expected in cases:
        assert main([*argv, "--db", db_url]) == 2, argv
        captured = capsys.readouterr()
        assert captured.err.count("\n") == 1 and "Traceback" not in captured.err, captured.err
        for text in expected:
            assert text in captured.err, (argv, captured.err)
    assert main(["ls", "--db", db_url, "--status", "queued", "--backend", "classifier", "--limit", "1"]) == 0
    assert len(_table_rows(capsys.readouterr().out)) == 1
