"""Every change of a subscription, what it bills, and every refusal (canceled, bad input)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from invoicekit.domain.coupons import Coupon, CouponDuration
from invoicekit.domain.line import Line, ServicePeriod
from invoicekit.domain.schedule import Frequency
from invoicekit.domain.subscription import (
    PauseBehavior,
    ProrationBehavior,
    Subscription,
    SubscriptionStatus,
)
from invoicekit.domain.subscription_changes import (
    ALLOWED_STATUS,
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
from invoicekit.errors import ValidationError
from subscription_plans import TEAM, berlin, plan, subscribe

MID_JANUARY = berlin(2027, 1, 13, 15)  # 19 of 31 days left, 13 Jan included


def _amounts(lines: tuple[Line, ...]) -> list[Decimal]:
    return [line.quantity * line.unit_price for line in lines]


def _paths(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.path for p in exc.value.problems]


def test_more_seats_credit_the_old_quantity_and_charge_the_new_for_the_days_left() -> None:
    change = change_quantity(subscribe(), "seats", 5, at=MID_JANUARY, proration="prorate")
    credit, charge = change.lines
    assert credit.description == "Unused time on Seats × 3 (13–31 Jan 2027)"
    assert (credit.quantity, credit.unit_price) == (-1, Decimal("18.39"))  # 30 × 19/31
    assert charge.description == "Remaining time on Seats × 5 (13–31 Jan 2027)"
    assert (charge.quantity, charge.unit_price) == (1, Decimal("30.65"))  # 50 × 19/31
    assert credit.period == ServicePeriod(date(2027, 1, 13), date(2027, 1, 31))
    assert credit.note == "3 × 10.00 = 30.00; 30.00 × 19 of 31 days (13–31 Jan 2027) = 18.39"
    assert charge.note == "5 × 10.00 = 50.00; 50.00 × 19 of 31 days (13–31 Jan 2027) = 30.65"
    assert credit.taxes == (Vat("19"),)
    assert not change.invoice_now
    assert change.subscription.pending == change.lines
    assert change.subscription.item("seats").quantity == 5  # type: ignore[union-attr]


def test_a_change_undone_the_same_day_nets_to_zero() -> None:
    more = change_quantity(subscribe(), "seats", 7, at=MID_JANUARY, proration="prorate")
    back = change_quantity(
        more.subscription, "seats", 3, at=berlin(2027, 1, 13, 23, 59), proration="prorate"
    )
    assert sum(_amounts(back.subscription.pending)) == 0
    assert len(back.subscription.pending) == 4


def test_invoice_now_returns_the_lines_without_keeping_them_pending() -> None:
    change = change_quantity(subscribe(), "seats", 2, at=MID_JANUARY, proration="invoice_now")
    assert change.invoice_now
    assert _amounts(change.lines) == [Decimal("-18.39"), Decimal("12.26")]
    assert change.subscription.pending == ()


def test_no_proration_changes_the_quantity_for_the_next_bill_only() -> None:
    change = change_quantity(
        subscribe(), "seats", 9, at=MID_JANUARY, proration=ProrationBehavior.NONE
    )
    assert change.lines == ()
    assert change.subscription.item("seats").quantity == 9  # type: ignore[union-attr]


def test_a_change_before_the_first_bill_or_at_its_instant_prorates_nothing() -> None:
    trial = subscribe(trial_end=berlin(2027, 1, 15))
    assert (
        change_quantity(trial, "seats", 5, at=berlin(2027, 1, 10), proration="prorate").lines == ()
    )
    sub = subscribe()
    at_bill = berlin(2027, 2, 1)  # period 1's bill instant: that bill takes the new quantity
    assert change_quantity(sub, "seats", 5, at=at_bill, proration="prorate").lines == ()
    before_bill_time = berlin(2027, 2, 1, 8)  # 1 Feb is the period end: no day left
    assert change_quantity(sub, "seats", 5, at=before_bill_time, proration="prorate").lines == ()


def test_day_counts_follow_the_schedule_zone() -> None:
    late_utc = datetime(2027, 1, 12, 23, 30, tzinfo=UTC)  # already 13 Jan in Berlin
    change = change_quantity(subscribe(), "seats", 5, at=late_utc, proration="prorate")
    assert change.lines[0].period == ServicePeriod(date(2027, 1, 13), date(2027, 1, 31))


def test_change_quantity_refuses_bad_input_all_at_once() -> None:
    with pytest.raises(ValidationError) as exc:
        change_quantity(subscribe(), "base", -2, at=datetime(2027, 1, 2), proration="later")  # noqa: DTZ001
    assert _paths(exc) == ["quantity", "proration", "price_id", "at"]
    with pytest.raises(ValidationError) as exc:
        change_quantity(subscribe(), "nope", 1, at=MID_JANUARY, proration="none")
    assert "seats" in str(exc.value)


def test_a_plan_change_credits_every_fixed_and_seat_price_and_charges_the_new_ones() -> None:
    change = change_plan(subscribe(), TEAM, at=MID_JANUARY, proration="prorate")
    descriptions = [line.description for line in change.lines]
    assert descriptions == [
        "Unused time on Pro plan (13–31 Jan 2027)",
        "Unused time on Seats × 3 (13–31 Jan 2027)",
        "Remaining time on Team plan (13–31 Jan 2027)",
        "Remaining time on Seats × 1 (13–31 Jan 2027)",
    ]
    assert _amounts(change.lines) == [
        Decimal("-18.39"),  # 30 × 19/31
        Decimal("-18.39"),
        Decimal("30.65"),  # 50 × 19/31
        Decimal("7.35"),  # 12 × 19/31
    ]
    sub = change.subscription
    assert sub.plan_id == "team"
    assert [i.price.id for i in sub.items] == ["base_team", "seats_team", "api_team"]


def test_a_plan_change_keeps_seats_of_a_shared_price_and_bills_nothing_for_unchanged_items() -> (
    None
):
    cheaper = plan("pro2", fee="20.00")  # same seats price id "seats", same amount
    change = change_plan(subscribe(), cheaper, at=MID_JANUARY, proration="prorate")
    assert [line.description for line in change.lines] == [
        "Unused time on Pro plan (13–31 Jan 2027)",
        "Remaining time on Pro2 plan (13–31 Jan 2027)",
    ]
    assert change.subscription.item("seats").quantity == 3  # type: ignore[union-attr]
    more = change_plan(
        subscribe(), cheaper, at=MID_JANUARY, proration="none", quantities={"seats": 8}
    )
    assert more.lines == ()
    assert more.subscription.item("seats").quantity == 8  # type: ignore[union-attr]


def test_a_plan_change_refuses_another_currency_or_frequency() -> None:
    with pytest.raises(ValidationError) as exc:
        change_plan(subscribe(), plan("usd", currency="USD"), at=MID_JANUARY, proration="prorate")
    assert "has no prices in EUR" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        change_plan(
            subscribe(), plan("y", frequency=Frequency.YEARLY), at=MID_JANUARY, proration="prorate"
        )
    assert _paths(exc) == ["plan"]
    with pytest.raises(ValidationError) as exc:
        change_plan(
            subscribe(), TEAM, at=MID_JANUARY, proration="prorate", quantities={"seats_team": -1}
        )
    assert _paths(exc) == ["quantities.seats_team"]


def test_pause_and_resume_record_the_pause_and_refuse_out_of_order() -> None:
    paused = pause(subscribe(), at=berlin(2027, 2, 10), behavior="mark_uncollectible").subscription
    assert paused.status is SubscriptionStatus.PAUSED
    assert paused.pauses[0].behavior is PauseBehavior.MARK_UNCOLLECTIBLE
    with pytest.raises(ValidationError) as exc:
        resume(paused, at=berlin(2027, 2, 9))
    assert _paths(exc) == ["at"]
    with pytest.raises(ValidationError) as exc:
        pause(paused, at=berlin(2027, 2, 11), behavior="skip")
    assert _paths(exc) == ["status"]
    with pytest.raises(ValidationError) as exc:
        change_quantity(paused, "seats", 1, at=berlin(2027, 2, 11), proration="prorate")
    assert _paths(exc) == ["status"]
    resumed = resume(paused, at=berlin(2027, 4, 1)).subscription
    assert resumed.status is SubscriptionStatus.ACTIVE
    assert resumed.pauses[0].end == berlin(2027, 4, 1)
    with pytest.raises(ValidationError):
        pause(subscribe(), at=MID_JANUARY, behavior="forever")


def test_cancel_at_period_end_ends_at_the_next_bill_and_bills_nothing_now() -> None:
    change = cancel(subscribe(), at=MID_JANUARY, at_period_end=True, prorate=True)
    sub = change.subscription
    assert change.lines == ()
    assert sub.cancel_at == berlin(2027, 2, 1)
    assert sub.cancel_at_period_end
    assert sub.status is SubscriptionStatus.ACTIVE


def test_cancel_now_with_proration_credits_the_unused_days_on_an_invoice_now() -> None:
    change = cancel(subscribe(), at=MID_JANUARY, at_period_end=False, prorate=True)
    assert change.invoice_now
    assert _amounts(change.lines) == [Decimal("-18.39"), Decimal("-18.39")]
    sub = change.subscription
    assert sub.status is SubscriptionStatus.CANCELED
    assert sub.canceled_at == sub.cancel_at == MID_JANUARY
    without = cancel(subscribe(), at=MID_JANUARY, at_period_end=False, prorate=False)
    assert without.lines == ()
    assert not without.invoice_now


def test_nothing_changes_a_canceled_subscription() -> None:
    done = cancel(subscribe(), at=MID_JANUARY, at_period_end=False, prorate=False).subscription
    later = berlin(2027, 1, 20)
    refusals = [
        lambda: change_quantity(done, "seats", 1, at=later, proration="none"),
        lambda: change_plan(done, TEAM, at=later, proration="none"),
        lambda: pause(done, at=later, behavior="skip"),
        lambda: resume(done, at=later),
        lambda: cancel(done, at=later, at_period_end=False, prorate=False),
        lambda: add_coupon(done, Coupon(id="c", name="C", percent_off=Decimal(10)), at=later),
        lambda: set_status(done, "active", at=later),
        lambda: end_trial(done, at=later, has_payment_method=True),
    ]
    for refused in refusals:
        with pytest.raises(ValidationError) as exc:
            refused()
        assert _paths(exc) == ["status"]


def test_end_trial_with_a_payment_method_activates_it() -> None:
    trial = subscribe(trial_end=berlin(2027, 1, 15))
    sub = end_trial(trial, at=berlin(2027, 1, 15), has_payment_method=True).subscription
    assert sub.status is SubscriptionStatus.ACTIVE
    assert sub.schedule == trial.schedule


def test_ending_a_trial_early_starts_billing_then() -> None:
    trial = subscribe(trial_end=berlin(2027, 1, 15))
    sub = end_trial(trial, at=berlin(2027, 1, 5, 14), has_payment_method=True).subscription
    assert sub.trial_end == berlin(2027, 1, 5, 14)
    assert sub.schedule.bill_at(sub.schedule.period_at(0)) == berlin(2027, 1, 5, 14)


def test_a_trial_without_a_payment_method_ends_canceled_at_the_trial_end() -> None:
    trial = subscribe(trial_end=berlin(2027, 1, 15))
    sub = end_trial(trial, at=berlin(2027, 1, 15, 10), has_payment_method=False).subscription
    assert sub.status is SubscriptionStatus.CANCELED
    assert sub.cancel_at == berlin(2027, 1, 15)
    with pytest.raises(ValidationError) as exc:
        end_trial(subscribe(), at=MID_JANUARY, has_payment_method=True)
    assert _paths(exc) == ["status"]
    with pytest.raises(ValidationError) as exc:
        end_trial(trial, at=MID_JANUARY, has_payment_method="yes")  # type: ignore[arg-type]
    assert _paths(exc) == ["has_payment_method"]


def test_a_coupon_applies_from_the_next_bill() -> None:
    coupon = Coupon(id="c10", name="10% off", percent_off=Decimal(10))
    sub = add_coupon(subscribe(), coupon, at=MID_JANUARY).subscription
    assert sub.coupons[0].first_index == 1
    trial = add_coupon(subscribe(trial_end=berlin(2027, 1, 15)), coupon, at=MID_JANUARY)
    assert trial.subscription.coupons[0].first_index == 0


def test_a_coupon_in_another_currency_or_applied_twice_is_refused() -> None:
    dollars = Coupon(id="d5", name="$5 off", amount_off=Decimal(5), currency="USD")
    with pytest.raises(ValidationError) as exc:
        add_coupon(subscribe(), dollars, at=MID_JANUARY)
    assert _paths(exc) == ["coupon.currency"]
    once = Coupon(id="c", name="C", percent_off=Decimal(5), duration=CouponDuration.ONCE)
    sub = add_coupon(subscribe(), once, at=MID_JANUARY).subscription
    with pytest.raises(ValidationError) as exc:
        add_coupon(sub, once, at=MID_JANUARY)
    assert _paths(exc) == ["coupon"]


@pytest.mark.parametrize(
    ("start", "target"),
    [(s, t) for s in SubscriptionStatus for t in SubscriptionStatus],
)
def test_set_status_follows_its_table(
    start: SubscriptionStatus, target: SubscriptionStatus
) -> None:
    sub: Subscription = subscribe()
    import attrs

    sub = attrs.evolve(sub, status=start)
    if target in ALLOWED_STATUS[start]:
        moved = set_status(sub, target, at=MID_JANUARY)
        assert moved.status is target
        if target is SubscriptionStatus.CANCELED:
            assert moved.canceled_at == moved.cancel_at == MID_JANUARY
    else:
        with pytest.raises(ValidationError) as exc:
            set_status(sub, target, at=MID_JANUARY)
        assert _paths(exc) == ["status"]


def test_dunning_moves_past_due_to_unpaid_or_canceled() -> None:
    due = set_status(subscribe(), "past_due", at=MID_JANUARY)
    assert set_status(due, "unpaid", at=MID_JANUARY).status is SubscriptionStatus.UNPAID
    assert set_status(due, "active", at=MID_JANUARY).status is SubscriptionStatus.ACTIVE
    with pytest.raises(ValidationError):
        set_status(due, "sleeping", at=MID_JANUARY)


def test_nothing_changes_at_or_after_a_cancellation_at_period_end() -> None:
    ending = cancel(subscribe(), at=MID_JANUARY, at_period_end=True, prorate=False).subscription
    after = berlin(2027, 2, 1, 9)
    coupon = Coupon(id="c", name="C", percent_off=Decimal(10))
    for refused in (
        lambda: change_quantity(ending, "seats", 1, at=after, proration="none"),
        lambda: change_plan(ending, TEAM, at=after, proration="none"),
        lambda: pause(ending, at=after, behavior="skip"),
        lambda: add_coupon(ending, coupon, at=after),
    ):
        with pytest.raises(ValidationError) as exc:
            refused()
        assert _paths(exc) == ["at"]
    before = berlin(2027, 1, 20)
    assert change_quantity(ending, "seats", 4, at=before, proration="prorate").lines


def test_a_change_before_the_last_plan_change_is_refused() -> None:
    moved = change_plan(subscribe(), TEAM, at=MID_JANUARY, proration="none").subscription
    with pytest.raises(ValidationError) as exc:
        change_quantity(moved, "seats_team", 2, at=berlin(2027, 1, 12), proration="none")
    assert _paths(exc) == ["at"]
    assert "last plan change" in str(exc.value)
