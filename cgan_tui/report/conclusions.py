"""The report's two conclusions, each printed only with its evidence (DESIGN.md, "Conclusions, honestly").

* **Scores vs eyes**: the seed's "central finding" (the best-scoring model is not the one that looks
  best) is claimed only when at least ``MIN_RATED`` models are fully rated; the text says how many models
  and ratings support it and gives Spearman's rank correlation between combined and rating, with n.
* **Settings across seeds**: every pair of settings (a config without its seed, at one epoch and one n)
  with at least ``stats.MIN_SEEDS`` seeds a side is tested (Welch), the p-values Holm-corrected across the
  pairs shown, each with Hedges' g; the reference of each epoch is the best mean among *testable*
  settings, so a one-seed setting can never make every other row "untested".
"""

from __future__ import annotations

from cgan_tui import results, scoring, stats
from cgan_tui.formatting import compact_n, count
from cgan_tui.report.tables import Cell, Table, value_cell

MIN_RATED = 2
"""Fully rated models needed before the report says whether the best-scoring model also looks best."""


def _rated_models(rows) -> dict[tuple[int, int], float]:
    out = {}
    for r in rows:
        q = scoring.qualitative(r.ratings)
        if q is not None:
            out[(r.run_id, r.epoch)] = q
    return out


def scores_vs_eyes(rows, backend: str, directions: dict[str, str]) -> tuple[Table | None, list[str]]:
    """Ranks by combined and by human rating side by side; the first note is the conclusion (or why there
    is none), the rest call out models whose two ranks differ by 2 or more."""
    key = f"combined@{backend}"
    scored = [r for r in rows if r.get(key) is not None]
    if not scored:
        return None, [f"No model has {key} yet: evaluate with `cgan-tui eval RUN_ID`."]
    by_score = results.sort_rows(scored, [(key, results.direction_of(key, directions) == "higher")])
    score_rank = {(r.run_id, r.epoch): i + 1 for i, r in enumerate(by_score)}
    human = _rated_models(scored)
    rated = sorted(human, key=lambda m: -human[m])
    human_rank = {m: i + 1 for i, m in enumerate(rated)}
    body, classes, notes = [], [], []
    for r in by_score:
        m = (r.run_id, r.epoch)
        hr = human_rank.get(m)
        delta = None if hr is None else hr - score_rank[m]
        disagree = delta is not None and abs(delta) >= 2
        classes.append("disagree" if disagree else "")
        body.append([
            Cell(str(score_rank[m])), Cell(r.label, numeric=False), Cell(str(r.run_id)), Cell(str(r.seed)),
            value_cell(r, key, set()),
            Cell("—" if m not in human else f"{human[m]:.1f}", key="human@rating", value=human.get(m), run=r.run_id,
                 epoch=r.epoch),
            Cell("—" if hr is None else str(hr)), Cell("—" if delta is None else f"{delta:+d}"),
        ])  # fmt: skip
        if disagree:
            notes.append(f"{r.label} (run {r.run_id}): rank {score_rank[m]} by combined, {hr} by eye")
    notes.insert(0, _verdict(scored, by_score, human, rated, key))
    headers = ["rank", "model", "run", "seed", results._title(key) + " ↓", "human (0-100)", "rank by eye", "Δ rank"]
    caption = (f"ranking by {key} next to the ranking by human rating (mean of the four criteria, 0-100); "
               "rows where the ranks differ by 2 or more are highlighted")  # fmt: skip
    return Table(caption, headers, body, classes), notes


def _verdict(scored, by_score, human: dict, rated: list, key: str) -> str:
    usage = f"`cgan-tui rate RUN --epoch E {scoring.rating_flags_usage()}` or the TUI's r key"
    ratings = sum(len(r.ratings) for r in scored if (r.run_id, r.epoch) in human)
    evidence = f"{len(rated)} of {count(len(scored), 'model')} rated ({count(ratings, 'rating')})"
    if len(rated) < MIN_RATED:
        return (f"No conclusion on scores vs eyes: {evidence}; comparing the two rankings needs at least "
                f"{MIN_RATED} rated models. Rate with {usage}.")  # fmt: skip
    rho, n = stats.spearman([scored_value(scored, m, key) for m in rated], [human[m] for m in rated])
    # combined is lower-better and ratings higher-better: agreement is a negative raw rho; report it as agreement
    agreement = (f"Spearman rank correlation between {key} (lower better) and rating: "
                 f"ρ = {-rho:+.2f} (n = {n}; +1 = same order)" if rho is not None
                 else f"rank correlation needs ≥ 3 rated models with distinct values (n = {n})")  # fmt: skip
    top_score = next(r for r in by_score if (r.run_id, r.epoch) in human)
    top_eye = next(r for r in scored if (r.run_id, r.epoch) == rated[0])
    if (top_score.run_id, top_score.epoch) != (top_eye.run_id, top_eye.epoch):
        claim = (f"Among the rated models, the best-scoring one ({top_score.label}, run {top_score.run_id}) is not the "
                 f"one that looks best ({top_eye.label}, run {top_eye.run_id}), as in the seed study's central finding")
    else:
        claim = f"Among the rated models, the best-scoring one ({top_score.label}, run {top_score.run_id}) is also rated best"
    return f"{claim}. Evidence: {evidence}; {agreement}."


