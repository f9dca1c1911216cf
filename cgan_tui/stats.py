"""Statistics across seeds: the one home for confidence intervals and significance tests.

A *setting* is everything of a run's config except its seed (and where it ran); runs of one setting
with different seeds are repeats. Intervals are Student-t 95 % intervals of the mean; two settings
differ significantly when Welch's t-test (unequal variances) gives p < ``ALPHA``. scipy.stats does
the distributions; it is imported on first use only, so ``ls`` and the TUI start without it.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

CONFIDENCE = 0.95
ALPHA = 0.05
MIN_SEEDS = 2
"""A mean gets an interval, and two settings a test, only with at least this many values each."""

NOT_A_SETTING = ("seed", "device", "data_dir", "num_workers", "epochs", "checkpoint_epochs", "log_every")
"""Config fields that do not change what is being measured: runs differing only in these are repeats.
A model is compared at an epoch (the key gets ``@eN``), and no built-in family schedules anything over
the planned length, so a run planned for 30 epochs is at epoch 10 what a 10-epoch run is (and a run
extended with ``queue extend`` stays one setting with its seeds). ``log_every`` only changes how often step
curves are recorded, never the training itself."""


def setting_of(config: dict) -> str:
    """A stable key for a run's setting: its config without ``NOT_A_SETTING`` (sorted JSON)."""
    kept = {k: v for k, v in config.items() if k not in NOT_A_SETTING}
    return json.dumps(kept, sort_keys=True, default=str)


