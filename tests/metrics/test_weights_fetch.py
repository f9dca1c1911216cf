"""``cgan-tui weights fetch`` against a real HTTP server on 127.0.0.1 (no internet needed).

The server serves files built here; the registry entry's published hash is replaced by the served
file's (the real files' hashes cannot match test bytes). The last test serves structurally valid
AlexNet and torch-fidelity Inception state dicts with *random* values: they check the wiring from
fetch to IS/LPIPS/combined values, and are test fixtures only (their numbers mean nothing).
"""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cgan_tui.cli import main
from cgan_tui.gan import weights
from cgan_tui.gan import weights_fetch as wf
from cgan_tui.settings import WEIGHTS_MIRROR_ENV

ALEX = weights.LPIPS_ALEX.filename
INCEPTION = weights.TORCH_FIDELITY_INCEPTION.filename


class FileServer:
    """``http.server`` in a thread serving ``files`` (name -> bytes or Path) under any path prefix.

    Names in ``truncate`` get their full Content-Length but only half the bytes, then the connection
    closes. ``requests`` lists every path asked for (counted server-side)."""

    def __init__(self, files: dict, truncate: tuple[str, ...] = ()) -> None:
        self.files = dict(files)
        self.truncate = set(truncate)
        self.requests: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append(self.path)
                src = outer.files.get(self.path.rsplit("/", 1)[-1])
                if src is None:
                    self.send_error(404)
                    return
                data = src.read_bytes() if isinstance(src, Path) else src
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.path.rsplit("/", 1)[-1] in outer.truncate:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, prefix: str = "mirror/models") -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/{prefix}/"

    def __enter__(self) -> FileServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def dead_port() -> int:
    """A local port nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def files_under(*folders: Path) -> list[Path]:
    return sorted(p for f in folders if f.exists() for p in f.rglob("*") if p.is_file())


PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


@pytest.fixture
def env(weights_env, tmp_path, monkeypatch):
    """Empty weights folder and torch hub; no mirror or proxy from the caller's environment."""
    for var in (WEIGHTS_MIRROR_ENV, *PROXY_VARS):
        monkeypatch.delenv(var, raising=False)
    return weights_env, tmp_path / "torch" / "hub" / "checkpoints"


def publish(monkeypatch, name: str, data: bytes, full: bool = False) -> str:
    """Make the registry's published hash for ``name`` that of ``data`` (prefix as in a file name)."""
    digest = hashlib.sha256(data).hexdigest()
    spec = weights.REGISTRY[name]
    monkeypatch.setitem(weights.REGISTRY, name, dataclasses.replace(spec, sha256=digest if full else digest[:8]))
    return digest


PAYLOAD = os.urandom(3 << 20)  # 3 MB: several read chunks


def test_registry_urls_and_hashes_are_the_libraries_own():
    import torch.hub
    from torch_fidelity.feature_extractor_inceptionv3 import URL_INCEPTION_V3
    from torchvision.models import AlexNet_Weights

    assert weights.LPIPS_ALEX.url == AlexNet_Weights.IMAGENET1K_V1.url
    assert weights.TORCH_FIDELITY_INCEPTION.url == URL_INCEPTION_V3
    assert weights.downloadable() == ["torch-fidelity-inception", "lpips-alex"]
    for name in weights.downloadable():
        spec = weights.get(name)
        assert spec.url.rsplit("/", 1)[1] == spec.filename
        assert torch.hub.HASH_REGEX.search(spec.filename).group(1) == spec.sha256  # torch.hub's check_hash rule
        assert spec.install_path() == weights.torch_hub_checkpoints() / spec.filename


