"""What an invoice is for, in one line: its lines as a phrase for titles, first screens and SMS.

A payer who sees "Invoice 17 from Northwind" must also see what for: the lines
joined the locale's way ("Design retainer, May 2026 and 4.5 × Extra hours"),
cut to fit where it goes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from babel.lists import format_list

from invoicekit.domain.line import Line

if TYPE_CHECKING:
    from invoicekit.adapters.render.formatting import Formatter
    from invoicekit.adapters.render.view import Gettext

__all__ = ["TITLE_SUMMARY", "cut", "lines_summary"]

#: Characters of the summary in a document's title (the e-mail subject).
TITLE_SUMMARY: Final = 60
_ELLIPSIS: Final = "…"


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, cut at a word with '…' when too long."""
    if len(text) <= limit:
        return text
    head = text[: max(limit - 1, 0)]
    words = head.rsplit(" ", 1)[0] if " " in head else head
    return words.rstrip(" ,;:–-") + _ELLIPSIS if limit > 0 else ""


def _item(line: Line, fmt: Formatter) -> str:
    if line.quantity == 1:
        return line.description
    return f"{fmt.quantity(line.quantity)} × {line.description}"


def lines_summary(lines: Sequence[Line], fmt: Formatter, t: Gettext, *, limit: int) -> str:
    """The lines as one phrase of at most ``limit`` characters.

    All of them when they fit; else the first and how many more ("Design retainer
    and 2 more lines"); a first line too long for that is cut with '…'.
    """
    items = [" ".join(_item(line, fmt).split()) for line in lines]
    if not items:
        return ""
    whole = format_list(items, locale=fmt.locale)
    if len(whole) <= limit or len(items) == 1:
        return cut(whole, limit)
    more = len(items) - 1
    phrase = t.ngettext("%(first)s and %(num)d more line", "%(first)s and %(num)d more lines", more)
    room = limit - len(phrase % {"first": "", "num": more})
    return phrase % {"first": cut(items[0], room), "num": more}
