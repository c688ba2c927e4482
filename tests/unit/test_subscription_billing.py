"""due_bills and bill_lines: advance fees, arrears usage, trials, pauses, cancellations, catch-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from invoicekit.domain.coupons import Coupon
from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.pricing import Plan, Price
from invoicekit.domain.subscription import SubscriptionStatus
from invoicekit.domain.subscription_billing import (
    TRIAL_INDEX,
    PeriodBill,
    after_bill,
    bill_lines,
    billed_index_of,
    current_period,
    due_bills,
    usage_windows,
)
from invoicekit.domain.subscription_changes import (
    add_coupon,
    cancel,
    change_plan,
    change_quantity,
    end_trial,
    pause,
    resume,
    set_status,
)
from invoicekit.domain.tax import Vat
from invoicekit.domain.usage import Usage
from invoicekit.errors import ValidationError
from subscription_plans import PRO, TEAM, berlin, plan, subscribe

USAGE = {"api": Usage(Decimal(1500), 40)}


def _indexes(bills: list[PeriodBill]) -> list[int]:
    return [b.index for b in bills]


def _text(lines: tuple[Line, ...]) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.description, line.quantity, line.unit_price) for line in lines]


def test_the_first_bill_charges_the_first_period_in_advance_and_no_usage() -> None:
    sub = subscribe()
    (bill,) = due_bills(sub, None, berlin(2027, 1, 1))
    assert (bill.index, bill.bill_at, bill.usage_window) == (0, berlin(2027, 1, 1), None)
    assert _text(bill_lines(sub, bill, USAGE)) == [
        ("Pro plan (1–31 Jan 2027)", 1, Decimal("30.00")),
        ("Seats (1–31 Jan 2027)", 3, Decimal("10.00")),
    ]
    assert due_bills(sub, None, berlin(2027, 1, 1, 8)) == []


def test_each_later_bill_charges_its_period_and_the_previous_periods_usage() -> None:
    sub = subscribe()
    (bill,) = due_bills(sub, 0, berlin(2027, 2, 1, 9))
    assert bill.usage_window == (berlin(2027, 1, 1), berlin(2027, 2, 1))
    lines = bill_lines(sub, bill, USAGE)
    assert _text(lines) == [
        ("Pro plan (1–28 Feb 2027)", 1, Decimal("30.00")),
        ("Seats (1–28 Feb 2027)", 3, Decimal("10.00")),
        ("API calls (1–31 Jan 2027)", 1500, Decimal("0.01")),
    ]
    assert lines[0].period == ServicePeriod(date(2027, 2, 1), date(2027, 2, 28))
    assert lines[2].period == ServicePeriod(date(2027, 1, 1), date(2027, 1, 31))
    assert lines[2].taxes == (Vat("19"),)
    assert [line.note for line in lines] == [
        "fixed fee: 1 × 30.00 = 30.00",
        "3 × 10.00 = 30.00",
        "1,500 × 0.01 = 15.00",
    ]


def test_usage_of_more_units_than_a_line_holds_is_billed_as_its_amount_once() -> None:
    sub = subscribe(plan=plan("huge", call="0.000001"))
    (bill,) = due_bills(sub, 0, berlin(2027, 2, 1, 9))
    lines = bill_lines(sub, bill, {"api": Usage(Decimal(5_000_000_000), 1)})
    calls = lines[-1]
    assert (calls.quantity, calls.unit_price) == (1, Decimal("5000.00"))
    assert calls.note == "5,000,000,000 × 0.000001 = 5,000.00"


def test_missed_bills_come_back_exactly_once_in_order() -> None:
    sub = subscribe()
    late = berlin(2027, 5, 20)
    bills = due_bills(sub, None, late)
    assert _indexes(bills) == [0, 1, 2, 3, 4]
    windows = [b.usage_window for b in bills[1:]]
    assert all(a[1] == b[0] for a, b in pairwise(windows))  # type: ignore[index]
    assert _indexes(due_bills(sub, 4, late)) == []
    assert _indexes(due_bills(sub, 2, late)) == [3, 4]
    assert due_bills(sub, 4, berlin(2027, 1, 1)) == []  # a clock that went back: nothing new


def test_proration_lines_go_on_the_next_bill_once() -> None:
    sub = change_quantity(
        subscribe(), "seats", 5, at=berlin(2027, 1, 13), proration="prorate"
    ).subscription
    (bill,) = due_bills(sub, 0, berlin(2027, 2, 1))
    lines = bill_lines(sub, bill, {})
    assert [line.description for line in lines][-2:] == [
        "Unused time on Seats × 3 (13–31 Jan 2027)",
        "Remaining time on Seats × 5 (13–31 Jan 2027)",
    ]
    assert _text(lines)[1] == ("Seats (1–28 Feb 2027)", 5, Decimal("10.00"))
    billed = after_bill(sub, bill)
    assert billed.pending == ()
    (following,) = due_bills(billed, 1, berlin(2027, 3, 1))
    assert "Unused" not in " ".join(line.description for line in bill_lines(billed, following, {}))


def test_a_trial_bills_nothing_until_it_ends_then_bills_from_its_end() -> None:
    trial = subscribe(trial_end=berlin(2027, 1, 15))
    assert due_bills(trial, None, berlin(2027, 3, 1)) == []  # waits for end_trial
    sub = end_trial(trial, at=berlin(2027, 1, 15), has_payment_method=True).subscription
    first, second = due_bills(sub, None, berlin(2027, 2, 15))
    assert first.period.start == date(2027, 1, 15)
    assert first.usage_window is None  # usage in the trial is free
    assert second.usage_window == (berlin(2027, 1, 15), berlin(2027, 2, 15))
    assert _text(bill_lines(sub, first, USAGE))[0] == (
        "Pro plan (15 Jan–14 Feb 2027)",
        1,
        Decimal("30.00"),
    )


def test_a_trial_at_a_price_is_billed_when_it_starts() -> None:
    trial = subscribe(
        trial_end=berlin(2027, 1, 15),
        trial_lines=[Line("Trial fortnight", 1, "5.00", tax=Vat("19"))],
    )
    (bill,) = due_bills(trial, None, berlin(2027, 1, 2))
    assert (bill.index, bill.bill_at) == (TRIAL_INDEX, berlin(2027, 1, 1))
    (line,) = bill_lines(trial, bill, {})
    assert line.period == ServicePeriod(date(2027, 1, 1), date(2027, 1, 14))
    assert due_bills(trial, TRIAL_INDEX, berlin(2027, 1, 20)) == []
    sub = end_trial(trial, at=berlin(2027, 1, 15), has_payment_method=True).subscription
    assert _indexes(due_bills(sub, TRIAL_INDEX, berlin(2027, 1, 20))) == [0]


def test_a_trial_ended_without_a_payment_method_never_bills() -> None:
    trial = subscribe(trial_end=berlin(2027, 1, 15))
    sub = end_trial(trial, at=berlin(2027, 1, 15), has_payment_method=False).subscription
    assert due_bills(sub, None, berlin(2028, 1, 1)) == []


def test_bills_in_a_skip_pause_are_skipped_and_their_usage_moves_to_the_next_bill() -> None:
    sub = pause(subscribe(), at=berlin(2027, 2, 10), behavior="skip").subscription
    assert _indexes(due_bills(sub, 0, berlin(2027, 6, 1))) == [1]  # open pause: wait
    sub = resume(sub, at=berlin(2027, 4, 15)).subscription
    bills = due_bills(sub, 1, berlin(2027, 5, 1))
    assert [(b.index, b.skipped) for b in bills] == [(2, "paused"), (3, "paused"), (4, None)]
    assert bill_lines(sub, bills[0], USAGE) == ()
    assert bills[2].usage_window == (berlin(2027, 2, 1), berlin(2027, 5, 1))
    assert _text(bill_lines(sub, bills[2], USAGE))[2][0] == "API calls (1 Feb–30 Apr 2027)"


def test_bills_in_an_uncollectible_pause_are_billed_and_marked() -> None:
    sub = pause(subscribe(), at=berlin(2027, 2, 10), behavior="mark_uncollectible").subscription
    sub = resume(sub, at=berlin(2027, 3, 15)).subscription
    bills = due_bills(sub, 1, berlin(2027, 4, 1))
    assert [(b.index, b.uncollectible, b.skipped) for b in bills] == [
        (2, True, None),
        (3, False, None),
    ]
    assert bill_lines(sub, bills[0], USAGE) != ()


def test_cancel_at_period_end_ends_with_a_final_usage_bill_and_no_fees() -> None:
    sub = cancel(
        subscribe(), at=berlin(2027, 1, 20), at_period_end=True, prorate=False
    ).subscription
    (final,) = due_bills(sub, 0, berlin(2027, 6, 1))
    assert (final.index, final.final, final.bill_at) == (1, True, berlin(2027, 2, 1))
    assert final.usage_window == (berlin(2027, 1, 1), berlin(2027, 2, 1))
    assert _text(bill_lines(sub, final, USAGE)) == [
        ("API calls (1–31 Jan 2027)", 1500, Decimal("0.01"))
    ]
    done = after_bill(sub, final)
    assert done.status is SubscriptionStatus.CANCELED
    assert due_bills(done, 1, berlin(2028, 1, 1)) == []


def test_cancel_now_bills_the_usage_up_to_the_cancellation_once() -> None:
    sub = subscribe()
    assert _indexes(due_bills(sub, None, berlin(2027, 3, 1))) == [0, 1, 2]
    canceled = cancel(sub, at=berlin(2027, 3, 10, 12), at_period_end=False, prorate=True)
    done = canceled.subscription
    assert canceled.invoice_now
    assert due_bills(done, 2, berlin(2027, 3, 10, 11)) == []  # not yet
    (final,) = due_bills(done, 2, berlin(2027, 3, 10, 12))
    assert (final.index, final.final) == (3, True)
    assert final.usage_window == (berlin(2027, 3, 1), berlin(2027, 3, 10, 12))
    assert _text(bill_lines(done, final, USAGE)) == [
        ("API calls (1–10 Mar 2027)", 1500, Decimal("0.01"))
    ]
    assert due_bills(done, 3, berlin(2028, 1, 1)) == []


def test_a_cancellation_before_the_first_bill_bills_nothing() -> None:
    sub = subscribe(start=berlin(2027, 6, 1))
    done = cancel(sub, at=berlin(2027, 5, 1), at_period_end=False, prorate=True)
    assert done.lines == ()
    assert due_bills(done.subscription, None, berlin(2028, 1, 1)) == []


def test_current_period_is_the_last_one_billed_before_the_instant() -> None:
    sub = subscribe()
    assert current_period(sub, berlin(2027, 1, 1)) is None
    assert current_period(sub, berlin(2027, 1, 1, 9, 1)).index == 0  # type: ignore[union-attr]
    assert current_period(sub, berlin(2027, 3, 1, 9)).index == 1  # type: ignore[union-attr]


def test_due_bills_refuses_a_naive_now_and_a_bad_index() -> None:
    with pytest.raises(ValidationError) as exc:
        due_bills(subscribe(), -5, datetime(2027, 1, 1))  # noqa: DTZ001 - naive on purpose
    assert [p.path for p in exc.value.problems] == ["last_index", "now"]


def test_after_bill_keeps_pending_lines_through_a_skipped_bill() -> None:
    sub = change_quantity(
        subscribe(), "seats", 5, at=berlin(2027, 1, 13), proration="prorate"
    ).subscription
    skipped = PeriodBill(
        index=1, bill_at=berlin(2027, 2, 1), period=sub.schedule.period_at(1), skipped="paused"
    )
    assert after_bill(sub, skipped).pending == sub.pending


def test_bills_in_a_dst_zone_keep_their_local_time() -> None:
    sub = subscribe(start=datetime(2027, 3, 1, 1, 30, tzinfo=UTC), zone="America/New_York")
    bills = due_bills(sub, None, datetime(2027, 12, 1, tzinfo=UTC))
    local = {(b.bill_at.astimezone(ZoneInfo("America/New_York")).time()) for b in bills}
    assert local == {time(20, 30)}  # across the March and November DST changes
    assert bills[0].period.start == date(2027, 2, 28)


def test_a_coupon_discounts_the_bills_it_applies_to() -> None:
    coupon = Coupon.create(
        id="c10", name="10% off", percent_off=10, duration="repeating", periods=2
    )
    sub = add_coupon(subscribe(), coupon, at=berlin(2027, 1, 13)).subscription
    bills = due_bills(sub, 0, berlin(2027, 4, 1))
    discounted = [
        [d.reason for line in bill_lines(sub, bill, {}) for d in line.discounts] for bill in bills
    ]
    assert discounted == [["10% off", "10% off"], ["10% off", "10% off"], []]


def test_tiered_seats_bill_one_line_per_tier_and_prorate_on_the_rated_amount() -> None:
    tiered = Price.create(
        id="seats",
        description="Seats",
        currency="EUR",
        kind="seats",
        model="graduated",
        tiers=[{"up_to": 5, "unit_amount": "10.00"}, {"up_to": None, "unit_amount": "6.00"}],
        tax=Vat("19"),
    )
    plan = Plan.create(id="tiered", name="Tiered", frequency="monthly", prices=[tiered])
    sub = subscribe(plan=plan, quantities={"seats": 8})
    (bill,) = due_bills(sub, None, berlin(2027, 1, 1))
    lines = bill_lines(sub, bill, {})
    assert [(line.quantity, line.unit_price) for line in lines] == [
        (5, Decimal("10.00")),
        (3, Decimal("6.00")),
    ]
    change = change_quantity(sub, "seats", 4, at=berlin(2027, 1, 13), proration="prorate")
    # 8 seats: 68.00 × 19/31 = 41.68; 4 seats: 40.00 × 19/31 = 24.52
    assert [line.quantity * line.unit_price for line in change.lines] == [
        Decimal("-41.68"),
        Decimal("24.52"),
    ]


def test_a_plan_change_splits_the_periods_usage_at_its_instant() -> None:
    switch = berlin(2027, 1, 13, 15)
    sub = change_plan(subscribe(), TEAM, at=switch, proration="none").subscription
    (bill,) = due_bills(sub, 0, berlin(2027, 2, 1))
    windows = usage_windows(sub, bill)
    assert [(w.key, w.start, w.end) for w in windows] == [
        ("api@2027-01-13T15:00:00+01:00", berlin(2027, 1, 1), switch),
        ("api_team", switch, berlin(2027, 2, 1)),
    ]
    usage = {
        "api@2027-01-13T15:00:00+01:00": Usage(Decimal(1000), 9),
        "api_team": Usage(Decimal(500), 4),
    }
    metered = [line for line in bill_lines(sub, bill, usage) if "API" in line.description]
    assert _text(tuple(metered)) == [
        ("API calls (1–13 Jan 2027)", 1000, Decimal("0.01")),
        ("API calls (13–31 Jan 2027)", 500, Decimal("0.02")),
    ]
    billed = after_bill(sub, bill)
    assert billed.retired == sub.retired  # kept: late usage of January is recounted on it
    (following,) = due_bills(billed, 1, berlin(2027, 3, 1))
    assert [w.key for w in usage_windows(billed, following)] == ["api_team"]


def test_usage_before_a_change_to_a_plan_without_that_meter_is_still_billed() -> None:
    flat = Plan.create(id="flat", name="Flat", frequency="monthly", prices=[PRO.prices[0]])
    sub = change_plan(subscribe(), flat, at=berlin(2027, 1, 20), proration="none").subscription
    (bill,) = due_bills(sub, 0, berlin(2027, 2, 1))
    (window,) = usage_windows(sub, bill)
    assert (window.price.id, window.end) == ("api", berlin(2027, 1, 20))


def test_a_bill_caught_up_after_a_plan_change_bills_its_usage_at_the_old_price() -> None:
    sub = change_plan(subscribe(), TEAM, at=berlin(2027, 3, 10), proration="none").subscription
    bills = due_bills(sub, 0, berlin(2027, 3, 10, 12))
    assert [[(w.price.id, w.start, w.end) for w in usage_windows(sub, b)] for b in bills] == [
        [("api", berlin(2027, 1, 1), berlin(2027, 2, 1))],
        [("api", berlin(2027, 2, 1), berlin(2027, 3, 1))],
    ]


def test_a_paid_trial_canceled_before_it_starts_bills_nothing() -> None:
    trial = subscribe(
        start=berlin(2027, 3, 1),
        trial_end=berlin(2027, 3, 15),
        trial_lines=[Line("Trial fortnight", 1, "5.00", tax=Vat("19"))],
    )
    gone = cancel(trial, at=berlin(2027, 2, 1), at_period_end=False, prorate=True).subscription
    assert due_bills(gone, None, berlin(2027, 6, 1)) == []
    started = cancel(trial, at=berlin(2027, 3, 2), at_period_end=False, prorate=True).subscription
    assert _indexes(due_bills(started, None, berlin(2027, 6, 1))) == [TRIAL_INDEX]


def test_plans_switched_back_and_forth_at_one_instant_bill_no_usage_twice() -> None:
    at = berlin(2027, 1, 13, 15)
    sub = change_plan(subscribe(), TEAM, at=at, proration="none").subscription
    sub = change_plan(sub, PRO, at=at, proration="none").subscription
    (bill,) = due_bills(sub, 0, berlin(2027, 2, 1))
    assert [(w.key, w.start, w.end) for w in usage_windows(sub, bill)] == [
        ("api@2027-01-13T15:00:00+01:00", berlin(2027, 1, 1), at),
        ("api", at, berlin(2027, 2, 1)),
    ]


def test_canceling_a_paused_subscription_ends_the_pause_and_still_bills_the_usage() -> None:
    paused = pause(subscribe(), at=berlin(2027, 1, 20), behavior="skip").subscription
    done = cancel(paused, at=berlin(2027, 3, 10), at_period_end=False, prorate=True)
    assert done.lines == ()  # nothing billed while paused to credit
    assert done.subscription.pauses[0].end == berlin(2027, 3, 10)
    bills = due_bills(done.subscription, 0, berlin(2027, 4, 1))
    assert [(b.index, b.skipped, b.final) for b in bills] == [
        (1, "paused", False),
        (2, "paused", False),
        (3, None, True),
    ]
    assert bills[-1].usage_window == (berlin(2027, 1, 1), berlin(2027, 3, 10))


def test_a_trial_canceled_after_its_end_without_end_trial_bills_nothing() -> None:
    trial = subscribe(trial_end=berlin(2027, 1, 15))
    late = berlin(2027, 2, 20)
    now = cancel(trial, at=late, at_period_end=False, prorate=True).subscription
    assert now.cancel_at == berlin(2027, 1, 15)
    assert due_bills(now, None, berlin(2028, 1, 1)) == []
    later = cancel(trial, at=late, at_period_end=True, prorate=True).subscription
    assert later.cancel_at == berlin(2027, 1, 15)
    assert due_bills(later, None, berlin(2028, 1, 1)) == []
    assert set_status(trial, "canceled", at=late).cancel_at == berlin(2027, 1, 15)


def test_a_paused_subscription_canceled_at_period_end_gets_its_final_bill() -> None:
    paused = pause(subscribe(), at=berlin(2027, 1, 1, 9), behavior="skip").subscription
    ending = cancel(paused, at=berlin(2027, 1, 1, 10), at_period_end=True, prorate=False)
    sub = ending.subscription
    assert due_bills(sub, None, berlin(2027, 1, 20)) == []  # paused: wait
    bills = due_bills(sub, None, berlin(2027, 2, 1, 9))
    assert [(b.index, b.skipped, b.final) for b in bills] == [(0, "paused", False), (1, None, True)]


def test_a_percent_coupon_takes_its_percent_of_a_capped_metered_price() -> None:
    capped = Price.create(
        id="cards",
        description="Card payments",
        currency="EUR",
        kind="metered",
        model="percentage",
        percent="2.9",
        fixed_fee="0.30",
        maximum="30.00",
        meter="payments",
        tax=Vat("19"),
    )
    only = Plan.create(id="cards", name="Cards", frequency="monthly", prices=[capped])
    coupon = Coupon.create(id="c10", name="10% off", percent_off=10, duration="forever")
    sub = add_coupon(
        subscribe(plan=only, quantities={}), coupon, at=berlin(2027, 1, 1)
    ).subscription
    bill = due_bills(sub, 0, berlin(2027, 2, 1))[0]
    lines = bill_lines(sub, bill, {"cards": Usage(Decimal("1000.00"), 12)})
    net = sum((line.quantity * line.unit_price for line in lines), Decimal(0))
    taken = sum((d.amount or Decimal(0) for line in lines for d in line.discounts), Decimal(0))
    assert (net, taken) == (Decimal("30.00"), Decimal("3.00"))


def test_billed_index_of_finds_the_billed_window_late_usage_falls_in() -> None:
    sub = pause(subscribe(), at=berlin(2027, 2, 10), behavior="skip").subscription
    sub = resume(sub, at=berlin(2027, 4, 15)).subscription
    billed = [0, 1, 4, 5]  # bills 2 and 3 were skipped: bill 4 took their usage
    assert billed_index_of(sub, berlin(2027, 1, 20), billed) == 1
    assert billed_index_of(sub, berlin(2027, 2, 1, 8), billed) == 1
    assert billed_index_of(sub, berlin(2027, 2, 1, 9), billed) == 4
    assert billed_index_of(sub, berlin(2027, 4, 30), billed) == 4
    assert billed_index_of(sub, berlin(2027, 5, 20), billed) == 5
    assert billed_index_of(sub, berlin(2027, 6, 1, 9), billed) is None
    assert billed_index_of(sub, berlin(2027, 1, 1, 9), billed) == 1
