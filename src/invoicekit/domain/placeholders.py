"""Placeholders in recurring line descriptions: ``"Retainer {month_name} {year}"``.

The names are checked when a template is created, so an occurrence never fails
to render months later; ``{{`` and ``}}`` write literal braces.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Final

from invoicekit.domain.schedule import BillingPeriod
from invoicekit.errors import Problem, problem

__all__ = ["ENGLISH_MONTHS", "PLACEHOLDERS", "english_month", "placeholder_problems", "render"]

#: Every placeholder a description may hold, and what it becomes.
PLACEHOLDERS: Final = {
    "period_start": "the period's first day, ISO (2026-03-01)",
    "period_end": "the period's last day, ISO (2026-03-31)",
    "month": "the month of the period's first day, two digits (03)",
    "year": "the year of the period's first day (2026)",
    "month_name": "the name of that month (March; the caller's formatter decides the language)",
}
ENGLISH_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ALLOWED: Final = ", ".join("{" + name + "}" for name in PLACEHOLDERS)


def english_month(month: int) -> str:
    """The English name of ``month`` (1-12), independent of the host's locale."""
    return ENGLISH_MONTHS[month - 1]


def placeholder_problems(path: str, text: str) -> list[Problem]:
    """What is wrong with the placeholders of ``text``: unknown names, formats, stray braces."""
    try:
        fields = [part[1:] for part in string.Formatter().parse(text) if part[1] is not None]
    except ValueError as exc:
        return [problem(path, f"malformed braces ({exc}); write {{{{ or }}}} for a brace", text)]
    found: list[Problem] = []
    for name, spec, conversion in fields:
        if name not in PLACEHOLDERS:
            found.append(problem(path, f"unknown placeholder {{{name}}}; allowed: {_ALLOWED}"))
        elif spec or conversion:
            found.append(problem(path, f"write {{{name}}} without a format or conversion"))
    return found


def render(text: str, period: BillingPeriod, month_name: Callable[[int], str]) -> str:
    """``text`` with its placeholders filled from ``period`` (checked by placeholder_problems)."""
    start = period.start
    return text.format(
        period_start=start.isoformat(),
        period_end=period.last_day.isoformat(),
        month=f"{start.month:02d}",
        year=str(start.year),
        month_name=month_name(start.month),
    )
