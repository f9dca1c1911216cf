"""Notes, tags, archive, rm and diff (issue 29 item 6) on SQLite and PostgreSQL, through the CLI and the store.

``rm`` removes exactly one run's rows and files: the other run's rows and files stay byte-identical."""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3

import pytest

from cgan_tui.cli import main
from cgan_tui.config import RunConfig
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import SCHEMA_VERSION, RunStatus

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 32


def _cfg(**kw) -> RunConfig:
    base = dict(model="seed004", loss="hinge", conditioning="embedding", d_conditioning="one-hot-channels",
                embed_dim=32, epochs=2, checkpoint_epochs=(2,), seed=4)
    base.update(kw)
    return RunConfig(**base)


def _fill(store, run_id: int) -> None:
    """A finished run's rows and files: metrics, a grid, a rating, a checkpoint file and a log."""
    q.update_run(store, run_id, status=RunStatus.completed, current_epoch=2)
    q.upsert_metric(store, run_id, 2, "fid", 30.0 + run_id, backend="classifier", n_samples=100)
    q.upsert_metric(store, run_id, 2, "g_loss", 1.0, backend=q.TRAIN_BACKEND)
    q.save_grid(store, run_id, 2, PNG, 10, 8)
    q.add_rating(store, run_id, 2, "sharpness", 4)
    folder = store.run_dir(run_id)
    (folder / "epoch_0002.pt").write_bytes(b"weights %d" % run_id)
    (folder / "run.log").write_text(f"log of run {run_id}\n")
    q.add_checkpoint(store, run_id, 2, store.artifact_store.location(run_id, "epoch_0002.pt"))


@pytest.fixture
def two_runs(any_db_url):
    store = open_store(any_db_url)
    ids = q.create_runs(store, [_cfg(loss="hinge"), _cfg(loss="bce", embed_dim=10, seed=5)])
    for run_id in ids:
        _fill(store, run_id)
    yield store, ids
    store.dispose()


def _rows_of(store, run_id: int) -> dict[str, list]:
    """Every row that belongs to the run, table by table, as plain tuples (without the run's own row order)."""
    out = {}
    with store.engine.connect() as conn:
        for table in ("run", "metricvalue", "samplegrid", "rating", "checkpoint", "runlabel"):
            column = "id" if table == "run" else "run_id"
            rows = conn.exec_driver_sql(f"SELECT * FROM {table} WHERE {column} = {int(run_id)}").all()
            out[table] = sorted(tuple(str(v) for v in r) for r in rows)
    return out


def _files_of(store, run_id: int) -> dict[str, str]:
    folder = store.artifact_store.local_path(run_id)
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def _listed_runs(out: str) -> list[int]:
    return [int(line.split("│")[1]) for line in out.splitlines() if line.startswith("│")]


def test_tags_notes_archive_from_the_cli(two_runs, any_db_url, capsys):
    store, (a, b) = two_runs
    assert main(["tag", str(a), str(b), "best", "baseline", "--db", any_db_url]) == 0
    assert main(["tag", str(b), "best", "--remove", "--db", any_db_url]) == 0
    assert main(["note", str(a), "lr", "too", "high?", "[bold]x[/]", "--db", any_db_url]) == 0
    assert q.label(store, a).tags == ("baseline", "best") and q.label(store, b).tags == ("baseline",)
    assert q.label(store, a).note == "lr too high? [bold]x[/]"
    capsys.readouterr()

    assert main(["show", str(a), "--json", "--db", any_db_url]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["tags"], data["note"], data["archived"]) == (["baseline", "best"], "lr too high? [bold]x[/]", False)
    assert main(["show", str(a), "--db", any_db_url]) == 0
    text = capsys.readouterr().out
    assert "tags: baseline best" in text and "your note: lr too high? [bold]x[/]" in text

    assert main(["ls", "--filter", "tag:best", "--columns", "run_id,tags", "--db", any_db_url]) == 0
    assert _listed_runs(capsys.readouterr().out) == [a]

    assert main(["archive", str(a), "--db", any_db_url]) == 0
    capsys.readouterr()
    assert main(["ls", "--columns", "run_id,loss", "--db", any_db_url]) == 0
    assert "hinge" not in capsys.readouterr().out  # archived: hidden
    assert main(["ls", "--archived", "--columns", "run_id,loss", "--db", any_db_url]) == 0
    assert "hinge" in capsys.readouterr().out
    assert main(["ls", "--filter", "archived:yes", "--columns", "run_id,loss", "--db", any_db_url]) == 0
    out = capsys.readouterr().out
    assert "hinge" in out and "bce" not in out
    assert main(["ls", "--filter", "tag:best", "--db", any_db_url]) == 0
    assert "no models match 'tag:best' (2 models in the database, 1 archived: --archived lists them)" in capsys.readouterr().out

    assert main(["export", "--format", "json", "--db", any_db_url]) == 0
    exported = {r["run_id"]: r for r in json.loads(capsys.readouterr().out)}
    assert exported[a]["tags"] == "baseline best" and exported[a]["archived"] is True
    assert exported[a]["note"] == "lr too high? [bold]x[/]"
    assert main(["export", "--db", any_db_url]) == 0
    header = capsys.readouterr().out.splitlines()[0].split(",")
    assert {"tags", "note", "archived"} <= set(header)

    assert main(["archive", str(a), "--unarchive", "--db", any_db_url]) == 0
    assert main(["note", str(a), "--clear", "--db", any_db_url]) == 0
    assert q.label(store, a).note == "" and not q.label(store, a).archived


