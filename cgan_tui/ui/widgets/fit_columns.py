"""Fill a DataTable so that it needs no sideways scrolling on an 80- or 70-column terminal.

Numbers keep their full width (a header wraps to a second line instead); the name columns share what
is left and wrap inside it, row by row. A table that fits as it is stays exactly as it was.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

PADDING = 2  # a DataTable cell's padding, both sides together
MIN_NAME = 8
SHORT_HEADER = 6  # a header this short stays on one line (``at n``)


def _longest_word(text: Text) -> int:
    return max((len(word) for word in text.plain.split()), default=0)


def fit_widths(headers: Sequence[Text], rows: Sequence[Sequence[Text]], available: int,
               flexible: Sequence[int]) -> list[int]:  # fmt: skip
    """Content widths that fit ``available`` columns (the natural ones when those fit)."""
    natural = [max([h.cell_len, *(row[i].cell_len for row in rows)]) for i, h in enumerate(headers)]
    if sum(w + PADDING for w in natural) <= available:
        return natural
    fixed = {i: max([min(h.cell_len, max(_longest_word(h), SHORT_HEADER)), *(row[i].cell_len for row in rows)])
             for i, h in enumerate(headers) if i not in flexible}  # fmt: skip
    left = available - sum(w + PADDING for w in fixed.values())
    share = max(MIN_NAME, left // max(len(flexible), 1) - PADDING)
    return [fixed[i] if i in fixed else min(natural[i], share) for i in range(len(headers))]


def fill_fitted(table: DataTable, headers: Sequence[str | Text], rows: Sequence[Sequence[str | Text]],
                available: int, flexible: Sequence[int] = (0,)) -> None:  # fmt: skip
    """``table.add_column`` + ``add_row`` for each row, with explicit widths from ``fit_widths`` (auto
    widths are measured on idle and can lag a refill)."""
    head = [h if isinstance(h, Text) else Text(h) for h in headers]
    measured = [[c if isinstance(c, Text) else Text(c) for c in row] for row in rows]
    widths = fit_widths(head, measured, available, flexible)
    table.header_height = 2 if any(h.cell_len > w for h, w in zip(head, widths, strict=True)) else 1
    for h, w in zip(head, widths, strict=True):
        table.add_column(h, width=w)
    for row, texts in zip(rows, measured, strict=True):  # the cells as given: a str stays a str
        wraps = any(c.cell_len > w for c, w in zip(texts, widths, strict=True))
        table.add_row(*row, height=None if wraps else 1)