def test_good_file_is_installed_where_the_registry_looks_first(env, monkeypatch, capsys):
    folder, hub = env
    digest = publish(monkeypatch, "lpips-alex", PAYLOAD)
    with FileServer({ALEX: PAYLOAD}) as server:
        assert main(["weights", "fetch", "lpips-alex", "--mirror", server.url()]) == 0
    out = capsys.readouterr().out
    assert server.requests == [f"/mirror/models/{ALEX}"]
    assert (hub / ALEX).read_bytes() == PAYLOAD
    assert files_under(folder, hub) == [hub / ALEX]  # no temp file left beside it
    st = weights.status("lpips-alex")
    assert st.found and st.path == hub / ALEX
    assert f"lpips-alex: downloaded 3.1 MB from {server.url()}{ALEX}" in out and digest in out


def test_full_published_hash_is_checked_too(env, monkeypatch):
    publish(monkeypatch, "torch-fidelity-inception", PAYLOAD, full=True)
    with FileServer({INCEPTION: PAYLOAD}) as server:
        got = wf.fetch("torch-fidelity-inception", mirror=server.url("x"))
    assert got.downloaded and got.path.read_bytes() == PAYLOAD


def test_second_fetch_makes_no_request(env, monkeypatch, capsys):
    folder, hub = env
    publish(monkeypatch, "lpips-alex", PAYLOAD)
    with FileServer({ALEX: PAYLOAD}) as server:
        assert main(["weights", "fetch", "lpips-alex", "--mirror", server.url()]) == 0
        assert len(server.requests) == 1
        capsys.readouterr()
        assert main(["weights", "fetch", "lpips-alex", "--mirror", server.url()]) == 0
        assert len(server.requests) == 1
    assert capsys.readouterr().out.strip() == f"lpips-alex: already present: {hub / ALEX}"


def test_a_file_imported_into_the_weights_folder_counts_as_present(env, monkeypatch):
    folder, hub = env
    (folder / ALEX).write_bytes(b"x")
    with FileServer({ALEX: PAYLOAD}) as server:
        got = wf.fetch("lpips-alex", mirror=server.url())
    assert not got.downloaded and got.path == folder / ALEX and server.requests == []


def test_wrong_hash_is_refused_and_nothing_is_left(env, monkeypatch, capsys):
    folder, hub = env
    publish(monkeypatch, "lpips-alex", b"some other file")
    with FileServer({ALEX: PAYLOAD}) as server:
        assert main(["weights", "fetch", "lpips-alex", "--mirror", server.url()]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"lpips-alex: not downloaded from {server.url()}{ALEX}: SHA-256 ")
    assert "file refused" in err[0] and "cgan-tui weights import lpips-alex FILE" in err[0]
    assert files_under(folder, hub) == []
    assert not weights.status("lpips-alex").found


def test_connection_dropped_half_way_leaves_nothing(env, monkeypatch, capsys):
    folder, hub = env
    publish(monkeypatch, "lpips-alex", PAYLOAD)
    with FileServer({ALEX: PAYLOAD}, truncate=(ALEX,)) as server:
        assert main(["weights", "fetch", "lpips-alex", "--mirror", server.url()]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "connection closed early" in err[0], err
    assert files_under(folder, hub) == []


def test_http_error_and_file_mirror(env, monkeypatch, tmp_path, capsys):
    folder, hub = env
    with FileServer({}) as server:
        assert main(["weights", "fetch", "lpips-alex", "--mirror", server.url()]) == 1
    assert "HTTP 404" in capsys.readouterr().err
    local = tmp_path / "usb"
    local.mkdir()
    (local / ALEX).write_bytes(PAYLOAD)
    publish(monkeypatch, "lpips-alex", PAYLOAD)
    monkeypatch.setenv(WEIGHTS_MIRROR_ENV, local.as_uri())  # the variable, without --mirror
    assert main(["weights", "fetch", "lpips-alex"]) == 0
    assert (hub / ALEX).read_bytes() == PAYLOAD


def test_a_silent_server_times_out(env):
    folder, hub = env
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        started = time.monotonic()
        with pytest.raises(wf.FetchError, match=r"timed out \(no answer within 0.3 s\)"):
            wf.fetch("lpips-alex", mirror=f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=0.3)
        assert time.monotonic() - started < 10
    assert files_under(folder, hub) == []


def test_a_hanging_name_lookup_is_bounded_too(env, monkeypatch):
    """Resolvers ignore socket time-outs; an unreachable DNS server must not hang the fetch."""
    release = threading.Event()
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: release.wait(60) and [])
    try:
        with pytest.raises(wf.FetchError, match=r"host name lookup of download.pytorch.org took over 0.2 s"):
            wf.fetch("lpips-alex", timeout=0.2)
    finally:
        release.set()
    assert files_under(*env) == []


