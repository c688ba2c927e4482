"""What ``run_due`` over many subscriptions remembers (issue 16) gives the results it did without.

Stored documents read through the caching converter are equal to those read through the
store's own and share their prices and schedules; written back, the text is the same. A
rating remembered is the rating ``rate`` gives. The rounding of rating is ``money.quantize``'s.
"""

from __future__ import annotations

from decimal import Decimal

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from invoicekit.adapters.storage.subscription_rows import SubscriptionRows
from invoicekit.domain import pricing_rate
from invoicekit.domain.pricing import Price, PriceKind
from invoicekit.domain.subscription_rating import item_rated
from invoicekit.domain.usage import Usage
from invoicekit.errors import ValidationError
from invoicekit.money import quantize
from invoicekit.serialization.converter import make_converter
from invoicekit.serialization.subscriptions import subscription_from_text, subscription_text
from invoicekit.subscription_records import SubscriptionRecord
from invoicekit.testing.subscription_values import rich_plan, rich_subscription

CONVERTER = make_converter()
ROW = {
    "seller_id": "s-1",
    "created_at": "2026-01-05T09:00:00+00:00",
    "version": 1,
    "last_index": None,
    "to_issue": "[]",
    "billed": "[]",
    "usage_billed_until": None,
    "finished": 0,
}


def _read(rows: SubscriptionRows, subscription_id: str) -> SubscriptionRecord:
    text = subscription_text(CONVERTER, rich_subscription(subscription_id))
    return rows.record({**ROW, "doc": text})


def test_subscriptions_read_back_equal_and_share_their_prices_and_schedule() -> None:
    rows = SubscriptionRows(CONVERTER, "t")
    one, two = _read(rows, "sub-1"), _read(rows, "sub-2")
    assert one.subscription == rich_subscription("sub-1")
    assert two.subscription == rich_subscription("sub-2")
    for a, b in zip(one.subscription.items, two.subscription.items, strict=True):
        assert a.price is b.price
    assert one.subscription.schedule is two.subscription.schedule
    # Another transaction's rows (a new SubscriptionRows) share them too.
    three = _read(SubscriptionRows(CONVERTER, "t"), "sub-3")
    assert three.subscription.items[0].price is one.subscription.items[0].price


def test_a_changed_subscription_is_written_as_the_stores_converter_writes_it() -> None:
    rows = SubscriptionRows(CONVERTER, "t")
    record = _read(rows, "sub-1")
    changed = attrs.evolve(record.subscription, pending=(), plan_id="other")
    saved = rows.values(attrs.evolve(record, subscription=changed), 2)["doc"]
    assert saved == subscription_text(CONVERTER, changed)
    assert subscription_from_text(CONVERTER, saved, "t") == changed


def test_equal_prices_in_other_stored_forms_are_not_confused() -> None:
    rows = SubscriptionRows(CONVERTER, "t")
    first = _read(rows, "sub-1")
    price = first.subscription.items[0].price
    dearer = attrs.evolve(price, unit_amount=price.unit_amount + 1)
    item = attrs.evolve(first.subscription.items[0], price=dearer)
    sub = attrs.evolve(rich_subscription("sub-2"), items=(item,))
    got = rows.record({**ROW, "doc": subscription_text(CONVERTER, sub)})
    assert got.subscription.items[0].price == dearer
    assert got.subscription.items[0].price is not price


def _prices() -> dict[PriceKind, Price]:
    return {p.kind: p for p in rich_plan().prices}


def test_a_fee_is_rated_once_per_price_and_seats() -> None:
    prices = _prices()
    fixed, seats = prices[PriceKind.FIXED], prices[PriceKind.SEATS]
    assert item_rated(fixed, Decimal(1)) is item_rated(fixed, Decimal(3))
    assert item_rated(fixed, Decimal(1)) == pricing_rate.rate(fixed, Usage())
    four, seven = item_rated(seats, Decimal(4)), item_rated(seats, Decimal(7))
    assert item_rated(seats, Decimal(4)) is four
    assert four == pricing_rate.rate(seats, Usage(), seats=Decimal(4))
    assert seven == pricing_rate.rate(seats, Usage(), seats=Decimal(7))
    # 4 and 4.0 are rated apart: the quantity keeps its places.
    assert item_rated(seats, Decimal("4.0")).quantity.as_tuple().exponent == -1
    # An equal price that is another object is rated afresh, to the same result.
    copy = attrs.evolve(fixed)
    assert item_rated(copy, Decimal(1)) == item_rated(fixed, Decimal(1))


def test_remembered_ratings_still_refuse_bad_seats() -> None:
    seats = _prices()[PriceKind.SEATS]
    with pytest.raises(ValidationError):
        item_rated(seats, Decimal(-1))
    with pytest.raises(ValidationError):
        item_rated(seats, Decimal(-1))


def test_a_metered_price_is_rated_once_per_usage_object() -> None:
    metered = next(p for p in rich_plan().prices if p.kind is PriceKind.METERED)
    usage = Usage(quantity=Decimal(1234), events=3)
    first = item_rated(metered, Decimal(1), usage)
    assert item_rated(metered, Decimal(1), usage) is first
    again = item_rated(metered, Decimal(1), Usage(quantity=Decimal(99), events=1))
    assert again == pricing_rate.rate(metered, Usage(quantity=Decimal(99), events=1))
    assert item_rated(metered, Decimal(1), Usage(quantity=Decimal(1234), events=3)) == first


@given(
    value=st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9
    ),
    currency=st.sampled_from(["EUR", "JPY", "BHD"]),
)
def test_rating_rounds_as_money_quantize(value: Decimal, currency: str) -> None:
    got = pricing_rate._quantize(value, currency)
    want = quantize(value, currency)
    assert (got, str(got)) == (want, str(want))


def test_rating_rounds_half_up_and_drops_the_sign_of_zero() -> None:
    assert str(pricing_rate._quantize(Decimal("-0.004"), "EUR")) == "0.00"
    assert str(pricing_rate._quantize(Decimal("2.345"), "EUR")) == "2.35"
    assert str(pricing_rate._quantize(Decimal("-2.345"), "EUR")) == "-2.35"
