"""T23 and T24 as properties: anchors 1-31 x leap and common years x frequencies x DST zones.

Oracles are independent of the code under test: the number of days in a month comes
from ``calendar.monthrange``, local dates from ``datetime.astimezone``, and the walks
step a clock forward and record what ``due_periods`` hands out.
"""

from __future__ import annotations

import calendar
import os
import time as host_time
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from invoicekit.domain.schedule import BillingPeriod, Schedule, due_periods
from sizes import examples

DST_ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "America/Santiago",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "Asia/Kathmandu",
]
MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


def _days_in(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def _take(schedule: Schedule, count: int) -> list[BillingPeriod]:
    return [p for p, _ in zip(schedule.periods(), range(count), strict=False)]


starts = st.dates(min_value=date(2023, 1, 1), max_value=date(2033, 12, 31))
leap_days = st.sampled_from([2024, 2028, 2032]).map(lambda y: date(y, 2, 29))


@settings(max_examples=examples(ci=2_000))
@given(
    start=st.one_of(starts, leap_days),
    anchor=st.one_of(st.none(), st.integers(1, 31)),
    frequency=st.sampled_from(sorted(MONTHS)),
    interval=st.integers(1, 3),
    count=st.integers(1, 40),
)
def test_t23_anniversary_periods_tile_and_the_anchor_returns(
    start: date, anchor: int | None, frequency: str, interval: int, count: int
) -> None:
    schedule = Schedule(
        frequency=frequency,
        start=start,
        zone="UTC",
        interval=interval,
        anchor_day=anchor,
        count=count,
    )
    periods = list(schedule.periods())
    assert len(periods) == count
    assert periods[0].start == start
    assert [p.index for p in periods] == list(range(count))
    assert all(a.end == b.start and a.start < a.end for a, b in pairwise(periods))
    day = start.day if anchor is None else anchor
    step = MONTHS[frequency] * interval
    anchored = (
        periods
        if anchor is None or periods[0].start.day == min(day, _days_in(start.year, start.month))
        else periods[1:]
    )
    for period in anchored:
        # The anchor returns: the anchor day whenever the month has it, else the month's last.
        assert period.start.day == min(day, _days_in(period.start.year, period.start.month))
    for a, b in pairwise(anchored):
        # Never two installments in one slot, never a skipped one: exactly ``step`` months.
        assert _month_number(b.start) - _month_number(a.start) == step


@settings(max_examples=examples(ci=2_000))
@given(
    start=st.one_of(starts, leap_days),
    frequency=st.sampled_from(["weekly", *sorted(MONTHS)]),
    alignment=st.sampled_from(["anniversary", "calendar"]),
    interval=st.integers(1, 4),
    length=st.integers(1, 2_000),
)
def test_t23_end_is_respected_and_periods_cover_every_day(
    start: date, frequency: str, alignment: str, interval: int, length: int
) -> None:
    end = start + timedelta(days=length)
    schedule = Schedule(
        frequency=frequency,
        start=start,
        zone="UTC",
        interval=interval,
        alignment=alignment,
        end=end,
    )
    periods = list(schedule.periods())
    assert periods[0].start == start
    assert periods[-1].end == end  # every day from start to end is in exactly one period
    assert all(a.end == b.start for a, b in pairwise(periods))
    assert all(p.start < p.end for p in periods)
    if alignment == "calendar":
        for period in periods[1:]:
            if frequency == "weekly":
                assert period.start.weekday() == 0
            else:
                assert period.start.day == 1
                assert (period.start.month - 1) % MONTHS[frequency] == 0


def _local_date_exists(day: date, zone: ZoneInfo) -> bool:
    wall = datetime.combine(day, time(0), tzinfo=zone)
    back = wall.astimezone(UTC).astimezone(zone)
    return back.replace(tzinfo=None).date() == day or any(
        datetime.combine(day, time(h), tzinfo=zone).astimezone(UTC).astimezone(zone).date() == day
        for h in range(1, 24)
    )


@settings(max_examples=examples(ci=1_000))
@given(
    zone=st.sampled_from(DST_ZONES),
    start=st.dates(min_value=date(2010, 1, 1), max_value=date(2030, 12, 31)),
    frequency=st.sampled_from(["weekly", "monthly"]),
    at=st.sampled_from([time(0), time(2, 30), time(6, 0), time(23, 30)]),
    timing=st.sampled_from(["advance", "arrears"]),
)
def test_t24_bill_times_stay_on_the_local_date(
    zone: str, start: date, frequency: str, at: time, timing: str
) -> None:
    schedule = Schedule(
        frequency=frequency,
        start=start,
        zone=zone,
        time_of_day=at,
        timing=timing,
    )
    tz = ZoneInfo(zone)
    times = []
    for period in _take(schedule, 30):
        billed = schedule.bill_at(period)
        day = period.start if timing == "advance" else period.end
        assert billed.tzinfo == tz
        local = billed.astimezone(tz)
        if _local_date_exists(day, tz):
            # A nonexistent wall time moves forward by the gap (at most the gap's length).
            wall = datetime.combine(day, at)
            assert timedelta(0) <= local.replace(tzinfo=None) - wall <= timedelta(hours=1)
            assert local.date() == day or (at >= time(23) and local.date() == day + timedelta(1))
        else:  # Apia's 2011-12-30: the bill falls at the next existing local time
            assert local.date() == day + timedelta(days=1)
        times.append(billed)
    assert all(a <= b for a, b in pairwise(times))


def _walk(
    schedule: Schedule, first: datetime, last: datetime, step: timedelta
) -> Iterator[tuple[datetime, list[BillingPeriod]]]:
    now, billed = first, None
    while now <= last:
        due = due_periods(schedule, billed, now)
        if due:
            billed = due[-1].index
        yield now, due
        now += step


@pytest.mark.parametrize("zone", DST_ZONES)
def test_t24_two_years_in_hour_steps_bill_each_period_once(zone: str) -> None:
    """Lago's bug was a doubled period east of UTC: each period is handed out exactly once."""
    schedule = Schedule.weekly(date(2025, 1, 1), zone, time_of_day=time(2, 30))
    seen: list[BillingPeriod] = []
    step = timedelta(hours=1)
    begin = datetime(2024, 12, 30, tzinfo=UTC)
    for now, due in _walk(schedule, begin, datetime(2027, 1, 1, tzinfo=UTC), step):
        for period in due:
            billed = schedule.bill_at(period)
            assert billed <= now < billed + step  # billed at the first step after its time
            seen.append(period)
    assert [p.index for p in seen] == list(range(len(seen)))
    assert seen[-1].start == date(2026, 12, 30)  # Wednesdays from 2025-01-01: 105 in all
    assert len(seen) == 105
    assert all(a.end == b.start for a, b in pairwise(seen))


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Santiago", "Australia/Lord_Howe"])
def test_ten_years_of_monthly_periods_billed_once_each(zone: str) -> None:
    schedule = Schedule.monthly(date(2024, 1, 31), zone, time_of_day=time(6, 0))
    seen: list[BillingPeriod] = []
    begin = datetime(2024, 1, 1, tzinfo=UTC)
    for _, due in _walk(schedule, begin, begin + timedelta(days=3653), timedelta(hours=6)):
        seen.extend(due)
    assert len(seen) == 120
    assert [p.index for p in seen] == list(range(120))
    tz = ZoneInfo(zone)
    for period in seen:
        start = period.start
        assert start.day == min(31, _days_in(start.year, start.month))
        assert schedule.bill_at(period).astimezone(tz).date() == start


@pytest.mark.parametrize("host_zone", ["UTC", "Pacific/Auckland", "America/Los_Angeles"])
def test_t24_results_do_not_depend_on_the_host_zone(
    host_zone: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", host_zone)
    host_time.tzset()
    try:
        schedule = Schedule.monthly(date(2026, 3, 29), "Europe/Berlin", time_of_day=time(2, 30))
        due = due_periods(schedule, None, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
        times = [schedule.bill_at(p).astimezone(UTC) for p in due]
    finally:
        monkeypatch.undo()
        host_time.tzset()
    assert os.environ.get("TZ") != host_zone or host_zone == "UTC"
    assert times[0] == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert times[-1] == datetime(2026, 9, 29, 0, 30, tzinfo=UTC)
    assert len(times) == 7


RULES = [
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=WEEKLY;BYDAY=MO,TH",
    "FREQ=MONTHLY;BYDAY=FR;BYSETPOS=-1",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
    "FREQ=DAILY;INTERVAL=10",
    "FREQ=MONTHLY;INTERVAL=2;BYMONTHDAY=31",
]


@settings(max_examples=examples(ci=500))
@given(rule=st.sampled_from(RULES), start=st.one_of(starts, leap_days), count=st.integers(1, 30))
def test_t23_custom_rules_tile_from_the_start(rule: str, start: date, count: int) -> None:
    schedule = Schedule.custom(rule, start, "Europe/Berlin", count=count)
    periods = list(schedule.periods())
    assert len(periods) == count
    assert periods[0].start == start
    assert all(a.end == b.start and a.start < a.end for a, b in pairwise(periods))
    assert [p.index for p in periods] == list(range(count))
    assert schedule.period_at(count - 1) == periods[-1]
