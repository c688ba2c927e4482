"""Subscription.create: the schedule it builds, trials, quantities, and every refusal at once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest

from invoicekit.domain.coupons import AppliedCoupon, Coupon
from invoicekit.domain.line import Line
from invoicekit.domain.pricing import Plan
from invoicekit.domain.proration import days_text, prorate
from invoicekit.domain.schedule import BillingPeriod, BillTiming, Frequency
from invoicekit.domain.subscription import SubscriptionStatus
from invoicekit.domain.tax import Vat
from invoicekit.errors import ValidationError
from subscription_plans import BERLIN, PRO, berlin, plan, subscribe


def _paths(exc: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [p.path for p in exc.value.problems]


def test_create_takes_the_plans_prices_in_the_currency_and_builds_an_advance_schedule() -> None:
    sub = subscribe()
    assert [i.price.id for i in sub.items] == ["base", "seats", "api"]
    assert [i.quantity for i in sub.items] == [1, 3, 1]
    assert sub.status is SubscriptionStatus.ACTIVE
    assert sub.schedule.frequency is Frequency.MONTHLY
    assert sub.schedule.start == date(2027, 1, 1)
    assert sub.schedule.timing is BillTiming.ADVANCE
    assert sub.schedule.time_of_day == time(9, 0)
    assert sub.schedule.bill_at(sub.schedule.period_at(0)) == berlin(2027, 1, 1)
    assert sub.start == berlin(2027, 1, 1)
    assert sub.plan_id == "pro"


def test_a_trial_starts_billing_at_its_end_on_that_local_day_and_time() -> None:
    trial_end = datetime(2027, 1, 14, 23, 30, tzinfo=UTC)  # 15 Jan 00:30 in Berlin
    sub = subscribe(trial_end=trial_end)
    assert sub.status is SubscriptionStatus.TRIALING
    assert sub.schedule.start == date(2027, 1, 15)
    assert sub.schedule.bill_at(sub.schedule.period_at(0)) == trial_end


def test_anchor_day_sets_where_periods_start() -> None:
    sub = subscribe(start=berlin(2027, 1, 10), anchor_day=31)
    periods = [sub.schedule.period_at(i) for i in range(3)]
    assert [p.start for p in periods] == [date(2027, 1, 10), date(2027, 1, 31), date(2027, 2, 28)]


def test_a_currency_the_plan_has_no_prices_in_names_the_ones_it_has() -> None:
    both = Plan(
        id="pro",
        name="Pro",
        frequency=Frequency.MONTHLY,
        prices=PRO.prices + plan(currency="USD").prices,
    )
    with pytest.raises(ValidationError) as exc:
        subscribe(plan=both, currency="GBP")
    assert exc.value.problems[0].path == "currency"
    assert "the plan has prices in EUR, USD" in str(exc.value)
    assert subscribe(plan=both, currency="USD").items[0].price.currency == "USD"


def test_a_negative_quantity_and_a_quantity_for_a_fixed_price_are_refused_with_their_paths() -> (
    None
):
    with pytest.raises(ValidationError) as exc:
        subscribe(quantities={"seats": -1, "base": 2, "api": Decimal("1.5")})
    assert _paths(exc) == ["quantities.seats", "quantities.base", "quantities.api"]
    assert ">= 0" in exc.value.problems[0].message
    assert "seats" in exc.value.problems[1].message


@pytest.mark.parametrize("quantity", [1.5, "2", True, Decimal("NaN"), Decimal("0.0000001"), 10**10])
def test_a_quantity_must_be_an_exact_number_in_range(quantity: object) -> None:
    with pytest.raises(ValidationError) as exc:
        subscribe(quantities={"seats": quantity})
    assert _paths(exc) == ["quantities.seats"]


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as exc:
        subscribe(
            id="",
            customer_id=None,
            plan="pro",
            start=datetime(2027, 1, 1),  # noqa: DTZ001 - naive on purpose
            zone="Mars/Olympus",
            currency="eur",
            anchor_day=32,
            trial_lines=[Line("Trial", 1, "1.00", tax=Vat("19"))],
        )
    assert _paths(exc) == [
        "id",
        "customer_id",
        "plan",
        "zone",
        "start",
        "currency",
        "trial_lines",
        "anchor_day",
    ]


def test_a_trial_must_end_after_the_start() -> None:
    with pytest.raises(ValidationError) as exc:
        subscribe(trial_end=berlin(2027, 1, 1))
    assert _paths(exc) == ["trial_end"]


def test_anchor_day_is_for_month_based_plans() -> None:
    with pytest.raises(ValidationError) as exc:
        subscribe(plan=plan(frequency=Frequency.WEEKLY), anchor_day=3)
    assert _paths(exc) == ["anchor_day"]


def test_trial_lines_are_built_and_checked() -> None:
    with pytest.raises(ValidationError) as exc:
        subscribe(trial_end=berlin(2027, 1, 15), trial_lines=[{"description": "", "quantity": 1}])
    assert _paths(exc)[0].startswith("trial_lines[0]")
    sub = subscribe(
        trial_end=berlin(2027, 1, 15),
        trial_lines=[
            {"description": "Trial", "quantity": 1, "unit_price": "1.00", "tax": Vat("19")}
        ],
    )
    assert sub.trial_lines[0].unit_price == Decimal("1.00")


def test_prorate_counts_the_change_day_as_used_by_the_new_price() -> None:
    january = BillingPeriod(date(2027, 1, 1), date(2027, 2, 1), 0)
    assert prorate(Decimal("31.00"), january, date(2027, 1, 13), "EUR") == (
        Decimal("19.00"),
        "19 of 31 days (13–31 Jan 2027)",
    )
    assert prorate(Decimal("31.00"), january, date(2026, 12, 1), "EUR")[0] == Decimal("31.00")
    assert prorate(Decimal("31.00"), january, date(2027, 2, 1), "EUR") == (
        Decimal("0.00"),
        "0 of 31 days",
    )
    assert prorate(Decimal(1000), january, date(2027, 1, 13), "JPY")[0] == Decimal(613)


def test_prorate_rounds_ties_half_up() -> None:
    april = BillingPeriod(date(2027, 4, 1), date(2027, 5, 1), 3)
    assert prorate(Decimal("0.01"), april, date(2027, 4, 16), "EUR")[0] == Decimal("0.01")
    assert prorate(Decimal("-0.01"), april, date(2027, 4, 16), "EUR")[0] == Decimal("-0.01")


def test_prorate_refuses_bad_input_with_paths() -> None:
    with pytest.raises(ValidationError) as exc:
        prorate(1.5, "January", "2027-01-01", "XXX")  # type: ignore[arg-type]
    assert _paths(exc) == ["amount", "period", "since", "currency"]


def test_days_text_names_days_across_months_and_years() -> None:
    assert days_text(date(2027, 1, 1), date(2027, 1, 31)) == "1–31 Jan 2027"
    assert days_text(date(2027, 1, 13), date(2027, 2, 12)) == "13 Jan–12 Feb 2027"
    assert days_text(date(2026, 12, 13), date(2027, 1, 12)) == "13 Dec 2026–12 Jan 2027"
    assert days_text(date(2027, 3, 5), date(2027, 3, 5)) == "5 Mar 2027"


def test_zone_is_kept_for_day_counts() -> None:
    assert subscribe().schedule.zone == BERLIN


def test_coupons_must_be_applied_coupons_in_the_subscriptions_currency() -> None:
    dollars = Coupon.create(id="d5", name="$5 off", amount_off="5", currency="USD")
    with pytest.raises(ValidationError) as exc:
        subscribe(coupons=[AppliedCoupon(coupon=dollars, first_index=0), "TENOFF"])
    assert _paths(exc) == ["coupons[1]", "coupons[0].currency"]
    tenth = Coupon.create(id="c10", name="10% off", percent_off="10", duration="forever")
    assert (
        subscribe(coupons=[AppliedCoupon(coupon=tenth, first_index=0)]).coupons[0].coupon == tenth
    )
