"""Download the standard ImageNet weight files from the URLs their own libraries use.

``cgan-tui weights fetch [NAME ...|--all]`` and the set-up step
``python -m cgan_tui.gan.weights_fetch --setup`` call this; evaluation never does (a missing file
makes its metrics "unavailable", nothing is downloaded in the middle of a run).

Each downloadable ``WeightFile`` carries the library's ``url`` and published ``sha256`` (full hex, or
the prefix in the file name as torch.hub's ``check_hash`` uses it; a plugin's file without a published
hash is checked by loading it, ``validate``). A download streams into a temp
file in the target folder while hashing, checks the byte count and the hash, then ``os.replace``-s
it into the place the registry looks first (torch hub's checkpoints folder, where torchvision and
torch-fidelity look too). On any failure the temp file is removed: nothing partial is left.

``$CGAN_TUI_WEIGHTS_MIRROR`` (or ``--mirror``) replaces everything before the file name of each URL,
so a mirror is a flat folder of the original file names (``http://host/path/`` or ``file:///dir/``).

Torch-free: the registry and this module import without PyTorch.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import shutil
import socket
import ssl
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cgan_tui.atomic import atomic_writer
from cgan_tui.errors import UserError
from cgan_tui.gan import weights
from cgan_tui.settings import WEIGHTS_MIRROR_ENV, settings

DEFAULT_TIMEOUT = 30.0
"""Seconds a connect or a single read may take (``--timeout``): a stalled server cannot hang us."""
SETUP_TIMEOUT = 5.0
"""The set-up step's shorter limit: offline, ``./dev`` goes on after seconds, not minutes."""
CHUNK = 1 << 20
MIRROR_SCHEMES = ("http", "https", "file")

Advance = Callable[[int], None]
ProgressFactory = Callable[[str, "int | None"], Advance]
"""``factory(name, total_bytes_or_None)`` -> ``advance(n_bytes)``; the CLI draws a bar with it."""


class FetchError(UserError):
    """One file could not be downloaded; ``str()`` is the one line shown for it."""

    def __init__(self, name: str, url: str, reason: str) -> None:
        self.name, self.url, self.reason = name, url, reason
        super().__init__(
            f"{name}: not downloaded from {url}: {reason}; alternative: cgan-tui weights import {name} FILE"
        )


@dataclass(frozen=True)
class Fetched:
    """A file in place: ``downloaded`` False when it was already present (nothing requested)."""

    name: str
    path: Path
    downloaded: bool
    url: str | None = None
    sha256: str | None = None

    def line(self) -> str:
        if not self.downloaded:
            return f"{self.name}: already present: {self.path}"
        size = self.path.stat().st_size
        return f"{self.name}: downloaded {size / 1e6:.1f} MB from {self.url} -> {self.path} (sha256 {self.sha256})"


def mirror_from_env() -> str | None:
    return settings().weights_mirror


def check_mirror(mirror: str) -> str:
    """The mirror URL if its scheme is usable, else a one-line error naming the valid ones."""
    scheme = urllib.parse.urlsplit(mirror).scheme
    if scheme not in MIRROR_SCHEMES:
        raise UserError(
            f"weights mirror {mirror!r} is not a URL with scheme {', '.join(s + '://' for s in MIRROR_SCHEMES)}"
            f" (from --mirror or ${WEIGHTS_MIRROR_ENV})"
        )
    return mirror


def source_url(spec: weights.WeightFile, mirror: str | None = None) -> str:
    """The official URL, or the mirror's URL for the same file name when a mirror is given."""
    if spec.url is None:
        raise UserError(f"{spec.name} is not downloadable; downloadable: {', '.join(weights.downloadable())}")
    if not mirror:
        return spec.url
    return check_mirror(mirror).rstrip("/") + "/" + spec.url.rsplit("/", 1)[1]