def test_bad_tags_and_unknown_runs_are_one_line_errors(two_runs, any_db_url, capsys):
    store, (a, _b) = two_runs
    assert main(["tag", str(a), "no:colon", "--db", any_db_url]) == 2
    assert "invalid tag 'no:colon': a tag is a letter" in capsys.readouterr().err
    assert main(["tag", "best", "--db", any_db_url]) == 2
    assert "give the runs first" in capsys.readouterr().err
    assert main(["tag", "99", str(a), "best", "--db", any_db_url]) == 2
    err = capsys.readouterr().err
    assert "no run 99" in err and "nothing was changed" in err and len(err.strip().splitlines()) == 1
    assert q.label(store, a).tags == ()  # all or nothing
    assert main(["ls", "--filter", "archived:maybe", "--db", any_db_url]) == 2
    assert "archived:yes, archived:no, archived:all" in capsys.readouterr().err


def test_rm_removes_exactly_one_run(two_runs, any_db_url, capsys):
    store, (a, b) = two_runs
    q.change_tags(store, [a, b], add=["x"])
    keep_rows, keep_files = _rows_of(store, b), _files_of(store, b)
    assert all(keep_rows.values()) and len(keep_files) == 2
    assert _files_of(store, a)

    assert main(["rm", str(a), "--db", any_db_url]) == 2  # no terminal here, no --yes
    assert "add --yes" in capsys.readouterr().err
    assert all(_rows_of(store, a).values())

    assert main(["rm", str(a), "--yes", "--db", any_db_url]) == 0
    assert f"removed run {a} (completed)" in capsys.readouterr().out
    assert not any(_rows_of(store, a).values())
    assert not store.artifact_store.local_path(a).exists()
    assert _rows_of(store, b) == keep_rows and _files_of(store, b) == keep_files
    assert [r.id for r in q.list_runs(store)] == [b]


def test_rm_asks_on_a_terminal_and_refuses_a_running_run(two_runs, any_db_url, capsys, monkeypatch):
    store, (a, b) = two_runs

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("n\n"))
    assert main(["rm", str(a), "--db", any_db_url]) == 1
    assert "remove them? [y/N]" in capsys.readouterr().out and q.get_run(store, a)
    monkeypatch.setattr("sys.stdin", Terminal("y\n"))
    assert main(["rm", str(a), "--db", any_db_url]) == 0
    assert [r.id for r in q.list_runs(store)] == [b]

    q.update_run(store, b, status=RunStatus.running)
    assert main(["rm", str(b), "--yes", "--db", any_db_url]) == 2
    assert "is running; cancel it first (cgan-tui queue cancel" in capsys.readouterr().err
    with pytest.raises(q.RunIsRunning):
        q.remove_runs(store, [b])
    assert all(_rows_of(store, b)[t] for t in ("run", "metricvalue", "checkpoint"))


def test_rm_through_an_fsspec_url(tmp_path, monkeypatch, capsys):
    """Checkpoints and logs at a memory:// root go, another run's stay."""
    import fsspec

    monkeypatch.setenv("CGAN_TUI_ARTIFACTS", "memory://rm-test")
    monkeypatch.setenv("CGAN_TUI_CACHE", str(tmp_path / "cache"))
    url = f"sqlite:///{tmp_path / 'remote.db'}"
    store = open_store(url)
    a, b = q.create_runs(store, [_cfg(), _cfg(seed=9)])
    for run_id in (a, b):
        local = store.run_dir(run_id) / "epoch_0002.pt"
        local.write_bytes(b"w%d" % run_id)
        q.add_checkpoint(store, run_id, 2, store.artifact_store.publish(run_id, local))
    fs = fsspec.filesystem("memory")
    assert fs.exists("/rm-test/run_00001/epoch_0002.pt") and fs.exists("/rm-test/run_00002/epoch_0002.pt")
    assert main(["rm", str(a), "--yes", "--db", url]) == 0
    assert not fs.exists("/rm-test/run_00001") and fs.cat_file("/rm-test/run_00002/epoch_0002.pt") == b"w2"
    store.dispose()


def test_diff_names_the_fields_that_differ(two_runs, any_db_url, capsys):
    _store, (a, b) = two_runs
    assert main(["diff", str(a), str(b), "--json", "--db", any_db_url]) == 0
    data = json.loads(capsys.readouterr().out)
    # the stored values with their JSON types: numbers, lists, booleans stay what they are
    assert data["differs"] == {"embed_dim": [32, 10], "loss": ["hinge", "bce"], "seed": [4, 5]}
    assert data["same"]["model"] == "seed004" and data["same"]["epochs"] == 2
    assert data["same"]["checkpoint_epochs"] == [2]
    assert main(["diff", str(a), str(b), "--db", any_db_url]) == 0
    out = capsys.readouterr().out
    assert "loss" in out and "3 fields differ" in out
    assert main(["diff", str(a), "--db", any_db_url]) == 2


