"""Issue 29 item 2: `b` shows the chosen backend's columns only, sorts by a key that exists there (or says
what it sorts by now), and one line says why the backend has no values for the models shown and how to
get them (weights missing: the fetch command; never evaluated: the eval command)."""

from __future__ import annotations

from cgan_tui.config import RunConfig
from cgan_tui.gan import backbones, weights
from cgan_tui.results import ResultRow
from cgan_tui.store import queries
from cgan_tui.store.db import open_store
from cgan_tui.ui.screens.results_text import backend_note

from .conftest import results_loaded, wait_for


def _row(run_id: int, status: str = "completed", **values) -> ResultRow:
    return ResultRow(run_id=run_id, epoch=3, model="seed000", loss="bce", conditioning="embedding",
                     d_conditioning="embedding", embed_dim=10, planned_epochs=3, seed=0, status=status,
                     values=values)  # fmt: skip


def test_the_backend_line_says_why_and_how():
    with_values = _row(1, **{"fid@inception": 20.0})
    never = _row(2, **{"fid@classifier": 5.0})
    assert backend_note([with_values], "inception", list) == ""
    assert backend_note([never], "inception", list) == (
        "backend inception: no values for the 1 model shown — never evaluated with inception: "
        "`cgan-tui eval 2 --epoch 3 --metrics inception`")  # fmt: skip
    missing = [("torch-fidelity-inception", "`cgan-tui weights fetch torch-fidelity-inception`"), ("x", "pip install x")]
    line = backend_note([with_values, never, _row(3)], "inception", lambda: missing)
    assert line == ("backend inception: no values for 2 of the 3 models shown — weights missing: "
                    "`cgan-tui weights fetch torch-fidelity-inception`; x: pip install x, "
                    "then `cgan-tui eval 2 --epoch 3 --metrics inception` (per model)")  # fmt: skip
    unavailable = _row(4, **{"is@inception": None})
    unavailable.unavailable["is@inception"] = "torch-fidelity-inception weights missing (file.pth; looked in /x); fetch"
    assert "unavailable when evaluated (torch-fidelity-inception weights missing)" in backend_note(
        [unavailable], "inception", list)
    assert backend_note([_row(5, status="queued"), _row(6, status="running")], "inception", list) == ""


def test_a_backend_names_the_weight_files_it_needs(registries):
    assert {w.name for w in weights.for_backend("inception", registries)} == {"fid-inception", "torch-fidelity-inception"}
    assert {w.name for w in weights.for_backend("classifier", registries)} == {"classifier"}
    assert weights.for_backend("pixel", registries) == []


async def test_b_shows_the_backends_own_columns_and_says_why_it_has_none(tmp_path, make_app):
    url = f"sqlite:///{tmp_path / 'experiments.db'}"
    store = open_store(url)
    runs = []
    for loss in ("hinge", "bce"):
        run = queries.create_run(store, RunConfig(loss=loss, embed_dim=32, epochs=1, checkpoint_epochs=()),
                                 status="completed")  # fmt: skip
        queries.upsert_metrics(store, run, 1, {"fid": 12.5 + run, "is": 7.25, "lpips": 0.8, "class_acc": 0.8},
                               backend="classifier", n_samples=1000, backbone=backbones.current("classifier"))  # fmt: skip
        runs.append(run)
    store.dispose()
    app = make_app(url)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: results_loaded(app), what="results")
        screen = app.screen
        note = screen.query_one("#results-note")
        assert screen.backend == "classifier" and not note.display
        await pilot.press("c")
        assert screen.sort_keys == [("combined@classifier", False)]
        await pilot.press("b")
        await pilot.pause()
        assert screen.backend == "inception"
        keys = [c.key for c in screen.visible_columns()]
        assert not [k for k in keys if k.endswith("@classifier")], keys  # no classifier column under inception
        assert screen.sort_keys == []  # combined inc has no column: dropped, and said
        assert "backend inception has no column for combined cls: sorted by run id now" in [m for _, m in app.notices]
        assert "sort run id" in str(screen.query_one("#results-status").render())
        line = str(note.render())
        assert note.display and screen.screen.region.contains_region(note.region), "the line is on screen at 80x24"
        assert line.startswith("backend inception: no values for the 2 models shown — ")
        assert f"`cgan-tui eval {runs[0]} --epoch 1 --metrics inception`" in line
        missing = app.services.missing_weights("inception")  # what this machine has: the line follows it
        if missing:
            assert "weights missing: `cgan-tui weights fetch " in line and all(name in line for name, _ in missing)
        else:
            assert "never evaluated with inception" in line
        await pilot.press("f")  # FID on a backend without it: said, the sort unchanged
        assert screen.sort_keys == [] and any("no fid values on backend inception" in m for _, m in app.notices)
        await pilot.press("b")
        await pilot.pause()
        assert screen.backend == "classifier" and not note.display
        assert "class_acc@classifier" in [c.key for c in screen.all_columns()]


def test_a_plugin_backends_missing_weights_name_their_fetch_command(tmp_path, monkeypatch):
    """A plugin backend (dinov2-like) is found through the loaded registries, torch-free: its file not
    here gives the `weights fetch NAME` command (downloadable) or its own how-to (not)."""
    from cgan_tui.hooks import hookimpl
    from cgan_tui.plugins import load_plugins
    from cgan_tui.specs import Backend, BackendWeights
    from cgan_tui.ui.services import Services

    class ToyBackend:
        __name__ = "tests.ui.toy_backend"

        @hookimpl
        def register_backends(self):
            return [Backend(name="toy", extractor=lambda ctx: None, weights=(
                BackendWeights(name="toy-net", filename="toy-net.pth", url="https://example.invalid/toy-net.pth"),
                BackendWeights(name="toy-head", filename="toy-head.pth", how_to_get="copy it from the lab share"),
            ))]  # fmt: skip

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setenv("CGAN_TUI_WEIGHTS", str(tmp_path / "weights"))
    registries = load_plugins(extra=[("ui-toy-backend", ToyBackend())])
    assert [w.name for w in weights.for_backend("toy", registries)] == ["toy-net", "toy-head"]
    services = Services(None, plugin_loader=lambda: registries)
    assert services.missing_weights("toy") == [("toy-net", "`cgan-tui weights fetch toy-net`"),
                                               ("toy-head", "copy it from the lab share")]  # fmt: skip
    (tmp_path / "weights").mkdir()
    (tmp_path / "weights" / "toy-net.pth").write_bytes(b"x")
    assert services.missing_weights("toy") == [("toy-head", "copy it from the lab share")]
    line = backend_note([_row(7)], "toy", lambda: services.missing_weights("toy"))
    assert "weights missing: toy-head: copy it from the lab share, then `cgan-tui eval 7 --epoch 3 --metrics toy`" in line
