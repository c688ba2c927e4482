"""Billing schedules: when each billing period starts and ends, and when it is billed.

Period ``n`` is computed from the schedule's anchor, never by adding a month to
period ``n - 1``, so a monthly anchor on the 31st bills on Feb 28/29 and Apr 30 and
returns to the 31st, and 29 February anchors to Feb 28 in other years. Consecutive
periods tile: each ends (exclusive) where the next starts. Pure: no clock reads.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from itertools import chain, islice
from typing import Any, Final
from zoneinfo import ZoneInfo

import attrs

from invoicekit.domain import checks
from invoicekit.domain.rules import CustomRule, parse_rule
from invoicekit.domain.zones import zone_problems
from invoicekit.errors import Problem, ValidationError, problem

__all__ = [
    "Alignment",
    "BillTiming",
    "BillingPeriod",
    "Frequency",
    "Schedule",
    "due_periods",
    "local_instant",
]


class Frequency(StrEnum):
    """How often a schedule bills."""

    #: Every ``interval`` weeks.
    WEEKLY = "weekly"
    #: Every ``interval`` months.
    MONTHLY = "monthly"
    #: Every ``interval`` quarters (3 months).
    QUARTERLY = "quarterly"
    #: Every ``interval`` years.
    YEARLY = "yearly"
    #: An RFC 5545 RRULE (``Schedule.rule``); its occurrences start the periods.
    CUSTOM = "custom"


class Alignment(StrEnum):
    """Where periods start: on the start date's day, or on calendar boundaries."""

    #: Anchored at the start date's day (or ``anchor_day``): the 31st, Feb 29, a Thursday.
    ANNIVERSARY = "anniversary"
    #: The 1st of the month, the 1st of a quarter, 1 January, Mondays; a short first period.
    CALENDAR = "calendar"


class BillTiming(StrEnum):
    """When a period is billed: at its start (in advance) or at its end (in arrears)."""

    #: Bill on the period's first day.
    ADVANCE = "advance"
    #: Bill on the day after the period's last day (its exclusive end).
    ARREARS = "arrears"


#: Months per period step of each calendar frequency.
_MONTHS: Final = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3, Frequency.YEARLY: 12}
#: The largest interval of each frequency: a period of at most about ten years.
MAX_INTERVAL: Final = {
    Frequency.WEEKLY: 522,
    Frequency.MONTHLY: 120,
    Frequency.QUARTERLY: 40,
    Frequency.YEARLY: 10,
    Frequency.CUSTOM: 1,
}
#: The most periods a schedule may be limited to with ``count``.
MAX_COUNT: Final = 100_000


@attrs.frozen
class BillingPeriod:
    """One period of a schedule: ``start`` inclusive, ``end`` exclusive, ``index`` from 0."""

    start: date
    end: date
    index: int

    @property
    def last_day(self) -> date:
        """The period's last day (``end`` minus one day), as a ServicePeriod's inclusive end."""
        return self.end - timedelta(days=1)


