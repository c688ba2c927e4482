"""T23 (table) and T24 (examples): schedule periods, bill times, and due periods caught up once.

The expected dates are written out by hand (T23's table), never computed with the
code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from invoicekit.domain.schedule import BillingPeriod, Schedule, due_periods
from invoicekit.errors import ValidationError


def _starts(schedule: Schedule, count: int) -> list[date]:
    return [period.start for period, _ in zip(schedule.periods(), range(count), strict=False)]


# -- T23: month ends and leap days -------------------------------------------------------


def test_t23_monthly_31st_bills_month_ends_and_returns_to_the_31st() -> None:
    schedule = Schedule.monthly(date(2024, 1, 31), "UTC")
    assert _starts(schedule, 6) == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
        date(2024, 6, 30),
    ]
    later = Schedule.monthly(date(2025, 1, 31), "UTC")
    assert _starts(later, 3) == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31)]


@pytest.mark.parametrize("anchor", [29, 30, 31])
def test_t23_ten_years_of_month_end_anchors_never_drift(anchor: int) -> None:
    """120 months from Jan 2023 through Dec 2032: the anchor day whenever the month has it."""
    schedule = Schedule.monthly(date(2023, 1, anchor), "Europe/Berlin")
    periods = [schedule.period_at(n) for n in range(120)]
    for n, period in enumerate(periods):
        year, month = 2023 + n // 12, n % 12 + 1
        days_in_month = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        assert period.start == date(year, month, min(anchor, days_in_month))
        assert period.index == n
    assert all(a.end == b.start for a, b in pairwise(periods))
    assert periods[-1].start == date(2032, 12, anchor)


def test_t23_explicit_anchor_day_is_stored_not_inferred() -> None:
    """A start on Feb 28 with anchor 31 goes back to the 31st; a start-inferred anchor would not."""
    schedule = Schedule.monthly(date(2025, 2, 28), "UTC", anchor_day=31)
    assert _starts(schedule, 3) == [date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]
    inferred = Schedule.monthly(date(2025, 2, 28), "UTC")
    assert _starts(inferred, 2) == [date(2025, 2, 28), date(2025, 3, 28)]


def test_t23_explicit_anchor_after_the_start_gives_a_short_first_period() -> None:
    schedule = Schedule.monthly(date(2026, 3, 20), "UTC", anchor_day=15)
    assert schedule.period_at(0) == BillingPeriod(date(2026, 3, 20), date(2026, 4, 15), 0)
    assert schedule.period_at(1) == BillingPeriod(date(2026, 4, 15), date(2026, 5, 15), 1)


def test_t23_yearly_feb_29_never_bills_twice_in_a_year() -> None:
    schedule = Schedule.yearly(date(2024, 2, 29), "UTC")
    starts = _starts(schedule, 10)
    assert starts[:5] == [
        date(2024, 2, 29),
        date(2025, 2, 28),
        date(2026, 2, 28),
        date(2027, 2, 28),
        date(2028, 2, 29),
    ]
    assert [d.year for d in starts] == list(range(2024, 2034))


def test_t23_quarterly_from_nov_30() -> None:
    schedule = Schedule.quarterly(date(2025, 11, 30), "UTC")
    assert _starts(schedule, 5) == [
        date(2025, 11, 30),
        date(2026, 2, 28),
        date(2026, 5, 30),
        date(2026, 8, 30),
        date(2026, 11, 30),
    ]


def test_t23_weekly_from_feb_29() -> None:
    schedule = Schedule.weekly(date(2024, 2, 29), "UTC", interval=2)
    assert _starts(schedule, 3) == [date(2024, 2, 29), date(2024, 3, 14), date(2024, 3, 28)]


def test_calendar_alignment_has_a_short_first_period() -> None:
    monthly = Schedule.monthly(date(2026, 1, 17), "UTC", alignment="calendar")
    assert _starts(monthly, 3) == [date(2026, 1, 17), date(2026, 2, 1), date(2026, 3, 1)]
    quarterly = Schedule.quarterly(date(2026, 2, 15), "UTC", alignment="calendar")
    assert _starts(quarterly, 3) == [date(2026, 2, 15), date(2026, 4, 1), date(2026, 7, 1)]
    yearly = Schedule.yearly(date(2026, 1, 1), "UTC", alignment="calendar")
    assert _starts(yearly, 2) == [date(2026, 1, 1), date(2027, 1, 1)]
    weekly = Schedule.weekly(date(2026, 12, 3), "UTC", alignment="calendar")  # a Thursday
    assert _starts(weekly, 3) == [date(2026, 12, 3), date(2026, 12, 7), date(2026, 12, 14)]


def test_count_and_end_limit_the_periods() -> None:
    counted = Schedule.monthly(date(2026, 1, 31), "UTC", count=3)
    assert len(list(counted.periods())) == 3
    ended = Schedule.monthly(date(2026, 1, 1), "UTC", end=date(2026, 3, 15))
    assert list(ended.periods()) == [
        BillingPeriod(date(2026, 1, 1), date(2026, 2, 1), 0),
        BillingPeriod(date(2026, 2, 1), date(2026, 3, 1), 1),
        BillingPeriod(date(2026, 3, 1), date(2026, 3, 15), 2),
    ]
    with pytest.raises(ValidationError, match="index"):
        counted.period_at(3)


def test_custom_rule_month_ends_and_semi_monthly() -> None:
    month_end = Schedule.custom("FREQ=MONTHLY;BYMONTHDAY=-1", date(2024, 1, 31), "UTC")
    assert _starts(month_end, 3) == [date(2024, 1, 31), date(2024, 2, 29), date(2024, 3, 31)]
    semi = Schedule.custom("RRULE:FREQ=MONTHLY;BYMONTHDAY=1,15;COUNT=3", date(2026, 1, 1), "UTC")
    assert [(p.start, p.end) for p in semi.periods()] == [
        (date(2026, 1, 1), date(2026, 1, 15)),
        (date(2026, 1, 15), date(2026, 2, 1)),
        (date(2026, 2, 1), date(2026, 2, 15)),
    ]
    until = Schedule.custom("FREQ=WEEKLY;BYDAY=MO;UNTIL=20261214", date(2026, 12, 1), "UTC")
    assert _starts(until, 10) == [date(2026, 12, 1), date(2026, 12, 7), date(2026, 12, 14)]


def test_periods_between_gives_the_overlapping_periods() -> None:
    schedule = Schedule.monthly(date(2026, 1, 15), "UTC")
    found = schedule.periods_between(date(2026, 3, 1), date(2026, 4, 16))
    assert [p.index for p in found] == [1, 2, 3]


# -- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "path", "words"),
    [
        ({"anchor_day": 32}, "anchor_day", "1 to 31"),
        ({"anchor_day": 0}, "anchor_day", "1 to 31"),
        ({"interval": 0}, "interval", "from 1 to 120"),
        ({"interval": 10_000}, "interval", "from 1 to 120"),
        ({"interval": True}, "interval", "integer"),
        ({"count": 0}, "count", ">= 1"),
        ({"end": date(2025, 12, 31)}, "end", "after the start"),
        ({"end": date(2026, 1, 1)}, "end", "after the start"),
        ({"zone": "Mars/Olympus"}, "zone", "unknown time zone"),
        ({"zone": "Europe"}, "zone", "region"),
        ({"timing": "later"}, "timing", "'advance' or 'arrears'"),
        ({"alignment": "calendar", "anchor_day": 15}, "anchor_day", "anniversary"),
        ({"rule": "FREQ=DAILY"}, "rule", "only with frequency='custom'"),
        ({"time_of_day": "06:00"}, "time_of_day", "datetime.time"),
    ],
)
def test_bad_fields_name_the_path(fields: dict[str, object], path: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Schedule.monthly(date(2026, 1, 1), **{"zone": "UTC", **fields})  # type: ignore[arg-type]
    assert path in caught.value.paths
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never fires"),
        ("FREQ=MONTHLY;BYMONTH=4,6;BYMONTHDAY=31", "never fires"),
        ("FREQ=DAILY;UNTIL=20251231", "never fires: UNTIL 2025-12-31 is before the start"),
        ("FREQ=HOURLY", "FREQ must be DAILY, WEEKLY, MONTHLY or YEARLY"),
        ("FREQ=MONTHLY;BYHOUR=6", "BYHOUR not allowed"),
        ("FREQ=MONTHLY;DTSTART=20260101", "DTSTART not allowed"),
        ("FREQ=MONTHLY;COUNT=0", "COUNT must be an integer >= 1"),
        ("FREQ=MONTHLY;COUNT=2;UNTIL=20270101", "COUNT or UNTIL"),
        ("FREQ=MONTHLY;BYMONTHDAY=x", "cannot parse"),
        ("monthly", "KEY=VALUE"),
        ("FREQ=MONTHLY;FREQ=WEEKLY", "twice"),
        ("FREQ=YEARLY;INTERVAL=60", "fewer than twice"),
        ("", "allowed: an RRULE"),
    ],
)
def test_custom_rules_that_cannot_tile_are_refused(rule: str, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Schedule.custom(rule, date(2026, 1, 1), "UTC")
    assert caught.value.paths == ("rule",)
    assert words in str(caught.value)
    assert "allowed" in str(caught.value)


def test_custom_rule_with_interval_or_calendar_alignment_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        Schedule.custom("FREQ=MONTHLY", date(2026, 1, 1), "UTC", interval=2)
    assert caught.value.paths == ("interval",)
    with pytest.raises(ValidationError) as caught:
        Schedule.custom("FREQ=MONTHLY;COUNT=2", date(2026, 1, 1), "UTC", count=3)
    assert caught.value.paths == ("count",)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        Schedule(
            frequency="fortnightly",
            start="2026-01-01",  # type: ignore[arg-type]
            zone="Nowhere",
            count=-1,
        )
    assert set(caught.value.paths) == {"frequency", "start", "zone", "count"}


# -- T24 examples: bill times across DST --------------------------------------------------


def test_bill_time_in_a_dst_gap_moves_forward_and_a_repeat_takes_the_first() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    spring = Schedule.yearly(date(2026, 3, 29), "Europe/Berlin", time_of_day=time(2, 30))
    at = spring.bill_at(spring.period_at(0))
    assert (at.date(), at.hour, at.minute) == (date(2026, 3, 29), 3, 30)
    assert at.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    autumn = Schedule.yearly(date(2026, 10, 25), "Europe/Berlin", time_of_day=time(2, 30))
    at = autumn.bill_at(autumn.period_at(0))
    assert at.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # first 02:30 (CEST)
    assert at.tzinfo == berlin


def test_send_time_stays_at_six_local_across_dst() -> None:
    schedule = Schedule.weekly(date(2026, 3, 22), "America/New_York", time_of_day=time(6, 0))
    times = [schedule.bill_at(p) for p, _ in zip(schedule.periods(), range(40), strict=False)]
    assert {(t.hour, t.minute) for t in times} == {(6, 0)}
    assert len({t.utcoffset() for t in times}) == 2  # EDT and EST both seen


def test_apia_skipped_day_bills_at_the_next_existing_midnight() -> None:
    """Pacific/Apia had no 30 December 2011: a bill on that date falls on the next local day."""
    schedule = Schedule.custom("FREQ=DAILY", date(2011, 12, 29), "Pacific/Apia")
    days = [
        schedule.bill_at(p) for p in schedule.periods_between(date(2011, 12, 29), date(2012, 1, 1))
    ]
    assert [d.date() for d in days] == [date(2011, 12, 29), date(2011, 12, 31), date(2011, 12, 31)]
    assert days[1] == days[2]  # the same instant: billed together, each period once


def test_in_arrears_bills_at_the_period_end() -> None:
    schedule = Schedule.monthly(date(2026, 1, 1), "UTC", timing="arrears")
    assert schedule.bill_at(schedule.period_at(0)) == datetime(2026, 2, 1, tzinfo=UTC)


# -- due periods: catch-up once, clocks that jump ------------------------------------------


def test_due_periods_catch_up_after_an_outage_exactly_once() -> None:
    schedule = Schedule.monthly(date(2026, 1, 31), "Europe/Berlin")
    now = datetime(2026, 5, 10, tzinfo=UTC)
    due = due_periods(schedule, None, now)
    assert [p.start for p in due] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
    ]
    assert due_periods(schedule, due[-1].index, now) == []
    assert due_periods(schedule, due[-1].index, now - timedelta(days=60)) == []  # clock jumped back
    assert [p.index for p in due_periods(schedule, 1, now, limit=1)] == [2]


def test_due_periods_are_judged_in_the_zone_not_utc() -> None:
    """Kiritimati (UTC+14): March starts at 10:00 UTC on Feb 28; New York's 5 hours after UTC's."""
    east = Schedule.monthly(date(2026, 1, 1), "Pacific/Kiritimati")
    assert len(due_periods(east, None, datetime(2026, 2, 28, 9, 59, tzinfo=UTC))) == 2
    assert len(due_periods(east, None, datetime(2026, 2, 28, 10, 0, tzinfo=UTC))) == 3
    west = Schedule.monthly(date(2026, 1, 1), "America/New_York")
    assert len(due_periods(west, None, datetime(2026, 3, 1, 4, 59, tzinfo=UTC))) == 2
    assert len(due_periods(west, None, datetime(2026, 3, 1, 5, 0, tzinfo=UTC))) == 3


def test_due_periods_refuses_naive_now_and_bad_indexes() -> None:
    schedule = Schedule.monthly(date(2026, 1, 1), "UTC")
    with pytest.raises(ValidationError) as caught:
        due_periods(schedule, -1, datetime(2026, 1, 1))  # noqa: DTZ001 - the naive input under test
    assert set(caught.value.paths) == {"last_billed_index", "now"}


def test_periods_stop_before_year_9999_ends() -> None:
    schedule = Schedule.yearly(date(9990, 6, 1), "UTC", interval=5)
    # The next period would end in year 10000, which a date cannot hold: it is not a period.
    assert list(schedule.periods()) == [BillingPeriod(date(9990, 6, 1), date(9995, 6, 1), 0)]
    with pytest.raises(ValidationError, match="no such period"):
        schedule.period_at(1)
    with pytest.raises(ValidationError, match="no such period"):
        Schedule.weekly(date(2026, 1, 1), "UTC").period_at(10**15)
