"""``cgan-tui serve``: the same app in web browsers, through textual-serve.

textual-serve starts one app process per browser session (``python -m cgan_tui --read-only``, the
same database). The database and artifact locations reach those processes through the environment
(``CGAN_TUI_DB``, ``CGAN_TUI_ARTIFACTS``), never on the command line textual-serve prints: a
PostgreSQL password stays off the console and out of ``ps``.
"""

from __future__ import annotations

import argparse
import ipaddress
import shlex
import sys

from cgan_tui.errors import UserError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
INSTALL_HINT = "pip install 'cgan-tui[serve]' (or textual-serve)"


def register(subparsers: argparse._SubParsersAction) -> None:
    from cgan_tui.cli import add_common

    serve = subparsers.add_parser(
        "serve",
        help="serve the app to web browsers (one app per browser session; read-only unless --allow-writes)",
        description="Serve the terminal app to web browsers through textual-serve: each browser session "
        "runs its own app on the same database. Read-only unless --allow-writes; listens on this machine "
        "only unless --host says otherwise.",
    )
    serve.add_argument("--host", default=DEFAULT_HOST,
                       help=f"address to listen on (default {DEFAULT_HOST}: this machine only; 0.0.0.0: every "
                       "interface, so anyone who can reach the port sees the results)")  # fmt: skip
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    serve.add_argument("--allow-writes", action="store_true",
                       help="let browsers queue, rate, cancel and start workers (default: read-only)")  # fmt: skip
    serve.add_argument("--public-url", metavar="URL",
                       help="the address browsers open, when it is not http://HOST:PORT (a proxy, or --host 0.0.0.0)")  # fmt: skip
    add_common(serve)
    serve.set_defaults(func=run_serve)


def is_local(host: str) -> bool:
    """Whether only this machine can connect to ``host`` (a loopback address or ``localhost``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def session_command(args: argparse.Namespace) -> str:
    """The command textual-serve runs for each browser session: this interpreter, the app, its flags."""
    from cgan_tui.cli import disabled_plugins

    parts = [sys.executable, "-m", "cgan_tui"]
    for name in disabled_plugins(args):  # validated here: a typo fails before serving, not per browser
        parts += ["-p", f"no:{name}"]
    if getattr(args, "executor", None):
        parts += ["--executor", args.executor]
    if not args.allow_writes:
        parts.append("--read-only")
    return shlex.join(parts)


def public_url(args: argparse.Namespace) -> str:
    """Where browsers reach the server: the page tells the browser to open its websocket there."""
    if args.public_url:
        return args.public_url.rstrip("/")
    host = args.host
    if host in ("0.0.0.0", "::", ""):
        import socket

        host = socket.gethostname()  # "0.0.0.0" is not an address a browser can connect to
    return f"http://{f'[{host}]' if ':' in host else host}:{args.port}"


def banner(args: argparse.Namespace, url: str, db: str) -> list[str]:
    """What ``serve`` says before it starts: where, which database, read-only or not, who can connect."""
    mode = "writes allowed" if args.allow_writes else "read-only (--allow-writes lets browsers queue and rate)"
    lines = [f"cgan-tui serve: {url} · database {db} · {mode}"]
    if is_local(args.host):
        lines.append(f"cgan-tui serve: listening on {args.host} only: browsers on this machine (--host 0.0.0.0 to share)")
    else:
        who = " and can queue, rate and cancel runs" if args.allow_writes else ""
        lines.append(f"cgan-tui serve: warning: listening on {args.host}: anyone who can reach port {args.port} "
                     f"sees the results{who}")  # fmt: skip
    return lines


def check_port(host: str, port: int) -> None:
    """Bind and release the address first: a port in use or an unknown host is one line, said before
    textual-serve prints its banner (it binds only after printing it)."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server itself binds
            probe.bind((host.strip("[]"), port))
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def run_serve(args: argparse.Namespace) -> int:
    import os

    from cgan_tui.redact import redact
    from cgan_tui.settings import DB_ENV, IMAGES_ENV
    from cgan_tui.store.location import database_url, sqlite_path

    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port} is not a port; valid: 1..65535")
    try:
        from textual_serve.server import Server
    except ImportError:
        raise UserError(f"cgan-tui serve needs textual-serve: {INSTALL_HINT}") from None
    url = database_url(getattr(args, "db", None))
    path = sqlite_path(url)
    if path is not None and not path.exists() and not args.allow_writes:
        raise UserError(f"no database at {path}: a read-only server shows an existing one (--db PATH|URL)")
    check_port(args.host, args.port)
    command = session_command(args)
    os.environ[DB_ENV] = url  # every session's app opens this database (resolved: a relative path stays put)
    os.environ[IMAGES_ENV] = "halfcell"  # the browser's terminal (xterm.js) draws no Sixel/Kitty graphics
    where = public_url(args)
    for line in banner(args, where, redact(url)):
        print(line, file=sys.stderr if "warning:" in line else sys.stdout, flush=True)
    server = Server(command, host=args.host, port=args.port, title="cgan-tui", public_url=where)
    try:
        server.serve()
    except OSError as exc:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None
    return 0
