"""Which configuration fields differ between runs: compare's "differs" line and ``cgan-tui diff``.

Configs are the stored, resolved ``RunConfig`` dicts; nested mappings are compared field by field under
dotted names (``options.lr``). Plain data in, plain data out: torch-free and UI-free.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ABSENT = "(absent)"
"""How a field one run's config lacks reads (a config from an older cgan-tui, a plugin's option)."""
_MISSING = object()


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists and scalars are leaves."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def value_text(value: Any) -> str:
    """A config value as one short line: JSON for data (``[10, 20]``, ``true``), bare strings, ``(absent)``."""
    if value is _MISSING:
        return ABSENT
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class ConfigDiff:
    """``differs``: (field, one value text per run, in ``run_ids`` order); ``same``: (field, the shared value)."""

    run_ids: tuple[int, ...]
    differs: tuple[tuple[str, tuple[str, ...]], ...]
    same: tuple[tuple[str, str], ...]
    values: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    """Field -> the stored values themselves, one per run (None where a config lacks it): ``diff --json``'s."""

    def summary(self, limit: int = 8) -> str:
        """One line: ``differs (r1 | r2): loss bce | hinge · embed_dim 10 | 32 (+2 more); 21 fields equal``."""
        if len(set(self.run_ids)) < 2:
            return "differs: nothing (one run)"
        if not self.differs:
            return f"differs: nothing; all {len(self.same)} config fields are equal"
        runs = " | ".join(f"r{i}" for i in self.run_ids)
        parts = [f"{name} {' | '.join(values)}" for name, values in self.differs[:limit]]
        more = f" (+{len(self.differs) - limit} more)" if len(self.differs) > limit else ""
        return f"differs ({runs}): {' · '.join(parts)}{more}; {len(self.same)} fields equal"


def config_diff(configs: Mapping[int, Mapping[str, Any]] | Sequence[tuple[int, Mapping[str, Any]]]) -> ConfigDiff:
    """The fields whose values differ between the runs' configs (in field order), and those that do not."""
    pairs = list(configs.items()) if isinstance(configs, Mapping) else list(configs)
    flat = [(run_id, flatten(config)) for run_id, config in pairs]
    names = sorted({name for _, fields in flat for name in fields})
    differs, same, raw = [], [], {}
    for name in names:
        values = [fields.get(name, _MISSING) for _, fields in flat]
        raw[name] = tuple(None if v is _MISSING else v for v in values)
        texts = tuple(value_text(v) for v in values)
        if len({json.dumps(v, sort_keys=True, default=str) if v is not _MISSING else ABSENT for v in values}) > 1:
            differs.append((name, texts))
        else:
            same.append((name, texts[0]))
    return ConfigDiff(tuple(run_id for run_id, _ in flat), tuple(differs), tuple(same), raw)
