"""A list to choose from: a table with a row cursor, redrawn from the rows it is given and keeping the cursor
on the same row (by its key) when the rows change under it. Cells are drawn as given, never parsed as markup."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

Cell = str | Text


class Listing(DataTable):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True, show_row_labels=False)
        self._shown: tuple = ()

    def show(self, headers: Sequence[str], rows: Sequence[tuple[str, Sequence[Cell]]]) -> None:
        """`rows` as (key, cells). The row under the cursor stays under it if it is still listed."""
        shown = (tuple(headers), tuple((key, tuple(_plain(cell) for cell in cells)) for key, cells in rows))
        if shown == self._shown:
            return
        self._shown = shown
        chosen = self.chosen
        self.clear(columns=True)
        self.add_columns(*(Text(header) for header in headers))
        for key, cells in rows:  # a str cell would be parsed as markup: "[b]" in a note must show as typed
            self.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in cells), key=key)
        keys = [key for key, _ in rows]
        self.move_cursor(row=keys.index(chosen) if chosen in keys else 0, animate=False)

    @property
    def chosen(self) -> str | None:
        """The key of the row under the cursor; None when the list is empty."""
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None

    @property
    def plain(self) -> list[list[str]]:
        """The rows as text, for tests and logs."""
        return [list(cells) for _, cells in self._shown[1]] if self._shown else []


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else cell