def _finite(values: Sequence[float | None]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def ci_half_width(values: Sequence[float | None], confidence: float = CONFIDENCE) -> float | None:
    """Half width of the Student-t interval of the mean (``mean ± h``); None under ``MIN_SEEDS`` values."""
    xs = _finite(values)
    n = len(xs)
    if n < MIN_SEEDS:
        return None
    from scipy import stats

    sd = statistics.stdev(xs)
    return float(stats.t.ppf((1 + confidence) / 2, n - 1) * sd / math.sqrt(n))


@dataclass(frozen=True)
class Comparison:
    """Welch's t-test of two groups' values: ``p`` None when either has fewer than ``MIN_SEEDS``."""

    n_a: int
    n_b: int
    p: float | None

    @property
    def tested(self) -> bool:
        return self.p is not None

    @property
    def significant(self) -> bool:
        return self.p is not None and self.p < ALPHA

    def text(self) -> str:
        """``p=0.012 *`` (significant), ``p=0.31 n.s.``, or why there is no test."""
        if self.p is None:
            return f"untested ({self.n_a} vs {self.n_b} seeds; needs ≥{MIN_SEEDS} each)"
        return f"p={format_p(self.p)} {'*' if self.significant else 'n.s.'}"


def welch(a: Sequence[float | None], b: Sequence[float | None]) -> Comparison:
    """Welch's t-test (two-sided) between two settings' values across seeds."""
    xa, xb = _finite(a), _finite(b)
    if len(xa) < MIN_SEEDS or len(xb) < MIN_SEEDS:
        return Comparison(len(xa), len(xb), None)
    if len(set(xa)) == 1 and len(set(xb)) == 1:  # no spread at all: the test is undefined (0/0)
        return Comparison(len(xa), len(xb), 1.0 if xa[0] == xb[0] else 0.0)
    from scipy import stats

    p = float(stats.ttest_ind(xa, xb, equal_var=False).pvalue)
    return Comparison(len(xa), len(xb), p)


def format_p(p: float) -> str:
    """Two significant digits, ``<0.001`` below that."""
    return "<0.001" if p < 0.001 else f"{p:.2g}"


def seed_values(rows, model, key: str) -> list[float]:
    """``key``'s values of every model of ``model``'s setting (its repeats over seeds, ``model`` included),
    at ``model``'s sample count for that key: values at other n are not comparable."""
    n = model.n_samples.get(key)
    out = []
    for row in rows:
        value = row.get(key)
        if row.setting_key == model.setting_key and value is not None and row.n_samples.get(key) == n:
            out.append(float(value))
    return out


def compare_settings(rows, a, b, key: str) -> Comparison:
    """Welch's test of ``key`` between the settings of models ``a`` and ``b`` (seeds pooled per setting)."""
    if a.setting_key == b.setting_key:
        return Comparison(0, 0, None)
    return welch(seed_values(rows, a, key), seed_values(rows, b, key))


def hedges_g(a: Sequence[float | None], b: Sequence[float | None]) -> float | None:
    """Hedges' g of ``a`` minus ``b``: Cohen's d on the pooled standard deviation with the small-sample
    correction ``1 - 3 / (4 (na + nb) - 9)``; None under ``MIN_SEEDS`` values a side or with no spread."""
    xa, xb = _finite(a), _finite(b)
    na, nb = len(xa), len(xb)
    if na < MIN_SEEDS or nb < MIN_SEEDS:
        return None
    pooled = ((na - 1) * statistics.variance(xa) + (nb - 1) * statistics.variance(xb)) / (na + nb - 2)
    if pooled <= 0:
        return None
    d = (statistics.fmean(xa) - statistics.fmean(xb)) / math.sqrt(pooled)
    return d * (1 - 3 / (4 * (na + nb) - 9))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order (step-down, monotone, capped at 1)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def spearman(x: Sequence[float], y: Sequence[float]) -> tuple[float | None, int]:
    """Spearman's rank correlation and the number of pairs; None under 3 pairs or with a constant side."""
    pairs = [(float(a), float(b)) for a, b in zip(x, y, strict=True) if a is not None and b is not None]
    n = len(pairs)
    if n < 3 or len({a for a, _ in pairs}) < 2 or len({b for _, b in pairs}) < 2:
        return None, n
    from scipy import stats

    rho = stats.spearmanr([a for a, _ in pairs], [b for _, b in pairs]).statistic
    return float(rho), n


@dataclass(frozen=True)
class PairTest:
    """One pair of groups tested: Welch's p, its Holm adjustment across the pairs shown, Hedges' g."""

    a: object
    b: object
    n_a: int
    n_b: int
    p: float
    p_holm: float
    g: float | None

    @property
    def significant(self) -> bool:
        return self.p_holm < ALPHA


def all_pairs(groups: dict[object, Sequence[float | None]], pairable=lambda a, b: True) -> list[PairTest]:
    """Welch's test of every pair of groups with at least ``MIN_SEEDS`` values each (and ``pairable``),
    Holm-corrected across exactly those pairs, with Hedges' g (first minus second)."""
    testable = [k for k, v in groups.items() if len(_finite(v)) >= MIN_SEEDS]
    raw = []
    for i, a in enumerate(testable):
        for b in testable[i + 1 :]:
            if pairable(a, b):
                c = welch(groups[a], groups[b])
                raw.append((a, b, c))
    adjusted = holm([c.p for _, _, c in raw])  # type: ignore[misc]
    return [PairTest(a, b, c.n_a, c.n_b, float(c.p), p_h, hedges_g(groups[a], groups[b]))  # type: ignore[arg-type]
            for (a, b, c), p_h in zip(raw, adjusted, strict=True)]  # fmt: skip


@dataclass(frozen=True)
class SettingGroup:
    """One setting at one epoch and one n: its models' values of one key, one per seed."""

    setting: str
    """The setting's name without the epoch (``seed004 HINGE_32 #ab12``)."""
    epoch: int
    n: int | None
    values: tuple[float, ...]
    seeds: tuple[int, ...]
    key: str = ""
    """The rows' ``setting_key`` (config without its seed, epoch included)."""
    name: str = ""
    """The setting as ``ResultRow.setting`` writes it (the group name of ``ls --aggregate setting``)."""

    @property
    def mean(self) -> float:
        return statistics.fmean(self.values)

    @property
    def ci(self) -> float | None:
        return ci_half_width(self.values)

    @property
    def label(self) -> str:
        return f"{self.setting} e{self.epoch}"


def setting_groups(rows: Iterable, key: str) -> list[SettingGroup]:
    """Models grouped by setting (epoch included) and n, values of ``key`` pooled over seeds."""
    groups: dict[tuple[str, int | None], list] = defaultdict(list)
    names: dict[tuple[str, int | None], tuple[str, int, str]] = {}
    for r in rows:
        value = r.get(key)
        if value is None:
            continue
        k = (r.setting_key, r.n_samples.get(key))
        groups[k].append((float(value), r.seed))
        names[k] = (r.setting.replace(f" e{r.epoch} #", " #"), r.epoch, r.setting)  # the setting, its epoch apart
    return [SettingGroup(names[k][0], names[k][1], k[1], tuple(v for v, _ in vs), tuple(s for _, s in vs), k[0],
                         names[k][2]) for k, vs in groups.items()]  # fmt: skip


def setting_tests(rows: Iterable, key: str, settings: Iterable[str] | None = None) -> list[PairTest]:
    """The one test of settings across seeds (the report, the aggregate view, ``ls --aggregate setting`` and
    the compare screen all call it): every pair of settings at the same epoch and n with at least
    ``MIN_SEEDS`` seeds a side, Welch's test on ``key``, Holm-corrected across exactly these pairs, Hedges'
    g; ``settings``: only these ``setting_key`` values (compare: the marked models' settings). Each pair's
    ``a``/``b`` is a ``SettingGroup``."""
    groups = setting_groups(rows, key)
    if settings is not None:
        wanted = set(settings)
        groups = [g for g in groups if g.key in wanted]
    return all_pairs({g: g.values for g in groups}, lambda a, b: (a.epoch, a.n) == (b.epoch, b.n))


CORRECTION = "Holm"
PAIR_HEADERS = ("setting A", "setting B", "seeds", "mean A − B", "Hedges' g", "p (Welch)", f"p ({CORRECTION})", "")


def pair_texts(pair: PairTest) -> list[str]:
    """One pair as the CLI and the TUI show it (``PAIR_HEADERS``): names, seeds per side, difference of means,
    Hedges' g, Welch's p, the Holm-adjusted p and ``*`` (significant after correction) or ``n.s.``."""
    a, b = pair.a, pair.b
    diff = a.mean - b.mean  # type: ignore[attr-defined]
    return [a.name or a.label, b.name or b.label, f"{pair.n_a} vs {pair.n_b}", f"{diff:+.3g}",  # type: ignore[attr-defined]
            "—" if pair.g is None else f"{pair.g:+.2f}", format_p(pair.p), format_p(pair.p_holm),
            "*" if pair.significant else "n.s."]  # fmt: skip


def pairs_caption(key: str, pairs: Sequence[PairTest]) -> str:
    """What the pairs table shows and on what evidence; why there is none when no pair is testable."""
    if not pairs:
        return (f"no pair of settings at the same epoch has ≥{MIN_SEEDS} seeds a side: nothing tested on {key} "
                "(repeat settings over seeds, the grid's `seed = [..]`, to compare them)")  # fmt: skip
    return (f"Welch's t-test on {key} for every pair of settings at the same epoch and n with ≥{MIN_SEEDS} seeds a "
            f"side; p {CORRECTION}-corrected across the {len(pairs)} pair(s) shown, * = p({CORRECTION}) < {ALPHA}; "
            "Hedges' g of A minus B (small-sample corrected)")  # fmt: skip
