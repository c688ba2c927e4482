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

import invoicekit as ik
from factories import issued
from invoicekit import SavedPaymentMethod, StripeAccount, StripePayments
from invoicekit.payment_records import ChargeState
from invoicekit.testing.clock import FixedClock
from payments.stripe_stub import StripeStub, body_of, sign

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
    assert outcome.payment_ref in stub.intents  # the declined PaymentIntent


@pytest.mark.parametrize(
    ("method", "event", "status"),
    [
        ("pm_card_visa", "payment_intent.succeeded", "paid"),
        ("pm_card_chargeDeclined", "payment_intent.payment_failed", "failed"),
    ],
)
def test_run_due_and_stripes_webhook_converge_on_one_payment(
    stub: StripeStub, method: str, event: str, status: str
) -> None:
    clock = FixedClock(NOW)
    billing = ik.Billing.in_memory(clock=clock, payments=[stripe(stub)])
    seller = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", collection="charge_automatically"
    )
    books = billing.seller(seller.id)
    customer = books.customers.create("Globex", email="ap@globex.example")
    books.customers.save_payment_method(customer.id, card(method))
    line = ik.Line("Work", quantity=Decimal(1), unit_price=Decimal("100.00"), tax=ik.Vat("19"))
    invoice = books.invoices.issue(books.invoices.draft(customer.id, lines=[line]).id)

    billing.run_due(NOW)
    [intent] = stub.intents.values()
    body = body_of(stub.event(event, intent))
    result = billing.webhooks.receive(
        "stripe",
        body,
        {"Stripe-Signature": sign(body, "whsec_test", timestamp=int(NOW.timestamp()))},
    )
    after = books.invoices.get(invoice.id)

    assert result.outcome == "recorded"
    assert str(after.status) == status
    assert len(after.payments) == 1  # the webhook found the payment run_due recorded
    assert len(after.failures) == (status == "failed")
    billing.close()
