"""The results DataTable: draws a page of ResultRows and remembers whether a header click was shifted."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from cgan_tui.formatting import OTHER_N_MARK, cell_text, missing_text
from cgan_tui.results import BASE_KEYS, Column, ResultRow, format_value
from cgan_tui.results.filtering import ARCHIVED_MARK
from cgan_tui.safe_text import literal, one_line
from cgan_tui.styles import run_status_style

ARROWS = {False: "▲", True: "▼"}
MARK = "●"


def row_key(row: ResultRow) -> str:
    return f"{row.run_id}:{row.epoch}"


class ResultsTable(DataTable):
    """Sorting and filtering happen on the row list (``cgan_tui.results``); this only draws a page."""

    def __init__(self, **kwargs) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=True, **kwargs)
        self.last_click_shift = False
        self._column_keys: tuple[str, ...] = ()
        self.shown: list[ResultRow] = []
        self.columns_shown: list[Column] = []

    def _on_click(self, event: events.Click) -> None:
        # Textual dispatches to every class in the MRO: DataTable's own handler runs after this one.
        self.last_click_shift = bool(event.shift)

    def show(
        self,
        rows: Sequence[ResultRow],
        columns: Sequence[Column],
        sort_keys: Sequence[tuple[str, bool]] = (),
        marked: Iterable[tuple[int, int]] = (),
        references: dict[str, int | None] | None = None,
    ) -> None:
        """Replace the table's content, keeping the cursor on the same model and column if still shown.

        ``references`` is each column's reference n (``cgan_tui.results.sample_n``): values taken at another n
        are marked. The run and label columns stay in place when scrolling right."""
        marked = set(marked)
        old_key = self._cursor_row_key()
        old_col = self.cursor_coordinate.column
        keys = tuple(c.key for c in columns)
        sort_pos = {key: (i, desc) for i, (key, desc) in enumerate(sort_keys)}
        self.clear(columns=True)
        self.shown = list(rows)
        self.columns_shown = list(columns)
        refs = references or {}
        grid = [[self._cell(row, col, (row.run_id, row.epoch) in marked, refs.get(col.key)) for col in columns]
                for row in rows]  # fmt: skip
        headers = [self._header(col, sort_pos) for col in columns]
        # Explicit widths: DataTable measures auto-width columns on idle, and a repaint that lands
        # between add_row and that measurement can leave columns drawn at their header width.
        for i, col in enumerate(columns):
            width = max([headers[i].cell_len, *(cells[i].cell_len for cells in grid)])
            self.add_column(headers[i], key=col.key, width=width)
        self._column_keys = keys
        self.fixed_columns = next((i + 1 for i, c in enumerate(columns) if c.key == "label"), 0)
        for row, cells in zip(rows, grid, strict=True):
            self.add_row(*cells, key=row_key(row))
        self._restore_cursor(old_key, old_col)

    def _header(self, col: Column, sort_pos: dict[str, tuple[int, bool]]) -> Text:
        label = literal(one_line(col.title))
        if col.key in sort_pos:
            index, desc = sort_pos[col.key]
            label.append(" " + ARROWS[desc] + ("" if index == 0 else str(index + 1)), style="bold yellow")
        return label

    @staticmethod
    def _cell(row: ResultRow, col: Column, is_marked: bool, reference: int | None = None) -> Text:
        value = row.get(col.key)
        justify = "right" if col.kind == "number" else "left"
        if col.key == "run_id":
            text = Text(f"{MARK if is_marked else ' '}{value}", style="bold magenta" if is_marked else "")
            return text
        if value is None:
            return Text(missing_text(row, col.key), style="dim", justify=justify)
        if col.key == "status":
            return literal(one_line(value), style=run_status_style(str(value)))
        if col.key == "label" and row.archived:  # shown only under archived:yes/all: marked, dimmed
            return literal(f"{ARCHIVED_MARK} {one_line(value)}", style="dim")
        if col.key in BASE_KEYS:
            return literal(one_line(format_value(value, col.key)), justify=justify)  # names from users
        text = cell_text(row, col.key, reference)
        return Text(text, style="yellow" if text.endswith(OTHER_N_MARK) else "", justify=justify)

    def current_row(self) -> ResultRow | None:
        index = self.cursor_coordinate.row
        if 0 <= index < len(self.shown):
            return self.shown[index]
        return None

    def current_column(self) -> Column | None:
        index = self.cursor_coordinate.column
        if 0 <= index < len(self.columns_shown):
            return self.columns_shown[index]
        return None

    def _cursor_row_key(self) -> str | None:
        row = self.current_row()
        return None if row is None else row_key(row)

    def _restore_cursor(self, old_key: str | None, old_col: int) -> None:
        if not self.shown:
            return
        index = 0
        if old_key is not None:
            for i, row in enumerate(self.shown):
                if row_key(row) == old_key:
                    index = i
                    break
        column = min(old_col, max(0, len(self.columns_shown) - 1))
        self.move_cursor(row=index, column=column, animate=False, scroll=True)