def scored_value(rows, model: tuple[int, int], key: str) -> float:
    return next(float(r.get(key)) for r in rows if (r.run_id, r.epoch) == model)


SettingGroup = stats.SettingGroup
setting_groups = stats.setting_groups


def settings_across_seeds(rows, backend: str, directions: dict[str, str]) -> tuple[list[Table], str]:
    """The settings table (mean ± 95 % CI per setting and epoch) and the pairs table (Welch, Holm, Hedges' g);
    the note says why there is no test when no pair has enough seeds."""
    key = f"combined@{backend}" if any(r.get(f"combined@{backend}") is not None for r in rows) else f"fid@{backend}"
    better = results.direction_of(key, directions) or "lower"
    groups = setting_groups(rows, key)
    if not groups:
        return [], f"No model has {key} yet."
    sign = 1 if better == "lower" else -1
    groups.sort(key=lambda g: (g.epoch, g.n or 0, sign * g.mean))
    testable = [g for g in groups if len(g.values) >= stats.MIN_SEEDS]
    refs = {}
    for g in testable:  # the best testable setting of each (epoch, n)
        refs.setdefault((g.epoch, g.n), g)
    pairs = stats.setting_tests(rows, key)  # the one test the aggregate view, ls and compare show too
    body = []
    for g in groups:
        role = ("reference (best testable mean at this epoch)" if refs.get((g.epoch, g.n)) is g
                else "testable" if g in testable else f"untested: {len(g.values)} seed (needs ≥{stats.MIN_SEEDS})")
        body.append([Cell(g.setting, numeric=False), Cell(str(g.epoch)), Cell(str(len(g.values))),
                     Cell(", ".join(map(str, sorted(g.seeds))), numeric=False),
                     Cell(compact_n(g.n) if g.n else "—"), Cell(results.format_value(g.mean, key), key=f"mean:{key}", value=g.mean),
                     Cell("—" if g.ci is None else f"± {results.format_value(g.ci, key)}"), Cell(role, numeric=False)])  # fmt: skip
    tables = [Table(f"{key} per setting (config without its seed) and epoch, seeds pooled: mean ± 95 % Student-t "
                    "interval over seeds", ["setting", "epoch", "seeds", "seed ids", "at n", "mean", "95% CI", "role"], body)]  # fmt: skip
    if not pairs:
        return tables, (f"No pair of settings at the same epoch has ≥{stats.MIN_SEEDS} seeds on each side, so nothing is "
                        f"tested: repeat settings over seeds (the grid's `seed = [..]`) to compare them on {key}.")  # fmt: skip
    pair_rows = []
    for p in pairs:
        diff = p.a.mean - p.b.mean
        pair_rows.append([Cell(p.a.setting, numeric=False), Cell(p.b.setting, numeric=False), Cell(str(p.a.epoch)),
                          Cell(f"{p.n_a} vs {p.n_b}"), Cell(f"{diff:+.3g}"), Cell("—" if p.g is None else f"{p.g:+.2f}"),
                          Cell(stats.format_p(p.p)), Cell(stats.format_p(p.p_holm)),
                          Cell("*" if p.significant else "n.s.", numeric=False)])  # fmt: skip
    tables.append(Table(
        f"every pair of settings at the same epoch with ≥{stats.MIN_SEEDS} seeds a side: Welch's t-test on {key}, "
        f"p Holm-corrected across the {len(pairs)} pair(s) shown, * = p(Holm) < {stats.ALPHA}; Hedges' g of "
        "first minus second (small-sample corrected)",
        ["setting A", "setting B", "epoch", "seeds", "mean A − B", "Hedges' g", "p (Welch)", "p (Holm)", ""], pair_rows))  # fmt: skip
    return tables, ""
