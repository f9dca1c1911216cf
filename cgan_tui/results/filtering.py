"""The results filter language: free text plus ``field:value`` terms, e.g. ``hinge status:completed emb:32``."""

from __future__ import annotations

from cgan_tui.errors import UserError

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
}
"""Filter field name (with short aliases) -> ResultRow column key."""


class FilterError(UserError, ValueError):
    """A filter term naming an unknown field."""


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
        equals[key] = value
    return " ".join(words), equals