def _as(kind: type[StrEnum], value: object) -> Any:
    """``value`` as a member of ``kind``; a value that is none is kept, to be reported."""
    try:
        return kind(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _frequency(value: object) -> Any:
    return _as(Frequency, value)


def _alignment(value: object) -> Any:
    return _as(Alignment, value)


def _timing(value: object) -> Any:
    return _as(BillTiming, value)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    total = year * 12 + month - 1 + months
    return total // 12, total % 12 + 1


def _on_day(year: int, month: int, day: int) -> date:
    """``day`` of the month, or its last day when the month is shorter (31 -> Feb 28/29)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


@attrs.frozen(kw_only=True)
class Schedule:
    """When a recurring bill's periods start and end, and the local time each one is billed at.

    Build one with ``Schedule.monthly(start, zone)`` and its siblings, or with the fields.
    Every bad field raises one ValidationError naming each problem's path.
    """

    frequency: Frequency = attrs.field(converter=_frequency)
    start: date
    #: IANA zone the bill times are in: the seller's or the customer's (the caller decides).
    zone: str
    interval: int = 1
    alignment: Alignment = attrs.field(default=Alignment.ANNIVERSARY, converter=_alignment)
    #: Anniversary billing only: the day of the month periods start on (default: the start's day).
    anchor_day: int | None = None
    timing: BillTiming = attrs.field(default=BillTiming.ADVANCE, converter=_timing)
    #: Exclusive: no period covers ``end`` or later; the last one is cut short at ``end``.
    end: date | None = None
    #: The number of periods, at most.
    count: int | None = None
    #: Custom frequency only: the RRULE whose occurrences start the periods.
    rule: str | None = None
    #: Local wall-clock time of each bill.
    time_of_day: time = time(0)
    _custom: CustomRule | None = attrs.field(init=False, default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        checks.refuse(self._problems(), "schedule")

    # -- named constructors -------------------------------------------------------------

    @classmethod
    def weekly(cls, start: date, zone: str, **fields: Any) -> Schedule:
        """Every ``interval`` weeks from ``start`` (calendar alignment: from Mondays)."""
        return cls(frequency=Frequency.WEEKLY, start=start, zone=zone, **fields)

    @classmethod
    def monthly(cls, start: date, zone: str, **fields: Any) -> Schedule:
        """Every ``interval`` months, on the start's day or ``anchor_day`` (or the 1st)."""
        return cls(frequency=Frequency.MONTHLY, start=start, zone=zone, **fields)

    @classmethod
    def quarterly(cls, start: date, zone: str, **fields: Any) -> Schedule:
        """Every ``interval`` quarters (calendar alignment: from Jan 1, Apr 1, Jul 1, Oct 1)."""
        return cls(frequency=Frequency.QUARTERLY, start=start, zone=zone, **fields)

    @classmethod
    def yearly(cls, start: date, zone: str, **fields: Any) -> Schedule:
        """Every ``interval`` years (calendar alignment: from 1 January)."""
        return cls(frequency=Frequency.YEARLY, start=start, zone=zone, **fields)

    @classmethod
    def custom(cls, rule: str, start: date, zone: str, **fields: Any) -> Schedule:
        """Periods start on the occurrences of an RFC 5545 ``rule`` such as 'FREQ=MONTHLY;...'."""
        return cls(frequency=Frequency.CUSTOM, rule=rule, start=start, zone=zone, **fields)

    # -- checks -------------------------------------------------------------------------

    def _problems(self) -> list[Problem]:
        found = checks.instance(
            "frequency",
            self.frequency,
            Frequency,
            "'weekly', 'monthly', 'quarterly', 'yearly' or 'custom'",
        )
        found += checks.instance(
            "alignment", self.alignment, Alignment, "'anniversary' or 'calendar'"
        )
        found += checks.instance("timing", self.timing, BillTiming, "'advance' or 'arrears'")
        found += (
            checks.day("start", self.start)
            if self.start is not None
            else [problem("start", "is required: a datetime.date such as date(2026, 1, 31)")]
        )
        found += zone_problems("zone", self.zone)
        found += self._interval_problems()
        found += self._anchor_problems()
        end_problems = checks.day("end", self.end)
        found += end_problems
        dates_ok = (
            isinstance(self.start, date)
            and not end_problems
            and not checks.day("start", self.start)
        )
        if dates_ok and self.end is not None and self.end <= self.start:
            found.append(problem("end", f"must be after the start {self.start}", self.end))
        if self.count is not None:
            found += checks.at_least("count", self.count) or (
                [problem("count", f"must be at most {MAX_COUNT:,}", self.count)]
                if self.count > MAX_COUNT
                else []
            )
        if not isinstance(self.time_of_day, time) or self.time_of_day.tzinfo is not None:
            found.append(problem("time_of_day", "must be a naive datetime.time such as time(6, 0)"))
        if not found:
            found += self._rule_problems()
        return found

    def _interval_problems(self) -> list[Problem]:
        if not isinstance(self.frequency, Frequency):
            return []
        most = MAX_INTERVAL[self.frequency]
        if isinstance(self.interval, bool) or not isinstance(self.interval, int):
            return [problem("interval", f"must be an integer from 1 to {most}", self.interval)]
        if self.frequency is Frequency.CUSTOM and self.interval != 1:
            return [problem("interval", "put INTERVAL=n in the custom rule", self.interval)]
        if not 1 <= self.interval <= most:
            return [problem("interval", f"must be from 1 to {most}", self.interval)]
        return []

    def _anchor_problems(self) -> list[Problem]:
        if self.anchor_day is None:
            return []
        if isinstance(self.anchor_day, bool) or not isinstance(self.anchor_day, int):
            return [problem("anchor_day", "must be an integer from 1 to 31", self.anchor_day)]
        if not 1 <= self.anchor_day <= 31:  # noqa: PLR2004 - days of a month
            return [problem("anchor_day", "must be from 1 to 31", self.anchor_day)]
        if self.frequency not in _MONTHS:
            return [problem("anchor_day", "applies to monthly, quarterly and yearly schedules")]
        if self.alignment is Alignment.CALENDAR:
            return [
                problem("anchor_day", "applies to anniversary billing (calendar starts on the 1st)")
            ]
        return []

    def _rule_problems(self) -> list[Problem]:
        if self.frequency is not Frequency.CUSTOM:
            if self.rule is not None:
                return [problem("rule", "give a rule only with frequency='custom'", self.rule)]
            return []
        if self.alignment is Alignment.CALENDAR:
            return [problem("alignment", "a custom rule sets its own dates; leave 'anniversary'")]
        custom, found = parse_rule("rule", self.rule, self.start)
        if custom is not None and custom.count is not None and self.count is not None:
            found.append(problem("count", "the rule has COUNT already; give one of them"))
        object.__setattr__(self, "_custom", custom)
        return found

    # -- periods ------------------------------------------------------------------------

    def _limit(self) -> int | None:
        """The number of periods by ``count`` (the schedule's or the rule's), if limited."""
        if self._custom is not None and self._custom.count is not None:
            return self._custom.count
        return self.count

    def _boundaries(self, first: int) -> Iterator[date]:
        """Period starts from number ``first`` on, without limits (period 0 starts on ``start``).

        Built-in frequencies jump straight to ``first`` (closed form); a custom rule is walked.
        """
        if self._custom is not None:
            days = (day for day in self._custom.starts(self.start) if day > self.start)
            yield from islice(chain([self.start], days), first, None)
            return
        shift = 1 if self._anchor(0) > self.start else 0  # a short first period before the anchor
        k = first
        while True:
            try:
                yield self.start if k == 0 else self._anchor(k - shift)
            except (ValueError, OverflowError):  # past year 9999
                return
            k += 1

    def _anchor(self, k: int) -> date:
        """The k-th anchor date, computed from the first one (no drift); may equal ``start``."""
        start = self.start
        if self.frequency is Frequency.WEEKLY:
            first = start
            if self.alignment is Alignment.CALENDAR:
                first = start + timedelta(days=-start.weekday() % 7)
            return first + timedelta(weeks=self.interval * k)
        step = _MONTHS[self.frequency]
        if self.alignment is Alignment.CALENDAR:
            year, month = start.year, start.month
            while (month - 1) % step or date(year, month, 1) < start:
                year, month = _add_months(year, month, 1)
            return date(*_add_months(year, month, step * self.interval * k), 1)
        day = start.day if self.anchor_day is None else self.anchor_day
        year, month = start.year, start.month
        if _on_day(year, month, day) < start:
            year, month = _add_months(year, month, 12 if step == 12 else 1)  # noqa: PLR2004
        return _on_day(*_add_months(year, month, step * self.interval * k), day)

    def _fits(self, index: int, start: date) -> bool:
        limit = self._limit()
        if limit is not None and index >= limit:
            return False
        if self.end is not None and start >= self.end:
            return False
        until = self._custom.until if self._custom is not None else None
        return until is None or start <= until

    def periods(self, from_index: int = 0) -> Iterator[BillingPeriod]:
        """The periods in order from ``from_index``; ends after ``count``, ``end`` or year 9999."""
        bounds = self._boundaries(from_index)
        current = next(bounds, None)
        for index, following in enumerate(bounds, start=from_index):
            if current is None or not self._fits(index, current):
                return
            end = following if self.end is None else min(following, self.end)
            yield BillingPeriod(start=current, end=end, index=index)
            current = following

    def period_at(self, index: int) -> BillingPeriod:
        """Period number ``index`` (0 is the first); a ValidationError if there is no such period."""
        checks.refuse(checks.at_least("index", index, 0), "period")
        found = next(self.periods(index), None)
        if found is None:
            raise ValidationError(
                [problem("index", "the schedule has no such period (count or end reached)", index)],
                subject="period",
            )
        return found

    def periods_between(self, first: date, last: date) -> list[BillingPeriod]:
        """The periods that overlap the days from ``first`` up to (not including) ``last``."""
        checks.refuse(checks.day("first", first) + checks.day("last", last), "dates")
        found: list[BillingPeriod] = []
        for period in self.periods():
            if period.start >= last:
                break
            if period.end > first:
                found.append(period)
        return found

    def bill_at(self, period: BillingPeriod) -> datetime:
        """When ``period`` is billed: its start (advance) or end (arrears) at ``time_of_day``.

        An aware datetime in ``zone``. A local time that does not exist (the DST gap) moves
        forward by the gap's length; an ambiguous one (the repeated hour) is the first.
        """
        day = period.start if self.timing is BillTiming.ADVANCE else period.end
        return local_instant(day, self.time_of_day, ZoneInfo(self.zone))


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """``day`` at ``at`` on the wall clock of ``zone``: gaps move forward, repeats take the first."""
    wall = datetime.combine(day, at.replace(fold=0), tzinfo=zone)
    return wall.astimezone(UTC).astimezone(zone)


def due_periods(
    schedule: Schedule, last_billed_index: int | None, now: datetime, *, limit: int | None = None
) -> list[BillingPeriod]:
    """Every period billed at or before ``now`` and after ``last_billed_index``, in order.

    After an outage (or a clock that jumped) each missed period comes back exactly once;
    a ``now`` earlier than before gives nothing new. ``limit`` caps the list's length.
    """
    found = (
        checks.at_least("last_billed_index", last_billed_index, 0)
        if (last_billed_index is not None)
        else []
    )
    if not isinstance(now, datetime) or now.utcoffset() is None:
        found.append(problem("now", "must be a timezone-aware datetime (e.g. tzinfo=UTC)", now))
    if limit is not None:
        found += checks.at_least("limit", limit)
    checks.refuse(found, "due periods")
    due: list[BillingPeriod] = []
    first = 0 if last_billed_index is None else last_billed_index + 1
    for period in schedule.periods(first):
        if schedule.bill_at(period) > now or (limit is not None and len(due) >= limit):
            break
        due.append(period)
    return due
