"""Automatic collection's values: the saved method on a customer and the seller's setting.

Both round-trip through the stored formats (2: the compact writer and trusted reader;
1: the converter), leave nothing in a document at their defaults, and the pure planner
proposes the first charge at its moment, retries after it, nothing while a payment is
in flight or after a final failure.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import attrs
import pytest

from factories import customer, seller
from invoicekit.domain.collection import SavedPaymentMethod
from invoicekit.domain.due_steps import ChargeInvoice, RetryCollection, Skip
from invoicekit.domain.dunning import DunningPolicy
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.planning import DueInvoice, DueSnapshot, plan_due
from invoicekit.domain.status import Status
from invoicekit.errors import ValidationError
from invoicekit.serialization import (
    from_document,
    load_value,
    make_converter,
    to_document,
    value_text,
)

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)
METHOD = SavedPaymentMethod(
    provider="stripe",
    reference="pm_card_visa",
    provider_customer="cus_1",
    brand="visa",
    last4="4242",
    expires=(2029, 12),
    consent="Charge this card for my future invoices.",
    consented_at=AT,
)
CONVERTER = make_converter()


def test_a_customer_with_a_saved_method_round_trips_in_both_formats() -> None:
    value = attrs.evolve(customer(seller()), payment_method=METHOD)
    assert load_value(value_text(value), Customer, CONVERTER) == value
    assert from_document(CONVERTER, to_document(CONVERTER, value), Customer) == value
    plain = customer(seller())
    assert "payment_method" not in value_text(plain)


def test_the_sellers_collection_settings_round_trip_and_default_out() -> None:
    value = attrs.evolve(seller(), collection="charge_automatically", collect_on="on_due_date")
    assert load_value(value_text(value), Seller, CONVERTER) == value
    assert from_document(CONVERTER, to_document(CONVERTER, value), Seller) == value
    assert "collection" not in value_text(seller())


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"last4": "424242"}, "last4"),
        ({"expires": (2029, 13)}, "expires"),
        ({"consent": " "}, "consent"),
        ({"consented_at": datetime(2026, 3, 2)}, "consented_at"),  # noqa: DTZ001 - naive on purpose
        ({"reference": ""}, "reference"),
    ],
)
def test_a_bad_saved_method_names_the_field(changes: dict[str, object], path: str) -> None:
    with pytest.raises(ValidationError) as caught:
        attrs.evolve(METHOD, **changes)
    assert [p.path for p in caught.value.problems] == [path]


def test_a_customer_refuses_something_else_as_its_method() -> None:
    with pytest.raises(ValidationError, match="payment_method"):
        attrs.evolve(customer(seller()), payment_method="pm_123")


# ---------------------------------------------------------------- the planner

POLICY = DunningPolicy(steps=(), retry_days=(1, 3))


def due(**changes: object) -> DueInvoice:
    base = DueInvoice(
        id="i1",
        status=Status.PENDING,
        currency="EUR",
        due_date=date(2026, 3, 16),
        amount_due=Decimal("119.00"),
        seller_zone="UTC",
        policy=POLICY,
        can_charge=True,
        collect_at=AT,
    )
    return attrs.evolve(base, **changes)


def steps(invoice: DueInvoice, now: datetime) -> list[object]:
    return list(plan_due(DueSnapshot(invoices=[invoice]), now).steps)


def test_the_first_charge_comes_at_its_moment_once() -> None:
    assert steps(due(), AT - timedelta(seconds=1)) == []
    assert steps(due(), AT) == [ChargeInvoice("i1", AT)]
    assert steps(due(charged=True), AT) == []


def test_retries_follow_the_first_charge_only() -> None:
    failed = due(failures=(AT,))
    assert steps(failed, AT + timedelta(days=1)) == [ChargeInvoice("i1", AT + timedelta(days=1))]
    later = AT + timedelta(days=1)
    assert steps(attrs.evolve(failed, charged=True), later) == [RetryCollection("i1", 1, later)]


def test_nothing_is_charged_in_flight_closed_or_after_a_final_failure() -> None:
    in_flight = steps(due(in_flight=Decimal("119.00")), AT)
    assert in_flight == [Skip("i1", in_flight[0].reason, detail="charge")]  # type: ignore[attr-defined]
    assert steps(due(status=Status.PAID, amount_due=Decimal(0)), AT)[0].reason == "paid"  # type: ignore[attr-defined]
    assert steps(due(can_charge=False), AT) == []
