"""The one place that hides database passwords: every URL shown, logged or put in an error goes through it.

Pure string work (no SQLAlchemy import): the TUI header, the CLI, worker logs and ``StoreError``
messages all call ``redact``. It masks every form a secret takes in a database URL or a libpq
connection string: ``scheme://user:password@host``, ``?password=...`` / ``&passfile=...`` (and
``sslpassword``), ``password=... host=...``; it works on malformed URLs too (it never parses them) and
is idempotent.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)(?P<password>[^\s'\"]*)(?P<at>@)")
SECRET_KEYS = ("password", "passfile", "sslpassword")
"""Connection parameters whose value is a secret or says where one is (query string or key=value form)."""
_KEY_SECRET = re.compile(r"(?P<head>(?<![A-Za-z0-9_])(?:" + "|".join(SECRET_KEYS) + r")\s*=\s*)(?P<value>'[^']*'|[^\s&;'\"#]*?)"
                         r"(?=[:,.)]?(?:\s|$)|[&;'\"#])",
                         re.IGNORECASE)  # fmt: skip


def redact(text: object) -> str:
    """``text`` with every secret of a database URL or connection string replaced by ``***``: the password
    of ``scheme://user:password@...`` and the value of ``password=``, ``passfile=``, ``sslpassword=``."""
    masked = _URL_PASSWORD.sub(lambda m: m.group("head") + MASK + m.group("at"), str(text))
    return _KEY_SECRET.sub(lambda m: m.group("head") + MASK, masked)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message (and the traceback) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def redact_logging(logger: logging.Logger | None = None) -> None:
    """Attach ``RedactingFilter`` to every handler of ``logger`` (default: the root logger)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