def test_bad_arguments_are_one_line_errors(env, capsys):
    for argv, text in (
        (["weights", "fetch"], "name the weight files to fetch or give --all; downloadable: torch-fidelity-inception, lpips-alex"),
        (["weights", "fetch", "classifier"], "classifier is not downloadable"),
        (["weights", "fetch", "nope"], "unknown weight file 'nope'"),
        (["weights", "fetch", "--all", "lpips-alex"], "not both"),
        (["weights", "fetch", "--all", "--mirror", "ftp://host/x"], "scheme http://, https://, file://"),
        (["weights", "fetch", "--all", "--timeout", "0"], "--timeout must be"),
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and text in err[0], (argv, err)


def _cli(args: list[str], **env: str) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if k not in (WEIGHTS_MIRROR_ENV, *PROXY_VARS)} | env
    return subprocess.run([sys.executable, "-m", "cgan_tui", *args], capture_output=True, text=True, env=full_env, timeout=120)


def test_cli_fetch_all_unreachable_one_line_per_file_no_traceback(tmp_path):
    folder, torch_home = tmp_path / "weights", tmp_path / "torch"
    mirror = f"http://127.0.0.1:{dead_port()}/weights"
    proc = _cli(["weights", "fetch", "--all"], CGAN_TUI_WEIGHTS=str(folder), TORCH_HOME=str(torch_home),
                CGAN_TUI_WEIGHTS_MIRROR=mirror)  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 2, proc.stderr
    for line, name in zip(lines, weights.downloadable(), strict=True):
        spec = weights.get(name)
        assert line == (f"{name}: not downloaded from {mirror}/{spec.filename}: connection refused; "
                        f"alternative: cgan-tui weights import {name} FILE")  # fmt: skip
    assert files_under(folder, torch_home) == []


