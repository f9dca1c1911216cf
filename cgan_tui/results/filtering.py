"""The results filter language: free text plus ``field:value`` terms, e.g. ``hinge status:completed emb:32``.

``tag:NAME`` matches runs carrying that tag (several ``tag:`` terms: all of them); archived runs are left out
unless the filter says ``archived:yes`` (only them) or ``archived:all`` (both). The one parser and matcher
for the app's filter and ``ls --filter`` (``results.table.filter_rows`` applies it).
"""

from __future__ import annotations

from typing import Any

from cgan_tui.errors import UserError
from cgan_tui.formatting import count

FIELDS = {
    "loss": "loss",
    "status": "status",
    "model": "model",
    "family": "model",
    "cond": "conditioning",
    "conditioning": "conditioning",
    "emb": "embed_dim",
    "embed": "embed_dim",
    "embed_dim": "embed_dim",
    "epoch": "epoch",
    "seed": "seed",
    "run": "run_id",
    "exp": "experiment",
    "experiment": "experiment",
    "tag": "tags",
    "tags": "tags",
    "archived": "archived",
}
"""Filter field name (with short aliases) -> ResultRow column key."""


NUMBER_FIELDS = frozenset({"embed_dim", "epoch", "seed", "run_id"})
"""Columns holding whole numbers: a term giving them anything else is refused (``emb:abc``), not matched."""


class FilterError(UserError, ValueError):
    """A filter term naming an unknown field."""


ARCHIVED = {"yes": True, "no": False, "all": None}
"""``archived:`` values: only archived runs, only the others (a filter without the term), or both."""
ARCHIVED_DEFAULT = "no"
ARCHIVED_MARK = "⊘"
"""Put before an archived run's label where archived runs are listed (``archived:all``)."""
SHOW_ARCHIVED = "filter archived:all"
"""How the app shows archived runs (``ls`` says ``--archived``)."""


def parse_filter(query: str) -> tuple[str, dict[str, str]]:
    """Split a filter into free text and exact column matches; unknown fields are a clear error."""
    words: list[str] = []
    equals: dict[str, str] = {}
    for term in query.split():
        name, sep, value = term.partition(":")
        if not sep:
            words.append(term)
            continue
        key = FIELDS.get(name.lower())
        if key is None:
            valid = ", ".join(sorted(set(FIELDS)))
            raise FilterError(f"unknown filter field {name!r}; valid: {valid}")
        if key == "archived" and value.lower() not in ARCHIVED:
            raise FilterError(f"archived:{value} is not a choice; valid: {', '.join('archived:' + v for v in ARCHIVED)}")
        if key in NUMBER_FIELDS and not value.strip().lstrip("-").isdigit():
            raise FilterError(f"{term}: {name} takes a whole number, e.g. {name}:32")
        if key == "tags" and key in equals:  # tag:a tag:b -> runs with both
            value = f"{equals[key]} {value}"
        equals[key] = value
    return " ".join(words), equals


def matches(row: Any, key: str, wanted: str) -> bool:
    """Whether ``row`` (a ``ResultRow``) passes one ``key:wanted`` term (``wanted`` casefolded)."""
    if key == "tags":
        return set(wanted.split()) <= {t.casefold() for t in row.tags}
    if key == "archived":
        want = ARCHIVED.get(wanted, False)
        return want is None or bool(row.archived) == want
    return str(row.get(key)).casefold() == wanted


def no_match_line(asked: str, in_database: int, archived_hidden: int = 0, show_archived: str = SHOW_ARCHIVED) -> str:
    """Why nothing is listed on a database that has models: the filter (``asked``, "" for none) matches none
    of them. ``archived_hidden``: archived runs' models left out (``show_archived`` says how to list them)."""
    archived = f", {archived_hidden} archived: {show_archived} lists them" if archived_hidden else ""
    what = f"match {asked!r}" if asked else "to show"
    return f"no models {what} ({count(in_database, 'model')} in the database{archived})"
