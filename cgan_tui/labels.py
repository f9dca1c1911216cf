"""A run's note, tags and archived flag as plain values, with the rules for what a tag and a note may be.

The one home of those rules: the CLI (``tag``, ``note``), the app's label editor and the store all
check through here. Torch-free and SQLAlchemy-free.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cgan_tui.errors import UserError

TAG_RULE = "a letter, then up to 39 letters, digits, '_', '.' or '-'"
_TAG = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,39}")
NOTE_MAX = 2000
"""Characters a note may hold: a few paragraphs, not a lab book."""


class LabelError(UserError, ValueError):
    """A tag or note that breaks the rules above; the message names it and the rule."""


@dataclass(frozen=True)
class Label:
    """What the researcher says about one run (a run without a stored label has the defaults)."""

    note: str = ""
    tags: tuple[str, ...] = ()
    archived: bool = False


NO_LABEL = Label()


def check_tag(tag: str) -> str:
    """``tag`` when valid, else a ``LabelError`` naming it and the rule (a tag starts with a letter, so
    ``cgan-tui tag 3 4 best`` reads 3 and 4 as runs)."""
    if not _TAG.fullmatch(tag):
        raise LabelError(f"invalid tag {tag!r}: a tag is {TAG_RULE}")
    return tag


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags typed as one string (``best, baseline`` or ``best baseline``), checked, in order, without repeats."""
    return normalise(t for t in re.split(r"[\s,]+", text) if t)


def normalise(tags: Iterable[str]) -> tuple[str, ...]:
    """Checked tags without repeats, sorted: the stored order."""
    return tuple(sorted({check_tag(t) for t in tags}))


def join_tags(tags: Iterable[str]) -> str:
    """The stored form: space-separated."""
    return " ".join(normalise(tags))


def split_tags(stored: str | None) -> tuple[str, ...]:
    """The stored form back to a tuple (no checks: stored tags were checked when written)."""
    return tuple((stored or "").split())


def check_note(text: str) -> str:
    """A note as stored: trimmed, at most ``NOTE_MAX`` characters (longer is a ``LabelError``)."""
    note = text.strip()
    if len(note) > NOTE_MAX:
        raise LabelError(f"the note has {len(note)} characters; at most {NOTE_MAX}")
    return note


def summary(label: Label | None) -> str:
    """`` · tags best baseline · note: lr too high?`` for a title line ("" for a run without a label)."""
    if label is None:
        return ""
    parts = []
    if label.archived:
        parts.append("archived")
    if label.tags:
        parts.append("tags " + " ".join(label.tags))
    if label.note:
        first = label.note.splitlines()[0]
        parts.append(f"note: {first}{'…' if first != label.note else ''}")
    return "".join(f" · {p}" for p in parts)