def describe(exc: BaseException, timeout: float) -> str:
    """A short human reason for a network or file failure (no traceback, no class paths)."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}"
    if isinstance(exc, urllib.error.URLError):
        inner = exc.reason
        if isinstance(inner, BaseException):
            return describe(inner, timeout)
        return str(inner)
    if isinstance(exc, LookupTimeout):
        return str(exc)
    if isinstance(exc, socket.gaierror):
        return "host name not resolved (no network or DNS?)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return f"timed out (no answer within {timeout:g} s)"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by the server"
    if isinstance(exc, http.client.IncompleteRead):
        return f"connection closed early after {len(exc.partial):,} bytes"
    if isinstance(exc, http.client.HTTPException):
        return f"bad HTTP response ({type(exc).__name__})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error: {exc.reason or exc}"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def digest_matches(digest: str, published: str | None) -> bool:
    """torch.hub's rule: the file's SHA-256 hex must start with the published (prefix of the) hash."""
    return published is None or digest.startswith(published.lower())


class LookupTimeout(socket.gaierror):
    """The host name lookup did not finish within the time-out."""


def resolve_host(url: str, timeout: float) -> None:
    """Look the URL's host up within ``timeout``: the resolver ignores socket time-outs, and with an
    unreachable DNS server it can block for tens of seconds per lookup."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy and not urllib.request.proxy_bypass(parts.hostname):  # only the proxy is looked up then
        parts = urllib.parse.urlsplit(proxy if "://" in proxy else "http://" + proxy)
        if not parts.hostname:
            return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    outcome: list[BaseException | None] = []

    def lookup() -> None:
        try:
            socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
            outcome.append(None)
        except OSError as exc:
            outcome.append(exc)

    worker = threading.Thread(target=lookup, daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise LookupTimeout(f"host name lookup of {parts.hostname} took over {timeout:g} s (no network or DNS?)")
    if outcome[0] is not None:
        raise outcome[0]


def download(url: str, dest: Path, *, sha256: str | None, timeout: float, name: str,
             progress: ProgressFactory | None = None) -> str:  # fmt: skip
    """Stream ``url`` into ``dest`` atomically; returns the full SHA-256. ``FetchError`` on any failure."""
    request = urllib.request.Request(url, headers={"User-Agent": "cgan-tui (weights fetch)"})
    try:
        resolve_host(url, timeout)
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            dest.parent.mkdir(parents=True, exist_ok=True)
            if total is not None and shutil.disk_usage(dest.parent).free < total:
                free = shutil.disk_usage(dest.parent).free
                raise FetchError(name, url, f"not enough disk space in {dest.parent}: needs {total / 1e6:.1f} MB, "
                                            f"{free / 1e6:.1f} MB free")  # fmt: skip
            advance = progress(name, total) if progress is not None else None
            hasher = hashlib.sha256()
            got = 0
            with atomic_writer(dest, mode=0o644) as out:  # replaces dest only when every check below passed
                while chunk := resp.read(CHUNK):
                    out.write(chunk)
                    hasher.update(chunk)
                    got += len(chunk)
                    if advance is not None:
                        advance(len(chunk))
                if total is not None and got != total:
                    raise FetchError(name, url, f"connection closed early after {got:,} of {total:,} bytes")
                if got == 0:
                    raise FetchError(name, url, "the server sent an empty file")
                digest = hasher.hexdigest()
                if not digest_matches(digest, sha256):
                    raise FetchError(name, url, f"SHA-256 {digest[:16]}... does not match the published {sha256}; "
                                                "file refused")  # fmt: skip
        return digest
    except FetchError:
        raise
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError(name, url, describe(exc, timeout)) from None


def fetch(name: str, *, mirror: str | None = None, timeout: float = DEFAULT_TIMEOUT,
          progress: ProgressFactory | None = None) -> Fetched:  # fmt: skip
    """Make ``name`` present: nothing is requested when any place the registry looks has it."""
    spec = weights.get(name)
    url = source_url(spec, mirror)
    st = weights.status(name)
    if st.path is not None:
        return Fetched(name, st.path, downloaded=False)
    dest = spec.install_path()
    digest = download(url, dest, sha256=spec.sha256, timeout=timeout, name=name, progress=progress)
    if spec.sha256 is None:  # no published hash (a plugin's file): the file must at least be that network
        try:
            spec.validate(dest)
        except Exception as exc:  # noqa: BLE001 - any load failure means "not this weight file"
            dest.unlink(missing_ok=True)
            first = (str(exc).strip().splitlines() or [""])[0][:200]
            raise FetchError(name, url, f"no published hash, and the file is not a valid {name} file "
                                        f"({type(exc).__name__}: {first}); file refused") from None  # fmt: skip
    return Fetched(name, dest, downloaded=True, url=url, sha256=digest)


def resolve_names(names: list[str], all_: bool) -> list[str]:
    """The names to fetch: every downloadable one for ``--all``; each name checked to be downloadable."""
    valid = weights.downloadable()
    if all_:
        return valid
    if not names:
        raise UserError(f"name the weight files to fetch or give --all; downloadable: {', '.join(valid)}")
    for name in names:
        spec = weights.get(name)
        if not spec.downloadable:
            raise UserError(f"{name} is not downloadable ({spec.how_to_get}); downloadable: {', '.join(valid)}")
    return list(dict.fromkeys(names))


def fetch_many(names: list[str], *, mirror: str | None = None, timeout: float = DEFAULT_TIMEOUT,
               progress: ProgressFactory | None = None) -> tuple[list[Fetched], list[FetchError]]:  # fmt: skip
    """Fetch each name; one failure does not stop the others."""
    if mirror:
        check_mirror(mirror)
    done: list[Fetched] = []
    failed: list[FetchError] = []
    for name in names:
        try:
            done.append(fetch(name, mirror=mirror, timeout=timeout, progress=progress))
        except FetchError as exc:
            failed.append(exc)
    return done, failed


def rich_progress(stream=None):
    """A rich progress bar on ``stream`` (stderr) when it is a terminal, else ``None`` (no bar)."""
    stream = stream if stream is not None else sys.stderr
    if not stream.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
        console=Console(file=stream), transient=False,
    )  # fmt: skip


