"""The store, the queue claim and the results read against a real PostgreSQL server (started by the
suite, see tests/pg_server.py), and the one redaction function that keeps its password out of sight."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from cgan_tui.cli import main as cli_main
from cgan_tui.config import RunConfig
from cgan_tui.redact import redact
from cgan_tui.results import load_results
from cgan_tui.runner import queue
from cgan_tui.store import queries as q
from cgan_tui.store.db import StoreError, open_store
from cgan_tui.store.tables import RunStatus
from tests.pg_server import PASSWORD

CLAIMER = """
import sys
from cgan_tui.store.db import open_store
from cgan_tui.runner.queue import claim_next
store = open_store(sys.argv[1])
sys.stdin.readline()  # start together
ids = []
while (run := claim_next(store, sys.argv[2])) is not None:
    ids.append(run.id)
print(" ".join(map(str, ids)))
"""


def _cfg(**kw) -> RunConfig:
    base = dict(model="seed004", loss="hinge", conditioning="embedding", d_conditioning="one-hot-channels",
                embed_dim=32, epochs=2, checkpoint_epochs=(2,), seed=4)
    base.update(kw)
    return RunConfig(**base)


@pytest.fixture
def pg_store(pg_url):
    store = open_store(pg_url)
    yield store
    store.dispose()


def test_plain_postgresql_url_opens_with_the_installed_driver(pg_store, pg_url):
    assert pg_url.startswith("postgresql://")
    assert pg_store.engine.dialect.name == "postgresql"
    open_store(pg_url).dispose()  # a second open sees the schema and leaves it alone
    open_store(pg_url, create=False).dispose()


def test_store_round_trip_on_postgresql(pg_store):
    rid = q.create_run(pg_store, _cfg(), priority=3, experiment="study")
    rid2 = q.create_run(pg_store, _cfg(loss="lsgan"), experiment="study", status="completed")
    assert q.run_config(q.get_run(pg_store, rid)) == _cfg()
    assert q.status_counts(pg_store) == {"queued": 1, "completed": 1}
    for epoch in (1, 2):
        q.upsert_metrics(pg_store, rid2, epoch, {"g_loss": 1.0 / epoch, "d_loss": 0.5, "epoch_seconds": 1.0,
                                                 "images_per_s": 10.0}, backend=q.TRAIN_BACKEND)  # fmt: skip
        q.upsert_metric(pg_store, rid2, epoch, "fid", 50.0 - epoch, backend="classifier", n_samples=100)
        q.save_grid(pg_store, rid2, epoch, b"png", 10, 8)
        q.add_checkpoint(pg_store, rid2, epoch, f"/x/epoch_{epoch}.pt", "milestone")
    q.upsert_metric(pg_store, rid2, 2, "fid", 40.0, backend="classifier", n_samples=100)  # replaces
    q.add_rating(pg_store, rid2, 2, "sharpness", 4)
    assert [r.epoch for r in q.epoch_rows(pg_store, rid2)] == [1, 2]
    assert {(m.epoch, m.value) for m in q.metric_rows(pg_store, [rid2]) if m.name == "fid"} == {(1, 49.0), (2, 40.0)}
    # the results read (what `ls` and the TUI's table show)
    rows = [r for r in load_results(pg_store) if r.run_id == rid2]
    assert [r.epoch for r in rows] == [2]  # the models: the config's checkpoint epochs
    from cgan_tui.store.queries import change_token

    before = change_token(pg_store)
    q.update_run(pg_store, rid, status=RunStatus.running)
    assert change_token(pg_store) != before  # the TUI's cheap "anything new?" query works here too


def test_claim_skips_locked_rows_across_threads_and_processes(pg_store, pg_url):
    ids = q.create_runs(pg_store, [_cfg(seed=s) for s in range(40)])
    sql = str(queue.claim_statement("w", 1, "h").compile(dialect=pg_store.engine.dialect))
    assert "FOR UPDATE SKIP LOCKED" in sql
    procs = [
        subprocess.Popen([sys.executable, "-c", CLAIMER, pg_url, f"p{i}"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
        for i in range(3)
    ]  # fmt: skip
    got: list[int] = []
    lock = threading.Lock()

    def claim_loop(name: str) -> None:
        own = open_store(pg_url)
        while (run := queue.claim_next(own, name)) is not None:
            with lock:
                got.append(run.id)
        own.dispose()

    threads = [threading.Thread(target=claim_loop, args=(f"t{i}",)) for i in range(3)]
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        got.extend(int(x) for x in out.split())
    assert sorted(got) == sorted(ids)  # every run claimed exactly once
    assert all(r.attempts == 1 and r.status == RunStatus.running for r in q.list_runs(pg_store))


# ------------------------------------------------------------------------------------- redaction


@pytest.mark.parametrize(
    "text, shown",
    [
        ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql+psycopg://u:p@ss@h/db", "postgresql+psycopg://u:***@h/db"),  # an unencoded @ too
        ("cannot open (postgresql://u:pw@h/db) now", "cannot open (postgresql://u:***@h/db) now"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("postgresql://h:5432/db", "postgresql://h:5432/db"),
        ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
        ("s3://bucket/prefix", "s3://bucket/prefix"),
    ],
)
def test_redact(text, shown):
    assert redact(text) == shown
    assert redact(shown) == shown


def test_password_never_in_errors_show_or_logs(pg_store, pg_url, tmp_path, capsys):
    wrong = pg_url.replace(PASSWORD, PASSWORD + "-wrong")
    with pytest.raises(StoreError) as info:
        open_store(wrong)
    assert PASSWORD not in str(info.value) and "\n" not in str(info.value)
    assert "password authentication failed" in str(info.value)
    assert cli_main(["ls", "--db", wrong]) == 2
    assert PASSWORD not in capsys.readouterr().err

    rid = q.create_run(pg_store, _cfg(), status="failed")
    q.update_run(pg_store, rid, error=f"Traceback ...\nOperationalError: could not reach {pg_url}")
    from cgan_tui.cli.train_cmd import show_data

    assert PASSWORD not in str(show_data(pg_store, rid))
    assert cli_main(["show", str(rid), "--db", pg_url]) == 0
    out = capsys.readouterr().out
    assert PASSWORD not in out and "could not reach postgresql://postgres:***@" in out

    from cgan_tui.runner.logs import close_run_log, log_path, open_run_log

    logger = open_run_log(pg_store, rid)
    logger.info(f"connected to {pg_url}")
    close_run_log(logger)
    assert PASSWORD not in log_path(pg_store, rid).read_text()
