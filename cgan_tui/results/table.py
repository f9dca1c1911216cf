"""Table operations on rows: sort (missing last), filter, aggregate per group, format a value."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cgan_tui import stats
from cgan_tui.formatting import format_number
from cgan_tui.results import sample_n as by_n
from cgan_tui.results.columns import direction_of, directions
from cgan_tui.results.filtering import ARCHIVED_DEFAULT, matches
from cgan_tui.results.rows import ResultRow

if TYPE_CHECKING:
    from cgan_tui.plugins import Registries


@dataclass(frozen=True)
class AggregateRow:
    """Summary of one group (e.g. all models with loss=hinge) for one value key."""

    group: Any
    n: int
    mean: float | None
    std: float | None
    best: float | None
    sample_n: int | None = None
    """The sample count the values were taken at (groups are split by it); None: no values or no n."""
    ci: float | None = None
    """Half width of the 95 % Student-t interval of ``mean`` (``cgan_tui.stats``); None unless the values
    come from >= 2 runs, one value each (epochs of one run are not independent samples)."""
    runs: int = 0
    """How many different runs the group's values come from (for ``setting``: its seeds)."""



def _sortable(value: Any) -> Any:
    if isinstance(value, str):
        return value.casefold()
    return value


def sort_rows(rows: Sequence[ResultRow], keys: Sequence[tuple[str, bool]]) -> list[ResultRow]:
    """Stable multi-key sort; each key is ``(column key, descending)``; missing values always last.

    Values taken at another n than the column's reference n sort after those at it (``sample_n``).

    One pass per key, from the last key to the first (each pass is stable), each pass extracting its
    key once per row; 10,000 rows take a few milliseconds per key.
    """
    result = list(rows)
    for key, descending in reversed(list(keys)):
        present: list[tuple[Any, ResultRow]] = []
        missing: list[ResultRow] = []
        for row in result:
            value = row.get(key)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                missing.append(row)
            else:
                present.append((_sortable(value), row))
        result = by_n.order_present(present, key, descending) + missing
    return result


TEXT_FIELDS = ("label", "loss", "conditioning", "status", "model", "experiment", "tags")


def filter_rows(rows: Iterable[ResultRow], text: str = "", **equals: Any) -> list[ResultRow]:
    """Rows whose label/loss/conditioning/status/model/experiment/tags contain ``text`` (any case) and whose
    columns equal ``equals`` (compared as text, e.g. ``loss="hinge", embed_dim=32``; ``tags``/``archived``
    as ``results.filtering.matches`` says). Archived runs only when ``archived`` asks for them."""
    needle = text.strip().casefold()
    wanted = {k: str(v).casefold() for k, v in equals.items() if v is not None}
    wanted.setdefault("archived", ARCHIVED_DEFAULT)
    out = []
    for row in rows:
        if needle and not any(needle in str(row.get(f) or "").casefold() for f in TEXT_FIELDS):
            continue
        if not all(matches(row, k, v) for k, v in wanted.items()):
            continue
        out.append(row)
    return out


def archived_hidden(rows: Iterable[ResultRow], text: str = "", **equals: Any) -> int:
    """How many models the filter would show but leaves out because their run is archived (0 when the filter
    says ``archived:``): what the app's status line and the no-match lines count."""
    if equals.get("archived") is not None:
        return 0
    return len(filter_rows(rows, text, **{**equals, "archived": "yes"}))


def aggregate(
    rows: Iterable[ResultRow],
    by: str,
    value_key: str,
    better: str | None = None,
    registries: Registries | None = None,
) -> list[AggregateRow]:
    """Mean, sample standard deviation, 95 % interval (``ci``: values of >= 2 runs, one each) and best value of
    ``value_key`` per value of column ``by`` (``by="setting"``: one group per setting, its seeds pooled).

    Rows missing the value are left out of the numbers (``n`` counts only present values); groups
    whose rows are all missing still appear with ``n == 0``. Values taken at different sample counts
    are never pooled: a group appears once per sample count (``sample_n``). ``better`` defaults to the key's
    direction from the specs of ``registries`` (plugins' metrics included; None: the plugins are loaded).
    """
    better = better or direction_of(value_key, directions(registries)) or "lower"
    rows = list(rows)
    groups = by_n.aggregate_groups(rows, by, value_key)
    runs: dict[tuple[Any, int | None], set[int]] = {}
    for row in rows:
        if row.get(value_key) is not None:
            runs.setdefault((row.get(by), row.n_samples.get(value_key) or None), set()).add(row.run_id)
    out = []
    for group, sample_n in sorted(groups, key=lambda g: (_group_order(g[0]), -(g[1] or 0))):
        values = groups[(group, sample_n)]
        n = len(values)
        mean = statistics.fmean(values) if n else None
        std = statistics.stdev(values) if n >= 2 else None  # the sample standard deviation (n - 1)
        best = (min(values) if better == "lower" else max(values)) if n else None
        n_runs = len(runs.get((group, sample_n), ()))
        independent = n >= stats.MIN_SEEDS and n_runs == n  # one value per run: repeats, not epochs of one run
        ci = stats.ci_half_width(values) if independent else None
        out.append(AggregateRow(group=group, n=n, mean=mean, std=std, best=best, sample_n=sample_n, ci=ci,
                                runs=n_runs))  # fmt: skip
    return out


def _group_order(group: Any) -> tuple:
    if group is None:
        return (2, 0)
    if isinstance(group, (int, float)) and not isinstance(group, bool):
        return (0, group)
    return (1, str(group).casefold())


def format_value(value: Any, key: str = "") -> str:
    """Human text for a number (``cgan_tui.formatting.format_number``); None as ``—``."""
    return format_number(value, key)
