"""Stripe's off-session PaymentIntent for automatic collection, with the official SDK on loopback.

The saved card is charged with ``confirm=true, off_session=true``, its customer and
payment method, under an Idempotency-Key derived from the attempt key: the same attempt
asked twice (a crash, a timeout) is one PaymentIntent (T29). Declines map to failed
outcomes; ``authentication_required`` is final (the customer must act).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from factories import issued
from invoicekit import SavedPaymentMethod, StripeAccount, StripePayments
from invoicekit.payment_records import ChargeState
from invoicekit.testing.clock import FixedClock
from payments.stripe_stub import StripeStub

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def stub() -> Iterator[StripeStub]:
    with StripeStub() as server:
        yield server


def stripe(stub: StripeStub) -> StripePayments:
    account = StripeAccount("sk_test_stub", ["whsec_test"], base_url=stub.url)
    return StripePayments(account, clock=FixedClock(NOW))


def card(reference: str) -> SavedPaymentMethod:
    return SavedPaymentMethod(
        provider="stripe",
        reference=reference,
        provider_customer="cus_test_1",
        brand="visa",
        last4="4242",
        consent="Charge this card for my future invoices.",
        consented_at=NOW,
    )


def test_off_session_charge_succeeds_once_per_key(stub: StripeStub) -> None:
    provider, invoice = stripe(stub), issued()
    first = provider.charge_saved(
        invoice, card("pm_card_visa"), invoice.amount_due, key=f"collect:{invoice.id}:0"
    )
    again = provider.charge_saved(
        invoice, card("pm_card_visa"), invoice.amount_due, key=f"collect:{invoice.id}:0"
    )
    assert first.state is ChargeState.SUCCEEDED
    assert first == again  # the same PaymentIntent: Stripe replayed the first answer
    assert first.amount == invoice.amount_due
    assert first.payment_ref is not None
    assert first.payment_ref.startswith("pi_")
    assert len(stub.intents) == 1
    [post, replay] = stub.posts("/v1/payment_intents")
    assert post.params["confirm"] == "true"
    assert post.params["off_session"] == "true"
    assert post.params["payment_method"] == "pm_card_visa"
    assert post.params["customer"] == "cus_test_1"
    assert post.params["metadata[invoice_id]"] == invoice.id
    assert post.idempotency_key == replay.idempotency_key
    assert post.idempotency_key is not None
    assert post.idempotency_key.startswith("invoicekit-pi-")


@pytest.mark.parametrize(
    ("method", "code", "retryable"),
    [
        ("pm_card_chargeDeclined", "generic_decline", True),
        ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", True),
        ("pm_card_authenticationRequired", "authentication_required", False),
    ],
)
def test_declines_are_failed_outcomes(
    stub: StripeStub, method: str, code: str, retryable: bool
) -> None:
    provider, invoice = stripe(stub), issued()
    outcome = provider.charge_saved(invoice, card(method), Decimal("119.00"), key="collect:i:1")
    assert outcome.state is ChargeState.FAILED
    assert (outcome.code, outcome.retryable) == (code, retryable)
    assert outcome.reason
    assert outcome.payment_ref is None
