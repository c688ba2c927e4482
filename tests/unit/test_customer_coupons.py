"""A customer's coupon on each subscription bill: precedence, once / N periods / forever, start."""

from __future__ import annotations

from datetime import datetime

import attrs

from invoicekit.domain.coupons import AppliedCoupon, Coupon
from invoicekit.domain.customer_coupons import (
    CustomerCoupon,
    bill_coupons,
    customer_first_index,
)
from invoicekit.domain.subscription_billing import bill_lines, due_bills
from invoicekit.domain.subscription_changes import add_coupon
from subscription_plans import berlin, subscribe

ONCE = Coupon.create(id="once", name="Once 10%", percent_off="10")
THREE = Coupon.create(
    id="three", name="EUR 5 off", amount_off="5.00", currency="EUR", duration="repeating", periods=3
)
FOREVER = Coupon.create(id="always", name="Always 20%", percent_off="20", duration="forever")
OWN = Coupon.create(id="own", name="Own 50%", percent_off="50", duration="repeating", periods=2)


def _held(coupon: Coupon, start: datetime | None = None) -> CustomerCoupon:
    """The customer's ``coupon`` from ``start`` (before the subscription began)."""
    return CustomerCoupon(customer_id="cus_1", coupon=coupon, start=start or berlin(2026, 12, 1))


def _taking(coupon: Coupon, held: CustomerCoupon, indexes: range = range(8)) -> list[int]:
    """The bill indexes of a plain subscription that take ``coupon``."""
    sub = subscribe()
    return [
        i
        for i in indexes
        if any(a.coupon == coupon and a.applies_to(i) for a in bill_coupons(sub, held, i))
    ]


def test_without_a_customer_coupon_a_bill_takes_the_subscriptions_own() -> None:
    sub = subscribe()
    assert bill_coupons(sub, None, 0) == sub.coupons == ()


def test_once_takes_the_first_bill_only() -> None:
    assert _taking(ONCE, _held(ONCE)) == [0]


def test_for_n_periods_takes_n_bills() -> None:
    assert _taking(THREE, _held(THREE)) == [0, 1, 2]


def test_forever_takes_every_bill() -> None:
    assert _taking(FOREVER, _held(FOREVER)) == list(range(8))


def test_applied_mid_subscription_it_counts_from_the_next_bill() -> None:
    sub = subscribe()
    held = _held(THREE, berlin(2027, 3, 10))  # bill 2 (1 Mar) went out before
    assert customer_first_index(sub, held) == 3
    assert _taking(THREE, held) == [3, 4, 5]


def test_applied_at_the_instant_of_a_bill_that_bill_takes_it() -> None:
    held = _held(ONCE, berlin(2027, 3, 1))
    assert customer_first_index(subscribe(), held) == 2


def test_a_subscription_that_starts_later_counts_from_its_own_first_bill() -> None:
    held = _held(ONCE, berlin(2026, 6, 1))
    assert customer_first_index(subscribe(start=berlin(2027, 5, 1)), held) == 0


def test_the_subscriptions_own_coupon_takes_precedence_while_it_applies() -> None:
    sub = add_coupon(subscribe(), OWN, at=berlin(2026, 12, 1)).subscription  # bills 0 and 1
    held = _held(FOREVER)
    taken = [[a.coupon.id for a in bill_coupons(sub, held, i) if a.applies_to(i)] for i in range(4)]
    assert taken == [["own"], ["own"], ["always"], ["always"]]


def test_periods_under_the_subscriptions_coupon_still_count() -> None:
    sub = add_coupon(subscribe(), OWN, at=berlin(2026, 12, 1)).subscription  # bills 0 and 1
    held = _held(THREE)
    taken = [
        i
        for i in range(6)
        if any(a.coupon == THREE and a.applies_to(i) for a in bill_coupons(sub, held, i))
    ]
    assert taken == [2]  # bills 0 and 1 counted toward its three, under the subscription's


def test_a_customer_coupon_in_another_currency_is_not_taken() -> None:
    usd = Coupon.create(id="usd", name="USD 5 off", amount_off="5.00", currency="USD")
    sub = subscribe()
    assert bill_coupons(sub, _held(usd), 0) == ()


def test_the_customer_coupon_becomes_discounts_on_the_bill_lines() -> None:
    sub = subscribe()
    (bill,) = due_bills(sub, None, berlin(2027, 1, 1))
    coupons = bill_coupons(sub, _held(ONCE), bill.index)
    assert coupons == (AppliedCoupon(coupon=ONCE, first_index=0),)
    lines = bill_lines(attrs.evolve(sub, coupons=coupons), bill, {})
    assert [[d.reason for d in line.discounts] for line in lines] == [["Once 10%"], ["Once 10%"]]
