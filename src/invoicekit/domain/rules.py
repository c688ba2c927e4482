"""Custom recurrence rules: an RFC 5545 RRULE checked so that its occurrences can bound periods.

A rule is accepted only if its occurrences are whole days that follow one another,
so consecutive occurrences tile time into billing periods: FREQ DAILY, WEEKLY,
MONTHLY or YEARLY with date parts; the time of day and the start come from the
Schedule. A rule that can never fire, or fires only once, is refused up front.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Final

import attrs
from dateutil import rrule

from invoicekit.errors import Problem, problem

__all__ = ["CustomRule", "parse_rule"]

_FREQS: Final = frozenset({"DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
_DATE_PARTS: Final = frozenset(
    {"BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "BYSETPOS", "WKST"}
)
_ALLOWED: Final = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL"}) | _DATE_PARTS
_WHAT: Final = (
    "an RRULE with FREQ=DAILY, WEEKLY, MONTHLY or YEARLY and optional INTERVAL, COUNT, UNTIL, "
    "BYMONTH, BYWEEKNO, BYYEARDAY, BYMONTHDAY, BYDAY, BYSETPOS, WKST "
    "(e.g. 'FREQ=MONTHLY;BYMONTHDAY=-1')"
)
#: A rule must fire at least twice within this many years of the start (one period needs two).
_SEARCH_YEARS: Final = 50
_MAX_TEXT: Final = 500


@attrs.frozen
class CustomRule:
    """A checked rule: its text, the open-ended rule, and the COUNT and UNTIL it carried."""

    text: str
    open_rule: rrule.rrule = attrs.field(eq=False, repr=False)
    count: int | None
    until: date | None

    def starts(self, start: date) -> Iterator[date]:
        """The dates the rule fires on from ``start`` on, without its COUNT or UNTIL."""
        for when in self.open_rule.xafter(_midnight(start), inc=True):
            yield when.date()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0))


def _parts(text: str) -> tuple[dict[str, str], str | None]:
    """The KEY=VALUE parts of ``text``, or why they cannot be read."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    parts: dict[str, str] = {}
    for part in body.split(";"):
        key, sep, value = part.partition("=")
        key = key.strip().upper()
        if not sep or not key or not value.strip():
            return {}, f"cannot read the part {part!r}; give KEY=VALUE parts joined by ';'"
        if key in parts:
            return {}, f"gives {key} twice"
        parts[key] = value.strip().upper()
    return parts, None


def _impossible_days(parts: dict[str, str]) -> bool:
    """True when BYMONTHDAY names no day that exists in any month BYMONTH allows."""
    if "BYMONTHDAY" not in parts:
        return False
    try:
        days = [int(v) for v in parts["BYMONTHDAY"].split(",")]
        months = [int(v) for v in parts["BYMONTH"].split(",")] if "BYMONTH" in parts else []
    except ValueError:
        return False  # rrulestr reports the bad number
    longest = {m: calendar.monthrange(2024, m)[1] for m in range(1, 13)}  # a leap year
    months = [m for m in months if m in longest] or list(longest)
    return not any(abs(d) <= longest[m] and d != 0 for d in days for m in months)


def _until(value: str, start: date) -> tuple[date | None, str | None]:
    try:
        until = date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        return None, "UNTIL must be a date such as 20271231 or 20271231T000000Z"
    if until < start:
        return None, f"never fires: UNTIL {until} is before the start {start}"
    return until, None


def _count(value: str) -> tuple[int | None, str | None]:
    if not value.isdigit() or int(value) < 1:
        return None, "COUNT must be an integer >= 1"
    return int(value), None


def parse_rule(path: str, text: object, start: date) -> tuple[CustomRule | None, list[Problem]]:
    """Check ``text`` as a recurrence rule starting on ``start``; the rule, or what is wrong."""
    if not isinstance(text, str) or not text.strip() or len(text) > _MAX_TEXT:
        return None, [
            problem(
                path, f"must be a rule of at most {_MAX_TEXT} characters; allowed: {_WHAT}", text
            )
        ]
    parts, why = _parts(text)
    if why is None:
        unknown = sorted(set(parts) - _ALLOWED)
        if parts.get("FREQ") not in _FREQS:
            why = "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY (periods are whole days)"
        elif unknown:
            why = f"{', '.join(unknown)} not allowed here (the start and time come from Schedule)"
        elif _impossible_days(parts):
            why = "never fires: no month allowed by BYMONTH has the day BYMONTHDAY names"
    count = until = None
    if why is None and "UNTIL" in parts:
        until, why = _until(parts["UNTIL"], start)
    if why is None and "COUNT" in parts:
        count, why = _count(parts["COUNT"])
    if why is None and "COUNT" in parts and "UNTIL" in parts:
        why = "give COUNT or UNTIL, not both (RFC 5545)"
    if why is not None:
        return None, [problem(path, f"{why}; allowed: {_WHAT}", text)]
    open_text = ";".join(f"{k}={v}" for k, v in parts.items() if k not in {"COUNT", "UNTIL"})
    try:
        parsed = rrule.rrulestr(open_text, dtstart=_midnight(start))
    except (ValueError, TypeError) as exc:
        return None, [problem(path, f"cannot parse the rule ({exc}); allowed: {_WHAT}", text)]
    if not isinstance(parsed, rrule.rrule):  # pragma: no cover - one RRULE part, never a set
        return None, [problem(path, f"must be one rule; allowed: {_WHAT}", text)]
    bounded = parsed.replace(until=_midnight(start) + timedelta(days=366 * _SEARCH_YEARS))
    first_two = list(zip(range(2), bounded.xafter(_midnight(start), inc=True), strict=False))
    if len(first_two) < 2:  # noqa: PLR2004 - a period needs a start and an end
        why = f"fires fewer than twice in {_SEARCH_YEARS} years, so no period can end"
        return None, [problem(path, f"{why}; allowed: {_WHAT}", text)]
    return CustomRule(text=text, open_rule=parsed, count=count, until=until), []
