"""StripePayments passes the provider contract (T21), and pays an invoice through Billing.

The SDK talks to the loopback Stripe API (``stripe_stub``); webhooks are Stripe events
signed with Stripe's scheme and handed to ``billing.webhooks.receive`` as the web app's
endpoint does.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

import factories as f
import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    MakeBilling,
    clock_fixture,
    line,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit import StripeAccount, StripePayments
from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.payment_records import CheckoutRequest, NoticeKind
from invoicekit.testing import FixedClock
from invoicekit.testing.contracts import PaymentProviderContract, SignEvent
from payments.stripe_stub import StripeStub, body_of, fixture, sign

SECRETS = ["whsec_new_0123456789abcdef", "whsec_old_0123456789abcdef"]


@pytest.fixture
def stub() -> Iterator[StripeStub]:
    with StripeStub() as server:
        yield server


def _event(stub: StripeStub, kind: NoticeKind) -> dict[str, Any]:
    """A Stripe event meaning ``kind`` about PaymentIntent pi_test_1 of invoice inv-1."""
    meta = {"seller_id": "s-1", "invoice_id": "inv-1"}
    if kind is NoticeKind.SUCCEEDED:
        session = fixture("checkout.session")
        session.update(
            amount_total=11900,
            currency="eur",
            payment_status="paid",
            status="complete",
            payment_intent="pi_test_1",
            metadata=meta,
        )
        return stub.event("checkout.session.completed", session)
    if kind is NoticeKind.FAILED:
        intent = fixture("payment_intent")
        intent.update(
            id="pi_test_1",
            amount=11900,
            currency="eur",
            metadata=meta,
            last_payment_error={"code": "card_declined", "message": "Your card was declined."},
        )
        return stub.event("payment_intent.payment_failed", intent)
    refund = fixture("refund")
    refund.update(amount=1900, currency="eur", payment_intent="pi_test_1", metadata=meta)
    return stub.event("refund.created", refund)


class TestStripePayments(PaymentProviderContract):
    @pytest.fixture
    def provider(self, stub: StripeStub) -> StripePayments:
        return StripePayments(StripeAccount("sk_test_contract", SECRETS, base_url=stub.url))

    @pytest.fixture
    def secrets(self) -> list[str]:
        return SECRETS

    @pytest.fixture
    def sign_event(self, stub: StripeStub) -> SignEvent:
        def signed(kind: NoticeKind, *, at: datetime, secret: str) -> tuple[bytes, dict[str, str]]:
            body = body_of(_event(stub, kind))
            return body, {"Stripe-Signature": sign(body, secret, timestamp=int(at.timestamp()))}

        return signed

    @pytest.fixture
    def paid_invoice(self, stub: StripeStub, provider: StripePayments) -> tuple[Invoice, str]:
        session = provider.start_checkout(
            CheckoutRequest(
                seller_id="s-1",
                invoice_id="inv-1",
                number="INV-2026-00001",
                amount=Decimal("119.00"),
                currency="EUR",
                description="Invoice INV-2026-00001",
                return_url="https://pay.example/i/token",
                key="paid",
            )
        )
        completed = stub.complete(session.ref)
        intent = completed["data"]["object"]["payment_intent"]
        command = lifecycle.RecordPayment("p1", "119.00", method="stripe", reference=intent)
        paid, _ = lifecycle.apply(f.issued(), command, at=f.AT)
        return paid, "p1"


# --------------------------------------------------------------------------- through Billing


@pytest.fixture
def books(
    make_billing: MakeBilling, clock: FixedClock, stub: StripeStub
) -> tuple[ik.Billing, StripePayments]:
    provider = StripePayments(StripeAccount("sk_test_e2e", SECRETS, base_url=stub.url), clock=clock)
    billing = make_billing(payments=provider)
    billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
    return billing, provider


def _issue(billing: ik.Billing) -> ik.Invoice:
    seller = billing.seller("s1")
    with contextlib.suppress(ik.DuplicateError):
        seller.customers.create(id="c1", name="Globex", email="ap@globex.example")
    draft = seller.invoices.draft(customer_id="c1", lines=[line()])
    return seller.invoices.issue(draft.id)


def _deliver(billing: ik.Billing, clock: FixedClock, event: dict[str, Any]) -> Any:
    body = body_of(event)
    header = sign(body, SECRETS[1], timestamp=int(clock.now().timestamp()))
    return billing.webhooks.receive("stripe", body, {"stripe-signature": header})


def _checkout(provider: StripePayments, invoice: ik.Invoice) -> str:
    session = provider.start_checkout(
        CheckoutRequest(
            seller_id=invoice.seller_id,
            invoice_id=invoice.id,
            number=invoice.number or "",
            amount=invoice.amount_due,
            currency=invoice.currency,
            description=f"Invoice {invoice.number} from Northwind Studio",
            return_url="https://shop.example/pay/i/token",
            key=f"{invoice.id}:{invoice.amount_due}:{invoice.currency}",
        )
    )
    return session.ref


def test_issue_checkout_signed_completion_pays_the_invoice(
    books: tuple[ik.Billing, StripePayments], stub: StripeStub, clock: FixedClock
) -> None:
    billing, provider = books
    invoice = _issue(billing)
    ref = _checkout(provider, invoice)
    (sent,) = stub.posts("/v1/checkout/sessions")
    assert sent.params["line_items[0][price_data][unit_amount]"] == str(
        int(invoice.amount_due * 100)
    )
    assert sent.params["line_items[0][price_data][currency]"] == invoice.currency.lower()
    assert sent.params["metadata[invoice_id]"] == invoice.id
    completed = stub.complete(ref)
    result = _deliver(billing, clock, completed)
    assert (result.outcome, result.invoice_id) == ("recorded", invoice.id)
    paid = billing.seller("s1").invoices.get(invoice.id)
    assert paid.status is ik.Status.PAID
    [payment] = paid.payments
    assert (payment.method, payment.reference) == (
        "stripe",
        completed["data"]["object"]["payment_intent"],
    )
    assert payment.amount == invoice.amount_due
    for _ in range(3):  # Stripe delivers again: nothing more is recorded
        assert _deliver(billing, clock, completed).outcome == "duplicate"
    assert len(billing.seller("s1").invoices.get(invoice.id).payments) == 1


def test_a_refund_goes_to_stripe_and_its_webhook_records_nothing_twice(
    books: tuple[ik.Billing, StripePayments], stub: StripeStub, clock: FixedClock
) -> None:
    billing, provider = books
    invoice = _issue(billing)
    completed = stub.complete(_checkout(provider, invoice))
    _deliver(billing, clock, completed)
    seller = billing.seller("s1")
    [payment] = seller.invoices.get(invoice.id).payments
    after = seller.payments.refund(invoice.id, payment.id, "19.00", idempotency_key="r-1")
    [refund] = after.payment(payment.id).refunds
    (sent,) = stub.posts("/v1/refunds")
    assert sent.params["payment_intent"] == payment.reference
    assert sent.params["amount"] == "1900"
    stripe_refund = stub.refunds[refund.provider_id or ""]
    result = _deliver(billing, clock, stub.event("refund.created", stripe_refund))
    assert result.outcome in {"recorded", "duplicate"}
    final = seller.invoices.get(invoice.id)
    assert [r.amount for r in final.payment(payment.id).refunds] == [Decimal("19.00")]
    assert final.amount_due == Decimal("19.00")


def test_a_declined_card_then_success_goes_failed_then_paid(
    books: tuple[ik.Billing, StripePayments], stub: StripeStub, clock: FixedClock
) -> None:
    billing, provider = books
    invoice = _issue(billing)
    ref = _checkout(provider, invoice)
    intent = fixture("payment_intent")
    intent.update(
        id="pi_test_declined",
        amount=int(invoice.amount_due * 100),
        currency="eur",
        metadata={"seller_id": "s1", "invoice_id": invoice.id},
        last_payment_error={
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        },
    )
    assert _deliver(
        billing, clock, stub.event("payment_intent.payment_failed", intent)
    ).outcome == ("recorded")
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.FAILED
    _deliver(billing, clock, stub.complete(ref))
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PAID


def test_a_bank_debit_is_pending_until_stripe_says_it_settled(
    books: tuple[ik.Billing, StripePayments], stub: StripeStub, clock: FixedClock
) -> None:
    billing, provider = books
    invoice = _issue(billing)
    completed = stub.complete(_checkout(provider, invoice), paid=False)
    assert _deliver(billing, clock, completed).outcome == "recorded"
    pending = billing.seller("s1").invoices.get(invoice.id)
    assert (pending.status, pending.in_flight) == (ik.Status.PENDING, invoice.amount_due)
    session = dict(completed["data"]["object"], payment_status="paid")
    _deliver(billing, clock, stub.event("checkout.session.async_payment_succeeded", session))
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PAID


def test_a_dispute_reopens_the_balance_until_won(
    books: tuple[ik.Billing, StripePayments], stub: StripeStub, clock: FixedClock
) -> None:
    billing, provider = books
    invoice = _issue(billing)
    completed = stub.complete(_checkout(provider, invoice))
    _deliver(billing, clock, completed)
    dispute = fixture("dispute")
    dispute.update(
        payment_intent=completed["data"]["object"]["payment_intent"],
        amount=int(invoice.amount_due * 100),
        currency="eur",
        status="needs_response",
    )
    _deliver(billing, clock, stub.event("charge.dispute.created", dispute))
    disputed = billing.seller("s1").invoices.get(invoice.id)
    assert disputed.amount_due == invoice.amount_due
    assert disputed.status is not ik.Status.PAID
    _deliver(billing, clock, stub.event("charge.dispute.closed", dict(dispute, status="won")))
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PAID


def _events_for(stub: StripeStub, invoice: ik.Invoice, ref: str) -> list[dict[str, Any]]:
    """A paid session, its PaymentIntent's success, a partial refund and a won dispute's open."""
    completed = stub.complete(ref)
    intent = stub.intents[completed["data"]["object"]["payment_intent"]]
    refund = fixture("refund")
    refund.update(
        id=f"re_{ref}",
        amount=1900,
        currency="eur",
        payment_intent=intent["id"],
        status="succeeded",
    )
    dispute = fixture("dispute")
    dispute.update(payment_intent=intent["id"], amount=1000, currency="eur", status="lost")
    return [
        completed,
        stub.event("payment_intent.succeeded", intent),
        stub.event("refund.created", refund),
        stub.event("charge.dispute.created", dispute),
        stub.event("charge.dispute.closed", dispute),
    ]


def test_stripe_events_in_any_order_converge(
    books: tuple[ik.Billing, StripePayments], stub: StripeStub, clock: FixedClock
) -> None:
    """T18 with Stripe's own events: every order (and a redelivery) ends in one state."""
    billing, provider = books
    outcomes = set()
    orders = list(itertools.permutations(range(5)))[::4]  # 30 of the 120 orders
    for order in orders:
        invoice = _issue(billing)
        events = _events_for(stub, invoice, _checkout(provider, invoice))
        for index in (*order, order[0]):
            _deliver(billing, clock, events[index])
        final = billing.seller("s1").invoices.get(invoice.id)
        [payment] = final.payments
        outcomes.add(
            (
                final.status,
                final.amount_due,
                payment.amount,
                tuple(r.amount for r in payment.refunds),
            )
        )
    # Paid 119.00, 19.00 refunded, a lost dispute of 10.00: 29.00 is due again.
    assert outcomes == {
        (ik.Status.PARTIALLY_PAID, Decimal("29.00"), Decimal("119.00"), (Decimal("19.00"),))
    }


def test_concurrent_checkouts_for_one_key_get_one_session(stub: StripeStub) -> None:
    provider = StripePayments(StripeAccount("sk_test_threads", SECRETS, base_url=stub.url))
    request = CheckoutRequest(
        seller_id="s1",
        invoice_id="inv-threads",
        number="INV-1",
        amount=Decimal("50.00"),
        currency="EUR",
        description="Invoice INV-1",
        return_url="https://shop.example/pay/i/t",
        key="inv-threads:50.00:EUR",
    )
    with ThreadPoolExecutor(8) as pool:
        refs = set(pool.map(lambda _: provider.start_checkout(request).ref, range(16)))
    assert len(refs) == 1
    assert len(stub.sessions) == 1
