"""Secrets in every URL form are masked (issue 26): ``user:pw@``, ``?password=``, ``?passfile=`` show as ``***``
through the one ``redact()``, in the TUI header, in a failed connection's line and on the app's error screen;
a malformed URL is one line, not a ValueError traceback."""

from __future__ import annotations

import pytest

from cgan_tui.cli import main
from cgan_tui.redact import MASK, redact
from cgan_tui.ui.app import CganApp
from cgan_tui.ui.screens.message import MessageScreen
from cgan_tui.ui.services import Services
from tests.pg_server import PASSWORD
from tests.ui.conftest import wait_for

SECRET = "s3cret-in-query"
UNREACHABLE = "postgresql://lab@127.0.0.1:1/db"  # port 1: refused at once


@pytest.mark.parametrize("text, shown", [
    ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
    ("postgresql://lab@h/db?password=pw&sslmode=disable", "postgresql://lab@h/db?password=***&sslmode=disable"),
    ("postgresql://lab@h/db?sslmode=x&PASSWORD=pw&passfile=/home/l/.pgpass", "postgresql://lab@h/db?sslmode=x&PASSWORD=***&passfile=***"),
    ("postgresql://lab@h/db?sslpassword=pw", "postgresql://lab@h/db?sslpassword=***"),
    ("open postgresql://l@h/db?passfile=/x/.pgpass: refused", "open postgresql://l@h/db?passfile=***: refused"),
    ("host=h password=pw user=u", "host=h password=*** user=u"),
    ("postgresql://u:p@[::1/db", "postgresql://u:***@[::1/db"),  # malformed: still masked, never parsed
    ("postgresql://u@h/db", "postgresql://u@h/db"),
    ("sqlite:////tmp/x.db", "sqlite:////tmp/x.db"),
    ("my_password=1 compressed=2", "my_password=1 compressed=2"),
])  # fmt: skip
def test_redact_masks_every_form(text, shown):
    assert redact(text) == shown
    assert redact(shown) == shown


@pytest.mark.parametrize("url", [
    f"{UNREACHABLE}?password={SECRET}&sslmode=disable",
    f"{UNREACHABLE}?passfile=/home/lab/{SECRET}.pgpass",
    f"postgresql://lab:{SECRET}@127.0.0.1:1/db",
])  # fmt: skip
def test_a_failed_connection_is_one_line_without_the_secret(url, capsys):
    assert main(["ls", "--db", url]) == 2
    out, err = capsys.readouterr()
    assert SECRET not in out + err and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("cgan-tui: error: cannot open database") and MASK in lines[0]


def test_a_malformed_url_is_one_line(capsys):
    assert main(["ls", "--db", "postgresql://u:p@[::1/db"]) == 2
    _, err = capsys.readouterr()
    assert "Traceback" not in err and "ValueError" not in err
    assert err.strip().splitlines() == [
        "cgan-tui: error: --db 'postgresql://u:***@[::1/db' is not a valid database URL (invalid literal for int() "
        "with base 10: ':1'); a host with a port is written host:5432, an IPv6 host [::1]:5432"
    ]


def _app(url: str, registries) -> CganApp:
    return CganApp(Services(url, plugin_loader=lambda: registries, image_renderer="halfcell", poll_interval=0.3))


async def test_tui_error_screen_hides_the_query_password(registries):
    app = _app(f"{UNREACHABLE}?password={SECRET}", registries)
    async with app.run_test(size=(120, 30)) as pilot:
        # the screen is pushed before its children mount: wait for the message itself, not the screen
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen) and bool(app.screen.query("#message-box")),
                       what="the error screen's message")  # fmt: skip
        shown = str(app.screen.query_one("#message-box").render())
        assert "cannot open database" in shown and "password=***" in shown and SECRET not in shown
        assert SECRET not in app.sub_title + app.title


async def test_tui_header_hides_the_query_password(pg_url, registries):
    url = pg_url.replace(f":{PASSWORD}@", "@") + f"?password={PASSWORD}"  # the query form, accepted by libpq
    assert PASSWORD in url and f":{PASSWORD}@" not in url
    app = _app(url, registries)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: app.sub_title not in ("", "opening database…") or app.store_error is not None,
                       what="the database opened")  # fmt: skip
        assert app.store_error is None, app.store_error
        assert app.sub_title.endswith("?password=***") and PASSWORD not in app.sub_title