def test_a_schema_4_database_is_read_as_it_is_and_upgraded_by_the_first_label(tmp_path, capsys):
    """Reading (ls, show) leaves a schema-4 file byte-identical; ``tag`` upgrades it to this version."""
    path = tmp_path / "v4.db"
    store = open_store(str(path))
    run_id = q.create_run(store, _cfg())
    store.dispose()
    con = sqlite3.connect(path)
    con.executescript("DROP TABLE runlabel; UPDATE schemainfo SET version = 4;")
    con.commit()
    con.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    assert main(["ls", "--db", str(path)]) == 0
    capsys.readouterr()
    assert main(["show", str(run_id), "--json", "--db", str(path)]) == 0
    assert json.loads(capsys.readouterr().out)["tags"] == []
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert main(["tag", str(run_id), "best", "--db", str(path)]) == 0
    con = sqlite3.connect(path)
    assert con.execute("SELECT version FROM schemainfo").fetchone()[0] == SCHEMA_VERSION == 6
    assert con.execute("SELECT run_id, tags FROM runlabel").fetchall() == [(run_id, "best")]
    con.close()


def test_config_diff_flattens_and_marks_absent_fields():
    from cgan_tui.results.config_diff import config_diff

    diff = config_diff({1: {"loss": "bce", "opt": {"lr": 1e-4, "b1": 0.5}}, 2: {"loss": "bce", "opt": {"lr": 2e-4}}})
    assert diff.differs == (("opt.b1", ("0.5", "(absent)")), ("opt.lr", ("0.0001", "0.0002")))
    assert diff.same == (("loss", "bce"),)
    assert diff.summary().startswith("differs (r1 | r2): opt.b1 0.5 | (absent) · opt.lr 0.0001 | 0.0002; 1 fields equal")


def test_every_table_with_a_run_id_is_removed_with_the_run():
    """``remove_runs`` deletes from every table of ours with a ``run_id`` (a new one is covered by itself)."""
    from sqlmodel import SQLModel

    names = {t.name for t in SQLModel.metadata.sorted_tables if "run_id" in t.c}
    assert {"metricvalue", "samplegrid", "rating", "checkpoint", "runlabel", "stepseries"} <= names


def test_schema_4_is_read_without_labels_and_upgraded_on_any_database(any_db_url):
    """SQLite and PostgreSQL: a schema-4 database opens without migrating (no labels, runs listed), the
    first label write adds the table and sets the version, and another reader then sees the label."""
    from cgan_tui import results

    store = open_store(any_db_url)
    run_id = q.create_run(store, _cfg())
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE runlabel")
        conn.exec_driver_sql("UPDATE schemainfo SET version = 4")
    store.dispose()

    old = open_store(any_db_url, create=False)
    assert old.schema_version == 4 and q.labels(old) == {}
    assert [r.run_id for r in results.load_results(old)] == [run_id]
    token = q.change_token(old)
    q.set_note(old, [run_id], "first note")
    assert old.schema_version == SCHEMA_VERSION
    assert q.change_token(old) != token
    old.dispose()

    fresh = open_store(any_db_url, create=False)
    assert fresh.schema_version == SCHEMA_VERSION and q.label(fresh, run_id).note == "first note"
    assert [r.note for r in results.load_results(fresh)] == ["first note"]
    fresh.dispose()


def test_remove_run_files_never_follows_a_location_into_another_runs_folder(tmp_path):
    from cgan_tui.artifacts import ArtifactStore, remove_run_files

    root = ArtifactStore(local=tmp_path / "artifacts")
    own, other = root.run_dir(1) / "epoch_0001.pt", root.run_dir(2) / "epoch_0001.pt"
    own.write_bytes(b"1")
    other.write_bytes(b"2")
    stray = tmp_path / "elsewhere.pt"
    stray.write_bytes(b"3")
    removed, failed = remove_run_files(root, 1, (str(own), str(other), str(stray)))
    assert failed == [] and not root.local_path(1).exists()
    assert other.read_bytes() == b"2" and stray.read_bytes() == b"3"
    assert str(other) not in removed


def test_ls_filter_refuses_a_typed_field_given_another_type_and_names_the_filter(two_runs, any_db_url, capsys):
    assert main(["ls", "--filter", "emb:abc", "--db", any_db_url]) == 2
    err = capsys.readouterr().err
    assert "emb:abc: emb takes a whole number, e.g. emb:32" in err and len(err.strip().splitlines()) == 1
    assert main(["ls", "--filter", "loss:nonesuch", "--db", any_db_url]) == 0
    assert capsys.readouterr().out.strip() == "no models match 'loss:nonesuch' (2 models in the database)"