def progress_factory(bar) -> ProgressFactory:
    def start(name: str, total: int | None) -> Advance:
        task = bar.add_task(name, total=total)
        return lambda n: bar.advance(task, n)

    return start


def fetch_with_bar(names: list[str], *, mirror: str | None, timeout: float, stream=None):
    """``fetch_many`` with a rich progress bar on ``stream`` (stderr) when it is a terminal."""
    bar = rich_progress(stream)
    if bar is None:
        return fetch_many(names, mirror=mirror, timeout=timeout)
    with bar:
        return fetch_many(names, mirror=mirror, timeout=timeout, progress=progress_factory(bar))


def run_fetch(names: list[str], *, mirror: str | None, timeout: float, out=None, err=None) -> int:
    """Fetch, then one line per file; 0 when all are present after it, 1 when any failed."""
    out = out if out is not None else sys.stdout
    err = err if err is not None else sys.stderr
    done, failed = fetch_with_bar(names, mirror=mirror, timeout=timeout, stream=err)
    for item in done:
        print(item.line(), file=out)
    for exc in failed:
        print(exc, file=err)
    return 1 if failed else 0


def setup(timeout: float = SETUP_TIMEOUT) -> int:
    """Set-up step: fetch what is missing, best effort; always 0, at most one line on failure."""
    names = [n for n in weights.downloadable() if weights.status(n).path is None]
    if not names:
        return 0
    try:
        done, failed = fetch_with_bar(names, mirror=mirror_from_env(), timeout=timeout)
    except UserError as exc:  # a bad mirror variable
        print(f"[weights] IS/LPIPS weights not fetched: {exc}", file=sys.stderr)
        return 0
    for item in done:
        if item.downloaded:
            print(f"[weights] {item.name} installed: {item.path}", file=sys.stderr)
    if failed:
        reasons = "; ".join(f"{e.name}: {e.reason}" for e in failed)
        print(f"[weights] not downloaded ({reasons}): IS and LPIPS stay unavailable until "
              "`cgan-tui weights fetch --all` or `cgan-tui weights import NAME FILE`", file=sys.stderr)  # fmt: skip
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cgan_tui.gan.weights_fetch", description=__doc__.split("\n")[0])
    parser.add_argument("--setup", action="store_true", help="best effort for the set-up step: always exit 0")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per connect/read")
    args = parser.parse_args(argv)
    if args.setup:
        return setup(args.timeout or SETUP_TIMEOUT)
    try:
        return run_fetch(weights.downloadable(), mirror=mirror_from_env(), timeout=args.timeout or DEFAULT_TIMEOUT)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
