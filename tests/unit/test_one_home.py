"""Facts with one home: the newest-checkpoint rule, run labels, ETA text, integer lists, atomic writes,
run-folder paths and the user cache. Each test exercises the callers that used to keep their own copy."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

import pytest

from cgan_tui import atomic
from cgan_tui import settings as settings_mod
from cgan_tui.config import ConfigError, RunConfig, parse_int_list, run_label
from cgan_tui.formatting import format_eta
from cgan_tui.store import queries as q
from cgan_tui.store.db import open_store

ROOT = Path(__file__).resolve().parents[2]
PKG = ROOT / "cgan_tui"


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'experiments.db'}")
    yield s
    s.dispose()


def test_newest_checkpoint_tie_is_the_milestone_everywhere(store, tmp_path):
    """At one epoch both rows exist; resume, eval and sample used three different tie-breaks."""
    from cgan_tui.cli.sample_cmd import checkpoint_files
    from cgan_tui.runner.execute import resume_checkpoint
    from cgan_tui.store.tables import newest_checkpoint

    run = q.create_run(store, RunConfig(epochs=3, checkpoint_epochs=(2,)))
    files = {}
    for epoch, kind in ((1, "last"), (2, "milestone"), (2, "last")):
        path = tmp_path / f"{kind}_{epoch}.pt"
        path.write_bytes(b"x")
        files[(epoch, kind)] = str(path)
        q.add_checkpoint(store, run, epoch, str(path), kind=kind)
    rows = q.checkpoints(store, run)
    assert {(r.epoch, r.kind) for r in rows} == {(2, "milestone"), (2, "last")}  # a new last replaces the old
    milestone = files[(2, "milestone")]
    assert newest_checkpoint(rows).path == milestone
    assert newest_checkpoint(reversed(rows)).path == milestone  # not an accident of the row order
    assert q.latest_checkpoint(store, run).path == milestone
    assert resume_checkpoint(store, run).path == milestone
    assert checkpoint_files(store, run) == {2: milestone}
    os.unlink(milestone)  # a milestone whose file is gone: the rolling file of that epoch serves
    assert resume_checkpoint(store, run).path == files[(2, "last")]
    assert checkpoint_files(store, run) == {2: files[(2, "last")]}


def test_run_label_is_one_formula(store):
    from cgan_tui.report.data import RunInfo
    from cgan_tui.results import load_results
    from cgan_tui.runner.queue import queue_rows

    config = RunConfig(loss="wgan-gp", embed_dim=32, epochs=2, checkpoint_epochs=(2,))
    run = q.create_run(store, config, status="queued")
    assert config.label == run_label("wgan-gp", "embedding", 32) == "WGAN_GP_32"
    assert run_label("lsgan", "one-hot", 10) == "LSGAN_one-hot"
    (row,) = load_results(store)
    assert row.run_label == config.label and row.label == f"{config.label} e{row.epoch}"
    (queued,) = [r for r in queue_rows(store) if r.id == run]
    assert queued.label == config.label
    assert RunInfo(q.get_run(store, run), {}, [], {}).name == f"r{run} {config.label} s{config.seed}"  # seeds told apart


def test_eta_text_is_shared_by_cli_and_tui():
    from cgan_tui.ui.widgets.run_progress import progress_text

    assert format_eta(None) == "—"
    assert format_eta(65) == "1:05" and format_eta(3725.4) == "1:02:05"
    row = argparse.Namespace(images_per_s=None, steps_per_epoch=0, cancel_requested=False, current_epoch=1,
                             epochs=3, eta_s=3725.0, stale=False, eval_pending=())  # fmt: skip
    assert progress_text(row).endswith("ETA 1:02:05")


def test_integer_lists_parse_alike_in_cli_and_form():
    from cgan_tui.cli.run_options import _csv_ints
    from cgan_tui.ui.screens.new_run import int_list

    assert parse_int_list("10, 20 30") == [10, 20, 30]
    assert list(_csv_ints("10,20,30")) == int_list("epochs", "10,20,30") == [10, 20, 30]
    with pytest.raises(argparse.ArgumentTypeError, match=r"integers separated by commas like 10,20,30, got '10,x'"):
        _csv_ints("10,x")
    with pytest.raises(ConfigError, match=r"^checkpoints must be integers separated by commas like 10,20,30, got '1;2'$"):
        int_list("checkpoints", "1;2")


def test_atomic_write_uses_a_pid_temp_and_keeps_the_old_file_on_failure(tmp_path):
    target = tmp_path / "file.bin"
    atomic.atomic_write_bytes(target, b"old")
    assert atomic.temp_path(target).name == f"file.bin.{atomic.HOST}.{os.getpid()}.tmp"

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with atomic.atomic_writer(target) as fh:
            fh.write(b"half")
            raise Boom
    assert target.read_bytes() == b"old" and sorted(p.name for p in tmp_path.iterdir()) == ["file.bin"]
    source = tmp_path / "src"
    source.write_bytes(b"new")
    source.chmod(0o600)
    atomic.atomic_copy(source, target, mode=0o644)
    assert target.read_bytes() == b"new" and (source.stat().st_mode & 0o777) == 0o600  # the source is untouched
    assert (target.stat().st_mode & 0o777) == 0o644


def test_a_killed_writers_temp_file_goes_with_the_next_write(tmp_path):
    """kill -9 mid-write leaves ``NAME.<host>.<pid>.tmp``; the next write on this host removes it,
    never one of a live process."""
    import subprocess
    import sys

    target = tmp_path / "last.pt"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    torn = atomic.temp_path(target, int(gone.stdout))
    torn.write_bytes(b"half")
    live = atomic.temp_path(target, os.getppid())  # a process that exists
    live.write_bytes(b"writing")
    atomic.atomic_write_bytes(target, b"whole")
    assert target.read_bytes() == b"whole" and not torn.exists() and live.exists()


def test_run_folder_path_has_one_home(tmp_path):
    from cgan_tui.artifacts import ArtifactStore, run_key
    from cgan_tui.runner.logs import LOG_NAME, log_path

    store = open_store(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        arts = store.artifact_store
        assert arts.local_path(7) == arts.local_root / run_key(7) and not arts.local_path(7).exists()
        assert log_path(store, 7) == arts.local_path(7, LOG_NAME)
        assert arts.location(7, "last.pt") == str(arts.run_dir(7) / "last.pt")
        remote = ArtifactStore.parse("memory://bucket/x")
        assert remote.location(7, "last.pt") == f"memory://bucket/x/{run_key(7)}/last.pt"
    finally:
        store.dispose()


def test_cost_cache_lives_in_the_user_cache_not_beside_the_data(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    from cgan_tui.gan import cost

    monkeypatch.delenv("CGAN_TUI_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cost.cache_path() == tmp_path / "xdg" / "cgan-tui" / "cost.json"
    monkeypatch.setenv("CGAN_TUI_CACHE", str(tmp_path / "mine"))
    assert cost.cache_path() == tmp_path / "mine" / "cost.json"


def test_every_cgan_tui_variable_is_a_setting_and_in_the_readme():
    used = set()
    for path in PKG.rglob("*.py"):
        used.update(re.findall(r"CGAN_TUI_[A-Z][A-Z_]*[A-Z]", path.read_text()))
    from cgan_tui.plugins import SPEC_ATTRIBUTE

    used.discard(SPEC_ATTRIBUTE)  # a plugin module's attribute (the hook spec it needs), not a variable
    assert used <= set(settings_mod.NAMES), sorted(used - set(settings_mod.NAMES))
    readme = (ROOT / "README.md").read_text()
    table = set(re.findall(r"^\| `(CGAN_TUI_[A-Z_]+)", readme, flags=re.M))
    assert table == set(settings_mod.NAMES)


def test_one_cache_root_honours_xdg_for_weights_data_and_probes(tmp_path, monkeypatch):
    monkeypatch.delenv("CGAN_TUI_CACHE", raising=False)
    monkeypatch.delenv("CGAN_TUI_WEIGHTS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(settings_mod, "LEGACY_CACHE", tmp_path / "old" / "cgan_tui")
    s = settings_mod.settings()
    root = tmp_path / "xdg" / "cgan-tui"
    assert (s.cache_dir, s.weights_dir, s.data_cache_dir) == (root, root / "weights", root / "data")
    (tmp_path / "old" / "cgan_tui" / "weights").mkdir(parents=True)  # an install from before 0.2
    assert s.weights_dir == tmp_path / "old" / "cgan_tui" / "weights" and s.data_cache_dir == root / "data"
    (root / "weights").mkdir(parents=True)
    assert s.weights_dir == root / "weights"
    monkeypatch.setenv("CGAN_TUI_CACHE", str(tmp_path / "mine"))
    assert settings_mod.settings().weights_dir == tmp_path / "mine" / "weights"


def test_a_bad_setting_is_one_line_naming_it(monkeypatch):
    from cgan_tui.store.db import StoreError
    from cgan_tui.store.guard import lock_wait_s

    monkeypatch.setenv("CGAN_TUI_CONFIRM_ABOVE_S", "soon")
    with pytest.raises(settings_mod.SettingError) as err:
        _ = settings_mod.settings().confirm_above_s
    assert str(err.value) == "CGAN_TUI_CONFIRM_ABOVE_S must be a number of seconds, got 'soon'"
    monkeypatch.setenv("CGAN_TUI_LOCK_WAIT_S", "-1")
    with pytest.raises(StoreError, match=r"^CGAN_TUI_LOCK_WAIT_S must be >= 0 seconds, got '-1'$"):
        lock_wait_s()
    monkeypatch.setenv("CGAN_TUI_EVAL", "OFF")
    assert settings_mod.settings().evaluation_on is False


@pytest.mark.parametrize("pattern, home", [
    (r"^\s*\w*STATUS_STYLE\w* *[:=]", "cgan_tui/styles.py"),
    (r"^TRAIN_BACKEND *=", "cgan_tui/keys.py"),
    (r"^RATING_CRITERIA *=", "cgan_tui/scoring.py"),
    (r"^HIDDEN_BY_DEFAULT *=", "cgan_tui/results/columns.py"),
    (r"def \w*eta\(", "cgan_tui/formatting.py"),
    (r"\.upper\(\)\.replace\('-', '_'\)", "cgan_tui/run_config.py"),
    (r"os\.replace\(", "cgan_tui/atomic.py"),
    (r"^KNOWN_BETTER", None),
    (r"^\w*(_ENV|ENV_VAR) *=", "cgan_tui/settings.py"),
])  # fmt: skip
def test_fact_is_defined_once(pattern, home):
    where = sorted(str(p.relative_to(ROOT)) for p in PKG.rglob("*.py") if re.search(pattern, p.read_text(), re.M))
    assert where == ([home] if home else []), where


def test_preset_plugin_kinds_and_resumable_statuses_are_defined_once():
    import dataclasses

    from cgan_tui import scoring
    from cgan_tui.plugins import Registries
    from cgan_tui.specs import KINDS, PLUGIN_KINDS, SINGULAR
    from cgan_tui.store.tables import RESUMABLE, RunStatus

    literal = sorted(str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
                     if '"research"' in p.read_text() and "ui" not in p.relative_to(PKG).parts)  # fmt: skip
    assert literal == ["cgan_tui/scoring.py"] and scoring.DEFAULT_PRESET in scoring.PRESETS
    assert [f.name for f in dataclasses.fields(Registries) if f.name != "plugins"] == [k.plural for k in PLUGIN_KINDS]
    assert list(KINDS) == list(SINGULAR) == [k.plural for k in PLUGIN_KINDS]
    listed = [p for p in PKG.rglob("*.py") if re.search(r'\{"losses": "loss"', p.read_text())]
    assert listed == []
    assert [s for s in RunStatus if s.resumable] == list(RESUMABLE)
    assert all(s.finished for s in RESUMABLE)
    stray = [p for p in PKG.rglob("*.py") if re.search(r'"failed", "diverged", "cancelled"', p.read_text())]
    assert stray == []


MAX_MODULE_LINES = 450
OVER_LIMIT_ELSEWHERE: set[str] = set()  # none: issue 28 item 3 split ui/screens/results.py


def test_every_module_is_at_most_450_lines():
    long = sorted(str(p.relative_to(ROOT)) for p in PKG.rglob("*.py")
                  if len(p.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES)  # fmt: skip
    assert [p for p in long if p not in OVER_LIMIT_ELSEWHERE] == []
