"""``cgan-tui export --format latex``: the tables a paper needs, as LaTeX (booktabs) source.

* a **models table** per score backend: one row per model (run x evaluated epoch), each value with its
  bootstrap standard error where one is stored (``38.2 $\\pm$ 0.4``), the sample count in the header (or
  beside a value taken at another n), the best value per column in bold (among values at the column's
  most common n: ``report.tables.best_models``);
* a **settings table**: each setting (config without its seed) at each epoch, mean $\\pm$ 95 % Student-t
  interval over its seeds, the best mean in bold, a dagger on a setting that differs from that best one
  after the correction; and the **pairs table** of ``stats.setting_tests`` (Welch, Holm, Hedges' g), the
  same test the report, the aggregate view, ``ls --aggregate setting`` and compare show. Captions name the
  test, the correction, the number of pairs and the seeds.

Every text from the database (labels, setting names) goes through ``safe_text.latex_text``. Torch- and
matplotlib-free.
"""

from __future__ import annotations

from collections.abc import Sequence

from cgan_tui import formatting, results, stats
from cgan_tui.formatting import compact_n
from cgan_tui.report.tables import best_models
from cgan_tui.safe_text import latex_text

MODEL_NAMES = ("fid", "intra_fid", "kid", "is", "lpips", "precision", "recall", "combined")
"""The values a models table shows, in this order, where the backend has them."""
PREAMBLE = "% needs \\usepackage{booktabs} (\\toprule, \\midrule, \\bottomrule)"
SIGNIFICANT = "$^{\\dagger}$"
ARROWS = {"lower": " $\\downarrow$", "higher": " $\\uparrow$"}


def latex_number(text: str) -> str:
    """A formatted value (``formatting``, ``stats.format_p``) as LaTeX: escaped, ``±`` as ``$\\pm$``."""
    return latex_text(text).replace("±", " $\\pm$ ")


def _table(caption: str, label: str, align: str, headers: Sequence[str], body: Sequence[Sequence[str]]) -> list[str]:
    """One ``table`` environment; ``headers`` and ``body`` cells are LaTeX already (escaped by the caller)."""
    return ["\\begin{table}[ht]", "\\centering", "\\small", f"\\caption{{{caption}}}", f"\\label{{{label}}}",
            f"\\begin{{tabular}}{{{align}}}", "\\toprule", " & ".join(headers) + " \\\\", "\\midrule",
            *(" & ".join(row) + " \\\\" for row in body), "\\bottomrule", "\\end{tabular}", "\\end{table}", ""]  # fmt: skip


def model_keys(rows, backend: str) -> list[str]:
    present = {k for r in rows for k in (*r.values, *r.scores) if any(r.get(k) is not None for r in rows)}
    keys = [f"{name}@{backend}" for name in MODEL_NAMES if f"{name}@{backend}" in present]
    if f"lpips@{backend}" not in keys and "lpips@lpips" in present:
        at = keys.index(f"combined@{backend}") if f"combined@{backend}" in keys else len(keys)
        keys.insert(at, "lpips@lpips")  # the shared LPIPS, before the scores it enters (as the report's table)
    return keys


def _reference_n(rows, key: str) -> int | None:
    counts: dict[int, int] = {}
    for r in rows:
        n = r.n_samples.get(key)
        if r.get(key) is not None and n:
            counts[n] = counts.get(n, 0) + 1
    return max(counts, key=lambda n: (counts[n], n)) if counts else None


def models_table(rows, backend: str, directions: dict[str, str]) -> list[str]:
    keys = model_keys(rows, backend)
    if not keys:
        return []
    refs = {k: _reference_n(rows, k) for k in keys}
    bests = {k: best_models(rows, k, results.direction_of(k, directions)) for k in keys}
    headers = ["Model", "Seed", "Epoch"] + [
        latex_text(results._title(k)) + ARROWS.get(results.direction_of(k, directions) or "", "")
        + (f" ({compact_n(refs[k])})" if refs[k] else "") for k in keys]  # fmt: skip
    body = []
    for row in sorted(rows, key=lambda r: (r.run_id, r.epoch)):
        cells = [latex_text(f"{row.run_label} (run {row.run_id})"), str(row.seed), str(row.epoch)]
        for k in keys:
            value = row.get(k)
            if value is None:
                cells.append(latex_text(formatting.missing_text(row, k)))
                continue
            text = latex_number(formatting.format_with_error(value, formatting.error_of(row, k), k))
            n = row.n_samples.get(k)
            if n and n != refs[k]:
                text += f"\\textsuperscript{{n={compact_n(n)}}}"
            cells.append(f"\\textbf{{{text}}}" if (row.run_id, row.epoch) in bests[k] else text)
        body.append(cells)
    has_se = any(formatting.error_of(row, k) is not None for row in rows for k in keys)
    caption = (f"Models on the {latex_text(backend)} backend, one row per model (run at an evaluated epoch); "
               "the sample count n of each column in its header"
               + ("; $\\pm$ one bootstrap standard error over the generated samples where stored" if has_se else "")
               + "; best per column in bold (among values at the column's n).")  # fmt: skip
    return _table(caption, f"tab:models-{_label(backend)}", "lrr" + "r" * len(keys), headers, body)


