"""Rich tables of ``invoicekit report`` that stay readable in an 80-column terminal.

Rich fits a table wider than the terminal by cutting cells with "…" ("collecti…",
"11899899…"): a cut header or amount tells nothing. So no cell is ever cut here:
figures per currency are printed one figure a row, one currency a column, with as
many currency columns side by side as fit; a list (months, clients) is a table when
it fits, and each row a small block of "heading  value" lines when it does not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

__all__ = ["print_list", "print_per_currency"]


def _table(
    title: str | None,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    text: Sequence[str],
    wrap: Sequence[str] = (),
) -> tuple[Table, int]:
    """A table of ``rows`` and the width it needs to cut nothing.

    ``text`` columns are left-justified, the others (figures) right. Only ``wrap``
    columns (names) may wrap, never narrower than their heading or a word of 12
    letters. The width is counted here: Rich's own measure lets a table squeeze its
    cells to "…" (or a wrapping column to nothing) before it reports a misfit.
    """
    from rich import box
    from rich.cells import cell_len
    from rich.table import Table

    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left")
    need = len(headings) + 1  # the edges and the lines between columns
    for i, heading in enumerate(headings):
        justify: Literal["left", "right"] = "left" if heading in text else "right"
        if heading in wrap:
            words = [cell_len(w) for row in rows for w in row[i].split()]
            least = max(cell_len(heading), min(12, max(words, default=1)))
            table.add_column(heading, justify=justify, overflow="fold", min_width=least)
        else:
            least = max(cell_len(v) for v in [heading, *(row[i] for row in rows)])
            table.add_column(heading, justify=justify, no_wrap=True)
        need += least + 2  # the padding either side
    for row in rows:
        table.add_row(*row)
    return table, need


def print_per_currency(
    console: Console, title: str, labels: Sequence[str], columns: Mapping[str, Sequence[str]]
) -> None:
    """Figures (``labels``, one a row) of each currency (``columns``: currency -> values).

    As many currencies side by side as fit the width; the rest in the tables below.
    """
    currencies = list(columns)
    start, first = 0, True
    while start < len(currencies):
        size = len(currencies) - start
        while True:
            chunk = currencies[start : start + size]
            rows = [[label, *(columns[c][i] for c in chunk)] for i, label in enumerate(labels)]
            table, need = _table(title if first else None, ["", *chunk], rows, [""])
            if size == 1 or need <= console.width:
                break
            size -= 1
        console.print(table)
        start, first = start + size, False


def print_list(
    console: Console,
    title: str,
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    text: Sequence[str] = (),
    wrap: Sequence[str] = (),
) -> None:
    """A table of ``rows`` when it fits; otherwise each row as lines of heading and value.

    ``text``: the headings of text columns (the others are figures, right-justified);
    ``wrap``: of those, the ones that may wrap (names).
    """
    from rich.table import Table
    from rich.text import Text

    table, need = _table(title, headings, rows, text, wrap)
    if need <= console.width:
        console.print(table)
        return
    console.print(title, style="italic", highlight=False)
    for row in rows:
        block = Table.grid(padding=(0, 2))
        block.add_column(overflow="fold")
        block.add_column(justify="right", overflow="fold")
        for heading, value in zip(headings, row, strict=True):
            block.add_row(heading, Text(value, justify="left" if heading in text else "right"))
        console.print(block)
        console.print()
