"""A coupon for a customer through the facade on memory, SQLite and PostgreSQL (issue 16).

``run_due`` and ``subscriptions.preview`` take it off every subscription of the customer's;
a subscription's own coupon takes precedence; another seller's customer or coupon is
NotFoundError (T35).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

import invoicekit as ik
from invoicekit.testing import FixedClock
from pg import pg_url  # noqa: F401 - a fixture, found by its name
from subscription_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    START,
    agency,
    sub_billing_fixture,
    sub_clock_fixture,
    sub_store_fixture,
)


def _nets(books: ik.SellerBooks, sub_id: str) -> list[Decimal]:
    mine = [i for i in books.invoices.list(limit=1000) if i.metadata.get("subscription") == sub_id]
    mine.sort(key=lambda i: int(i.metadata["period"]))
    return [i.totals.tax_exclusive for i in mine]


def _months(billing: ik.Billing, clock: FixedClock, count: int) -> None:
    billing.run_due()
    for _ in range(count - 1):
        clock.advance(days=31)
        billing.run_due()


def test_a_customer_coupon_discounts_each_of_their_subscriptions_for_its_periods(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    a.books.coupons.create("Loyal", percent_off="10", duration="repeating", periods=2, id="loyal")
    held = a.books.customers.apply_coupon(a.customer_id, "loyal")
    assert held.start == START
    assert a.books.customers.coupon(a.customer_id) == held
    one = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    two = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    _months(sub_billing, sub_clock, 3)
    assert _nets(a.books, one.id) == [Decimal("27.00"), Decimal("27.00"), Decimal("30.00")]
    assert _nets(a.books, two.id) == [Decimal("27.00"), Decimal("27.00"), Decimal("30.00")]
    first = next(i for i in a.books.invoices.list(limit=1000) if i.metadata["period"] == 0)
    assert [d.reason for d in first.lines[0].discounts] == ["Loyal"]


def test_the_subscriptions_own_coupon_takes_precedence(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    a.books.coupons.create("Loyal", percent_off="10", duration="forever", id="loyal")
    a.books.coupons.create("Launch", percent_off="50", id="launch")  # once
    a.books.customers.apply_coupon(a.customer_id, "loyal")
    own = a.books.subscriptions.create(a.customer_id, plan_id="basic", coupon_id="launch")
    _months(sub_billing, sub_clock, 3)
    assert _nets(a.books, own.id) == [Decimal("15.00"), Decimal("27.00"), Decimal("27.00")]


def test_the_preview_is_the_invoice_and_removing_stops_it(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    a.books.coupons.create("Five", amount_off="5.00", currency="EUR", duration="forever", id="five")
    sub = a.books.subscriptions.create(a.customer_id, plan_id="basic")
    sub_billing.run_due()  # January, before the coupon
    sub_clock.advance(days=10)
    a.books.customers.apply_coupon(a.customer_id, "five")
    preview = a.books.subscriptions.preview(sub.id)
    sub_clock.advance(days=21)
    sub_billing.run_due()
    (_, february) = sorted(
        a.books.invoices.list(limit=1000), key=lambda i: int(i.metadata["period"])
    )
    assert preview.lines == february.lines
    assert preview.totals == february.totals
    assert february.totals.tax_exclusive == Decimal("25.00")
    assert [d.reason for d in february.lines[0].discounts] == ["Five"]
    removed = a.books.customers.remove_coupon(a.customer_id)
    assert removed is not None
    assert removed.coupon.id == "five"
    assert a.books.customers.remove_coupon(a.customer_id) is None
    assert a.books.customers.coupon(a.customer_id) is None
    sub_clock.advance(days=31)
    sub_billing.run_due()
    assert _nets(a.books, sub.id) == [Decimal("30.00"), Decimal("25.00"), Decimal("30.00")]


def test_applying_again_keeps_the_start_and_another_coupon_replaces_it(
    sub_billing: ik.Billing, sub_clock: FixedClock
) -> None:
    a = agency(sub_billing)
    a.books.coupons.create("Ten", percent_off="10", id="ten")
    a.books.coupons.create("Twenty", percent_off="20", id="twenty")
    first = a.books.customers.apply_coupon(a.customer_id, "ten", idempotency_key="k-1")
    sub_clock.advance(days=3)
    assert a.books.customers.apply_coupon(a.customer_id, "ten") == first
    assert a.books.customers.apply_coupon(a.customer_id, "ten", idempotency_key="k-1") == first
    replaced = a.books.customers.apply_coupon(a.customer_id, "twenty")
    assert (replaced.coupon.id, replaced.start) == ("twenty", sub_clock.now())
    assert a.books.customers.coupon(a.customer_id) == replaced


def test_a_coupon_in_another_currency_than_a_subscription_is_refused(
    sub_billing: ik.Billing,
) -> None:
    a = agency(sub_billing)
    a.books.coupons.create("USD 5", amount_off="5.00", currency="USD", id="usd")
    a.books.subscriptions.create(a.customer_id, plan_id="basic")
    with pytest.raises(ik.ValidationError) as caught:
        a.books.customers.apply_coupon(a.customer_id, "usd")
    assert caught.value.paths == ("coupon_id",)
    assert "EUR" in str(caught.value)
    assert a.books.customers.coupon(a.customer_id) is None


def test_unknown_and_another_sellers_ids_are_not_found(sub_billing: ik.Billing) -> None:
    a = agency(sub_billing)
    b = agency(sub_billing)
    a.books.coupons.create("A", percent_off="10", id="coupon-a")
    b.books.coupons.create("B", percent_off="10", id="coupon-b")
    b.books.customers.apply_coupon(b.customer_id, "coupon-b")
    for call in (
        lambda: a.books.customers.apply_coupon(a.customer_id, "coupon-b"),
        lambda: a.books.customers.apply_coupon(a.customer_id, "nope"),
        lambda: a.books.customers.apply_coupon(b.customer_id, "coupon-a"),
        lambda: a.books.customers.apply_coupon("cus-404", "coupon-a"),
        lambda: a.books.customers.remove_coupon(b.customer_id),
        lambda: a.books.customers.coupon(b.customer_id),
    ):
        with pytest.raises(ik.NotFoundError):
            call()
    assert b.books.customers.coupon(b.customer_id) is not None


def test_bad_input_names_the_field(sub_billing: ik.Billing) -> None:
    a = agency(sub_billing)
    for call, path in (
        (lambda: a.books.customers.apply_coupon(a.customer_id, 7), "coupon_id"),
        (lambda: a.books.customers.apply_coupon(a.customer_id, "x", at="now"), "at"),
        (lambda: a.books.customers.remove_coupon(7), "customer_id"),
    ):
        with pytest.raises(ik.ValidationError) as caught:
            call()
        assert caught.value.paths == (path,)
