"""Proration: the part of a period's amount that falls on the days from a change to the period end.

Day-exact: ``amount × days / period_days``, where ``days`` counts from the change's local
date (that day included: a change on a day counts the day as used by the new price) to the
period's end, and ``period_days`` is the period's own length (28 to 31 days for a month,
365 or 366 for a year). The result is rounded half-up to the currency's minor unit, once
per line. Pure.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Final
from zoneinfo import ZoneInfo

from invoicekit.domain import checks
from invoicekit.domain.placeholders import english_month
from invoicekit.domain.schedule import BillingPeriod
from invoicekit.errors import Problem, ValidationError, problem
from invoicekit.money import MAX_AMOUNT, check_currency, minor_unit, quantize

__all__ = ["days_text", "local_day", "prorate"]

_SHORT: Final = 3


def _month(month: int) -> str:
    return english_month(month)[:_SHORT]


def days_text(first: date, last: date) -> str:
    """The days ``first`` to ``last`` (inclusive) for a reader: '13–31 Jan 2027', '1 Dec 2026–31 Jan 2027'."""
    if first == last:
        return f"{first.day} {_month(first.month)} {first.year}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {_month(last.month)} {last.year}"
    if first.year == last.year:
        return f"{first.day} {_month(first.month)}–{last.day} {_month(last.month)} {last.year}"
    return (
        f"{first.day} {_month(first.month)} {first.year}–"
        f"{last.day} {_month(last.month)} {last.year}"
    )


def local_day(at: datetime, zone: str) -> date:
    """The date ``at`` falls on in ``zone``: what day counts use."""
    return at.astimezone(ZoneInfo(zone)).date()


def _problems(amount: object, period: object, since: object) -> list[Problem]:
    found: list[Problem] = []
    if not isinstance(amount, Decimal) or not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        found.append(problem("amount", f"must be a finite Decimal below {MAX_AMOUNT:,}", amount))
    if not isinstance(period, BillingPeriod) or period.end <= period.start:
        found.append(problem("period", "must be a BillingPeriod with end after start", period))
    found += checks.day("since", since)
    if since is None:
        found.append(problem("since", "is required: the local date the change takes effect"))
    return found


def prorate(
    amount: Decimal, period: BillingPeriod, since: date, currency: str
) -> tuple[Decimal, str]:
    """The share of ``amount`` for the days from ``since`` to the end of ``period``, and its note.

    ``since`` before the period counts the whole period, on or after its end none.
    The note reads "12 of 30 days (20–31 Jan 2027)" (no dates when no day is left).
    """
    found = _problems(amount, period, since)
    try:
        check_currency(currency)
    except ValidationError as exc:
        found += exc.problems
    checks.refuse(found, "proration")
    total = (period.end - period.start).days
    first = min(max(since, period.start), period.end)
    days = (period.end - first).days
    exact = Fraction(amount) * days / total
    rounded = _half_up(exact, minor_unit(currency), currency)
    note = f"{days} of {total} days"
    if days:
        note += f" ({days_text(first, period.last_day)})"
    return rounded, note


def _half_up(exact: Fraction, unit: Decimal, currency: str) -> Decimal:
    """``exact`` rounded half-up (away from zero) to a multiple of ``unit``, exactly."""
    steps = exact / Fraction(unit)
    whole, rest = divmod(abs(steps.numerator), steps.denominator)
    if 2 * rest >= steps.denominator:
        whole += 1
    sign = -1 if steps < 0 else 1
    return quantize(Decimal(sign * whole) * unit, currency)