def settings_tables(rows, backend: str, directions: dict[str, str]) -> list[str]:
    """The settings table (mean ± CI over seeds, significance marks) and the pairs table behind the marks."""
    key = f"combined@{backend}" if any(r.get(f"combined@{backend}") is not None for r in rows) else f"fid@{backend}"
    groups = stats.setting_groups(rows, key)
    if not groups:
        return []
    better = results.direction_of(key, directions) or "lower"
    sign = 1 if better == "lower" else -1
    groups.sort(key=lambda g: (g.epoch, g.n or 0, sign * g.mean))
    pairs = stats.setting_tests(rows, key)
    best: dict[tuple[int, int | None], stats.SettingGroup] = {}
    for g in groups:
        if len(g.values) >= stats.MIN_SEEDS:
            best.setdefault((g.epoch, g.n), g)
    marked = set()
    for p in pairs:
        ref = best.get((p.a.epoch, p.a.n))  # type: ignore[attr-defined]
        if p.significant and ref in (p.a, p.b):
            marked.add(p.b if ref == p.a else p.a)
    body = []
    for g in groups:
        text = latex_text(results.format_value(g.mean, key))
        if g.ci is not None:
            text += " $\\pm$ " + latex_text(results.format_value(g.ci, key))
        if best.get((g.epoch, g.n)) is g:
            text = f"\\textbf{{{text}}}"
        if g in marked:
            text += SIGNIFICANT
        body.append([latex_text(g.setting), str(g.epoch), str(len(g.values)), compact_n(g.n) if g.n else "--", text])
    name = latex_text(key)
    test = (f"{SIGNIFICANT}: differs from the bold setting of its epoch by Welch's t-test, $p < {stats.ALPHA}$ after "
            f"{stats.CORRECTION} correction across the {len(pairs)} pair(s) of settings with "
            f"$\\geq${stats.MIN_SEEDS} seeds a side (Table~\\ref{{tab:pairs-{_label(backend)}}})") if pairs else (
            f"no pair of settings at an epoch has $\\geq${stats.MIN_SEEDS} seeds a side, so nothing is tested")  # fmt: skip
    caption = (f"{name} per setting (configuration without its seed) and epoch: mean $\\pm$ 95\\% Student-t "
               f"interval over seeds; bold: best mean among settings with $\\geq${stats.MIN_SEEDS} seeds; {test}.")
    out = _table(caption, f"tab:settings-{_label(backend)}", "lrrrr",
                 ["Setting", "Epoch", "Seeds", "n", latex_text(results._title(key)) + ARROWS.get(better, "")], body)
    if pairs:
        rows_ = []
        for p in pairs:
            texts = stats.pair_texts(p)
            mark = "$^{*}$" if p.significant else "n.s."
            rows_.append([latex_text(p.a.label), latex_text(p.b.label),  # type: ignore[attr-defined]
                          *(latex_number(t) for t in texts[2:7]), mark])
        caption = (f"Every pair of settings at the same epoch and n with $\\geq${stats.MIN_SEEDS} seeds a side: "
                   f"Welch's t-test on {name}, p {stats.CORRECTION}-corrected across the {len(pairs)} pair(s) shown, "
                   f"$^{{*}}$: $p$ ({stats.CORRECTION}) $< {stats.ALPHA}$; Hedges' $g$ of A minus B (small-sample corrected).")
        out += _table(caption, f"tab:pairs-{_label(backend)}", "llrrrrrl",
                      ["Setting A", "Setting B", "Seeds", "Mean A $-$ B", "Hedges' $g$", "$p$ (Welch)",
                       f"$p$ ({stats.CORRECTION})", ""], rows_)  # fmt: skip
    return out


def _label(text: str) -> str:
    """A ``\\label`` key: letters, digits and ``-`` only."""
    return "".join(ch if ch.isalnum() else "-" for ch in text)


def export_latex(rows, directions: dict[str, str], backend: str | None = None) -> str:
    """The models table of every score backend, then the settings and pairs tables on ``backend`` (default:
    the results view's). One document fragment to ``\\input``; needs booktabs."""
    backend = backend or results.default_backend(rows)
    backends = sorted({b for r in rows for b in results.score_backends(r)},
                      key=lambda b: (results.BACKEND_ORDER.get(b, 5), b))  # fmt: skip
    out = [PREAMBLE, f"% cgan-tui export --format latex: {formatting.count(len(rows), 'model')}", ""]
    for b in backends:
        out += models_table(rows, b, directions)
    out += settings_tables(rows, backend, directions)
    if len(out) == 3:
        out.append("% no evaluated model yet: `cgan-tui eval RUN_ID` computes the values")
    return "\n".join(out) + "\n"
