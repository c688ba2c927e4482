"""I2 for subscriptions: walking a clock forward, every bill comes out exactly once, and the
usage windows of the bills that are issued tile time (no usage billed twice or lost), through
pauses, resumes and cancellations, in DST zones."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from invoicekit.domain.subscription import Subscription
from invoicekit.domain.subscription_billing import PeriodBill, after_bill, due_bills, usage_windows
from invoicekit.domain.subscription_changes import cancel, change_plan, pause, resume
from sizes import examples
from subscription_plans import PRO, TEAM, subscribe

ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia"]


def _walk(sub: Subscription, steps: list[timedelta], begin: datetime) -> list[PeriodBill]:
    """Call due_bills at each step of a clock, as run_due would, recording progress."""
    last: int | None = None
    got: list[PeriodBill] = []
    now = begin
    for step in steps:
        now += step
        for bill in due_bills(sub, last, now):
            got.append(bill)
            sub = after_bill(sub, bill)
            last = bill.index
    return got


@settings(max_examples=examples(ci=1_000, dev=60))
@given(
    start=st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)),
    hour=st.integers(0, 23),
    zone=st.sampled_from(ZONES),
    anchor=st.one_of(st.none(), st.integers(1, 31)),
    steps=st.lists(st.integers(1, 90 * 24), min_size=1, max_size=30),
    pause_at=st.one_of(st.none(), st.integers(0, 300 * 24)),
    pause_for=st.integers(1, 120 * 24),
    skip=st.booleans(),
    cancel_at=st.one_of(st.none(), st.integers(0, 500 * 24)),
    at_period_end=st.booleans(),
)
def test_i2_each_bill_once_and_usage_windows_tile(
    *,
    start: date,
    hour: int,
    zone: str,
    anchor: int | None,
    steps: list[int],
    pause_at: int | None,
    pause_for: int,
    skip: bool,
    cancel_at: int | None,
    at_period_end: bool,
) -> None:
    begin = datetime(start.year, start.month, start.day, hour, tzinfo=ZoneInfo(zone))
    sub = subscribe(plan=PRO, start=begin, zone=zone, anchor_day=anchor)
    if pause_at is not None:
        paused = begin + timedelta(hours=pause_at)
        sub = pause(sub, at=paused, behavior="skip" if skip else "mark_uncollectible").subscription
        sub = resume(sub, at=paused + timedelta(hours=pause_for)).subscription
    if cancel_at is not None:
        ends = begin + timedelta(hours=cancel_at + (pause_at or 0) + pause_for)
        sub = cancel(sub, at=ends, at_period_end=at_period_end, prorate=False).subscription
    hours = [timedelta(hours=h) for h in steps]
    walked = _walk(sub, hours, begin)
    at_once = due_bills(sub, None, begin + sum(hours, timedelta()))
    # Exactly once, in order, whatever the clock's steps: the same as one late call.
    assert [b.index for b in walked] == [b.index for b in at_once]
    assert [b.index for b in walked] == list(range(len(walked)))
    assert sum(b.final for b in walked) <= 1
    assert all(not b.final for b in walked[:-1])
    # Usage: the windows of the bills issued tile time from the first bill on.
    windows = [b.usage_window for b in walked if b.skipped is None and b.usage_window]
    assert all(a[1] == b[0] for a, b in pairwise(windows))  # type: ignore[index]
    if windows:
        assert windows[0][0] == walked[0].bill_at  # type: ignore[index]
    if walked and walked[-1].final:
        assert walked[-1].usage_window[1] == sub.cancel_at  # type: ignore[index]


@settings(max_examples=examples(ci=1_000, dev=60))
@given(
    zone=st.sampled_from(ZONES),
    switches=st.lists(st.integers(1, 200 * 24), min_size=1, max_size=5),
    steps=st.lists(st.integers(1, 60 * 24), min_size=1, max_size=12),
)
def test_plan_changes_split_each_bills_usage_without_gap_or_overlap(
    zone: str, switches: list[int], steps: list[int]
) -> None:
    begin = datetime(2027, 1, 1, 9, tzinfo=ZoneInfo(zone))
    sub = subscribe(start=begin, zone=zone)
    plans = [TEAM, PRO]
    for n, hours in enumerate(sorted(set(switches))):
        at = begin + timedelta(hours=hours)
        sub = change_plan(sub, plans[n % 2], at=at, proration="none").subscription
    last: int | None = None
    now = begin
    for step in steps:
        now += timedelta(hours=step)
        for bill in due_bills(sub, last, now):
            windows = sorted(usage_windows(sub, bill), key=lambda w: w.start)
            if bill.usage_window is not None:
                # One meter, api_calls: its windows tile the bill's window exactly.
                assert windows[0].start == bill.usage_window[0]
                assert windows[-1].end == bill.usage_window[1]
                assert all(a.end == b.start for a, b in pairwise(windows))
                assert len({w.key for w in windows}) == len(windows)
            else:
                assert windows == []
            sub = after_bill(sub, bill)
            last = bill.index
    assert len({r.key for r in sub.retired}) == len(sub.retired)  # one per change, all kept