def test_setup_step_is_best_effort_and_quiet_when_present(env, monkeypatch, capsys):
    folder, hub = env
    monkeypatch.setenv(WEIGHTS_MIRROR_ENV, f"http://127.0.0.1:{dead_port()}/")
    assert wf.main(["--setup"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("[weights] not downloaded (torch-fidelity-inception: connection refused;")
    assert "cgan-tui weights fetch --all" in err[0]
    assert files_under(folder, hub) == []
    hub.mkdir(parents=True)
    for name in weights.downloadable():
        (hub / weights.get(name).filename).write_bytes(b"x")
    assert wf.main(["--setup"]) == 0
    assert capsys.readouterr().err == ""


def test_progress_bar_on_a_terminal(env, monkeypatch):
    import io

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    publish(monkeypatch, "lpips-alex", PAYLOAD)
    out, err = io.StringIO(), Terminal()
    with FileServer({ALEX: PAYLOAD}) as server:
        assert wf.run_fetch(["lpips-alex"], mirror=server.url(), timeout=10, out=out, err=err) == 0
    assert "lpips-alex" in err.getvalue() and "3.1/3.1 MB" in err.getvalue()  # rich's DownloadColumn
    assert out.getvalue().startswith("lpips-alex: downloaded 3.1 MB")


def test_fetch_module_is_torch_free():
    code = "import sys, cgan_tui.gan.weights_fetch; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_real_files_where_present_have_the_published_hash():
    """On a machine where the real files were fetched (by torchvision, torch-fidelity or us)."""
    present = [weights.status(n) for n in weights.downloadable() if weights.status(n).found]
    if not present:
        pytest.skip("no real IS/LPIPS weight file on this machine")
    for st in present:
        digest = hashlib.sha256(st.path.read_bytes()).hexdigest()
        assert wf.digest_matches(digest, st.spec.sha256), (st.path, digest)


# ---------------------------------------------- fetched files feed IS, LPIPS and the combined score


@pytest.fixture(scope="session")
def structural_weights(tmp_path_factory) -> dict[str, Path]:
    """AlexNet and torch-fidelity Inception state dicts with the real keys and shapes, random values."""
    import torch
    import torchvision
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    folder = tmp_path_factory.mktemp("structural_weights")
    torch.manual_seed(0)
    torch.save(torchvision.models.alexnet(weights=None).state_dict(), folder / ALEX)

    class RandomInception(FeatureExtractorInceptionV3):
        """torch-fidelity's architecture; skips loading so its random init stays (fixture only)."""

        def load_state_dict(self, state_dict, strict=True, assign=False):
            return None

    torch.save({}, folder / "empty.pth")
    net = RandomInception("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(folder / "empty.pth"))
    torch.save(net.state_dict(), folder / INCEPTION)
    return {"lpips-alex": folder / ALEX, "torch-fidelity-inception": folder / INCEPTION}


@pytest.mark.slow
def test_fetched_files_give_is_lpips_and_combined_in_ls_and_export(
    env, monkeypatch, structural_weights, registries, balanced_real, db_url, capsys
):
    from cgan_tui.config import RunConfig
    from cgan_tui.gan.metrics.engine import evaluate
    from cgan_tui.runner.evaluate_hook import store_results
    from cgan_tui.store.db import open_store

    from .conftest import ReplayGenerator, add_run

    folder, hub = env
    for name, path in structural_weights.items():
        publish(monkeypatch, name, path.read_bytes())
    served = {p.name: p for p in structural_weights.values()}
    with FileServer(served) as server:
        assert main(["weights", "fetch", "--all", "--mirror", server.url()]) == 0
    assert sorted(p.name for p in files_under(folder, hub)) == sorted(served)
    assert not weights.status("fid-inception").found  # FID comes from torch-fidelity's features then

    n = 20
    gen = ReplayGenerator(balanced_real.images, balanced_real.labels, transform=lambda x: x.flip(-1))
    results = evaluate(gen, RunConfig(latent_dim=8), registries, epoch=1, n=n, device="cpu",
                       metrics=["fid", "is", "lpips"], real=balanced_real)  # fmt: skip
    values = {r.key: r for r in results}
    for key in ("fid@inception", "is@inception", "lpips@lpips", "lpips_diversity@lpips"):
        assert values[key].value is not None, (key, values[key].unavailable)
        assert values[key].n_samples == n
    assert values["is@inception"].value >= 1.0 - 1e-6

    store = open_store(db_url)
    run_id = add_run(store, epochs=1, checkpoint_epochs=(1,))
    store_results(store, run_id, 1, results)
    from cgan_tui.store import queries

    queries.save_grid(store, run_id, 1, b"png", 10, 8)  # ratings are only for models with samples
    store.dispose()
    assert main(["rate", str(run_id), "--epoch", "1", "--sharpness", "3", "--structure", "3", "--detail", "3",
                 "--class-fit", "3", "--db", db_url]) == 0  # fmt: skip
    capsys.readouterr()
    assert main(["ls", "--db", db_url, "--sort", "combined", "--columns", "label,combined@inception,final@inception"]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("│"))
    cells = [c.strip() for c in row.split("│")[1:-1]]
    values = [c.split("·")[0] for c in cells[1:]]  # value·n
    assert all(v.replace(".", "", 1).replace("-", "", 1).isdigit() for v in values), cells
    assert main(["export", "--format", "json", "--db", db_url]) == 0
    item = json.loads(capsys.readouterr().out)[0]
    expected = item["fid@inception"] + 10 / max(item["is@inception"], 0.1) + 10 * item["lpips@lpips"]
    assert item["combined@inception"] == pytest.approx(expected)
    assert isinstance(item["final@inception"], float)
    shutil.rmtree(hub)  # 330 MB of fixture weights: do not keep them in the temp folder
