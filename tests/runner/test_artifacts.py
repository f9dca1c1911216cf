"""Artifacts on a local folder or any fsspec URL: atomic writes, one naming rule, and a run that
resumes from a checkpoint stored on a non-local filesystem (fsspec's in-memory one) with nothing
left in the local staging folder, as on another node."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from cgan_tui import artifacts
from cgan_tui.artifacts import ArtifactStore
from cgan_tui.cli import main as cli_main
from cgan_tui.errors import UserError
from cgan_tui.runner import queue
from cgan_tui.runner.execute import execute_run
from cgan_tui.runner.logs import tail
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store
from cgan_tui.store.tables import RunStatus


def test_parse_roots(tmp_path):
    assert ArtifactStore.parse(str(tmp_path)).local == tmp_path.resolve()
    assert ArtifactStore.parse(f"file://{tmp_path}/a").local == tmp_path.resolve() / "a"
    remote = ArtifactStore.parse("memory://bucket/prefix/")
    assert (remote.url, remote.is_local) == ("memory://bucket/prefix", False)
    assert remote.location(7, "last.pt") == "memory://bucket/prefix/run_00007/last.pt"
    with pytest.raises(UserError, match="unknown filesystem 'nope'"):
        ArtifactStore.parse("nope://x")


@pytest.mark.parametrize("root", ["local", "memory"])
def test_publish_and_fetch_are_atomic(root, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    store = ArtifactStore.parse(str(tmp_path / "root") if root == "local" else f"memory://t-{uuid.uuid4().hex}")
    local = store.run_dir(3) / "resume.pt"
    local.write_bytes(b"weights-1")
    where = store.publish(3, local)
    assert artifacts.exists(where) and store.fetch(where).read_bytes() == b"weights-1"
    artifacts.write_bytes(where, b"weights-2")  # replaced whole; no temporary left behind
    assert store.fetch(where).read_bytes() == b"weights-2"
    if root == "local":
        assert sorted(p.name for p in Path(where).parent.iterdir()) == ["resume.pt"]
    else:
        import fsspec

        fs, path = fsspec.core.url_to_fs(where)
        assert fs.ls(path.rsplit("/", 1)[0], detail=False) == [path]
    assert not artifacts.exists(store.location(3, "missing.pt"))


def test_cli_artifacts_option_reaches_the_store(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("CGAN_TUI_ARTIFACTS", raising=False)
    assert cli_main(["ls", "--db", str(tmp_path / "x.db"), "--artifacts", "nope://x"]) == 2
    assert "unknown filesystem 'nope'" in capsys.readouterr().err


class StopAfterEpoch:
    """Extra training callbacks: ask training to stop once epoch ``n`` has ended (like a SIGTERM)."""

    def __init__(self, n: int) -> None:
        self.n, self.ended = n, 0

    def on_progress(self, _p) -> None: ...

    def on_checkpoint(self, _c) -> None: ...

    def on_epoch_end(self, event) -> None:
        self.ended = event.epoch

    def should_stop(self) -> bool:
        return self.ended >= self.n


def test_run_resumes_from_a_checkpoint_on_a_remote_filesystem(db_url, tiny, registries, tmp_path, monkeypatch):
    root = f"memory://cgan-{uuid.uuid4().hex}/study"
    monkeypatch.setenv("CGAN_TUI_ARTIFACTS", root)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "node-a"))
    store = open_store(db_url)
    rid = queue.enqueue(store, tiny(epochs=3, checkpoint_epochs=(3,), limit_train=32, batch_size=32),
                        registries=registries)  # fmt: skip
    assert queue.claim_next(store, "node-a") is not None
    out = execute_run(store, rid, registries, worker_id="node-a", extra_callbacks=StopAfterEpoch(2), epoch_hooks=[])
    assert (out.status, out.epochs_done) == ("queued", 2)
    [ckpt] = q.checkpoints(store, rid)
    assert ckpt.path == f"{root}/run_{rid:05d}/resume.pt" and ckpt.epoch == 2
    store.dispose()

    # another node: an empty cache, nothing local; only the database and the remote root are shared
    shutil.rmtree(tmp_path / "node-a")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "node-b"))
    store = open_store(db_url)
    assert queue.claim_next(store, "node-b").id == rid
    out = execute_run(store, rid, registries, worker_id="node-b", epoch_hooks=[])
    assert (out.status, out.epochs_done) == ("completed", 3)
    run = q.get_run(store, rid)
    assert (run.status, run.attempts) == (RunStatus.completed, 2)
    assert [r.epoch for r in q.epoch_rows(store, rid)] == [1, 2, 3]
    assert {c.path.startswith(root) for c in q.checkpoints(store, rid)} == {True}
    log = "\n".join(tail(store, rid, 200))
    assert log.count("start run") == 2 and "resume from epoch 2" in log  # node a's lines kept
    store.dispose()
