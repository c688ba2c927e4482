"""SandboxPayments: the provider contract, and the whole path over HTTP on loopback.

The sandbox POSTs signed webhooks to a real endpoint on 127.0.0.1 that hands them
to ``billing.webhooks.receive``; nothing is called in-process behind its back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
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
from invoicekit.adapters.payments import SandboxPayments
from invoicekit.adapters.signing import ID_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import ConfigurationError, PaymentError
from invoicekit.payment_records import CheckoutRequest, NoticeKind
from invoicekit.ports import Checkout, PaymentNotices, PaymentProvider
from invoicekit.testing import FixedClock
from invoicekit.testing.contracts import PaymentProviderContract, SignEvent
from payments.webhook_server import Endpoint, endpoint

SECRETS = ["whsec_" + "bmV3LXNlY3JldC1uZXctc2VjcmV0LTAx", "old-secret-old-secret-1"]
_TYPES = {
    NoticeKind.SUCCEEDED: "payment.succeeded",
    NoticeKind.FAILED: "payment.failed",
    NoticeKind.REFUNDED: "refund.succeeded",
}


def _ports(p: SandboxPayments) -> tuple[PaymentProvider, Checkout, PaymentNotices]:
    return p, p, p  # checked by mypy: the sandbox implements the three ports


def sandbox(webhook_url: str = "http://127.0.0.1:9/none", **options: Any) -> SandboxPayments:
    return SandboxPayments(
        base_url="https://shop.example/pay", webhook_url=webhook_url, secrets=SECRETS, **options
    )


def event(kind: NoticeKind, event_id: str = "sbx_evt_1", **data: Any) -> dict[str, Any]:
    """A sandbox event body about payment sbx_pay_1 of seller s1's invoice ``inv``."""
    return {
        "id": event_id,
        "type": _TYPES.get(kind, kind.value),
        "created": 1772355600,
        "data": {
            "payment_ref": "sbx_pay_1",
            "amount": "119.00",
            "currency": "EUR",
            "metadata": {"seller_id": "s1", "invoice_id": "inv"},
            **data,
        },
    }


class TestSandboxPayments(PaymentProviderContract):
    @pytest.fixture
    def provider(self) -> SandboxPayments:
        return sandbox()

    @pytest.fixture
    def secrets(self) -> list[str]:
        return SECRETS

    @pytest.fixture
    def sign_event(self) -> SignEvent:
        def signed(kind: NoticeKind, *, at: datetime, secret: str) -> tuple[bytes, dict[str, str]]:
            body = json.dumps(event(kind, refund_ref="sbx_re_1")).encode()
            stamp = int(at.timestamp())
            return body, {
                ID_HEADER: "sbx_evt_1",
                TIMESTAMP_HEADER: str(stamp),
                SIGNATURE_HEADER: sign(secret, "sbx_evt_1", stamp, body),
            }

        return signed

    @pytest.fixture
    def paid_invoice(self) -> tuple[Invoice, str]:
        invoice = f.issued()
        command = lifecycle.RecordPayment("p1", "119.00", method="sandbox", reference="sbx_pay_1")
        paid, _ = lifecycle.apply(invoice, command, at=f.AT)
        return paid, "p1"


# --------------------------------------------------------------------------- through Billing


@pytest.fixture
def books(
    make_billing: MakeBilling, clock: FixedClock
) -> Iterator[tuple[ik.Billing, SandboxPayments, Endpoint]]:
    """A Billing paid through a sandbox whose webhooks reach it over HTTP (one clock)."""
    provider = sandbox(clock=clock)
    billing = make_billing(payments=provider)
    with endpoint(billing) as ep:
        provider.webhook_url = ep.url
        billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
        yield billing, provider, ep


def _issue(billing: ik.Billing) -> ik.Invoice:
    seller = billing.seller("s1")
    seller.customers.create(id="c1", name="Globex", email="ap@globex.example")
    draft = seller.invoices.draft(customer_id="c1", lines=[line()])
    return seller.invoices.issue(draft.id)


def _checkout(provider: SandboxPayments, invoice: ik.Invoice, key: str = "k1") -> str:
    request = CheckoutRequest(
        seller_id=invoice.seller_id,
        invoice_id=invoice.id,
        number=invoice.number or "",
        amount=invoice.amount_due,
        currency=invoice.currency,
        description=f"Invoice {invoice.number}",
        return_url="https://shop.example/pay/i/tok",
        key=key,
    )
    return provider.start_checkout(request).ref


def test_succeed_sends_a_signed_webhook_that_pays_the_invoice(books: Any) -> None:
    billing, provider, ep = books
    invoice = _issue(billing)
    ref = _checkout(provider, invoice)
    assert provider.session(ref).state == "open"
    provider.choose(ref, "succeed")
    paid = billing.seller("s1").invoices.get(invoice.id)
    assert paid.status is ik.Status.PAID
    [payment] = paid.payments
    assert (payment.method, payment.reference, payment.amount) == (
        "sandbox",
        provider.session(ref).payment_ref,
        Decimal("119.00"),
    )
    assert [r.outcome for r in ep.results] == ["recorded"]
    assert provider.undelivered() == []


def test_decline_then_succeed_goes_failed_then_paid(books: Any) -> None:
    billing, provider, _ = books
    invoice = _issue(billing)
    ref = _checkout(provider, invoice)
    provider.choose(ref, "decline", reason="insufficient_funds")
    failed = billing.seller("s1").invoices.get(invoice.id)
    assert failed.status is ik.Status.FAILED
    assert failed.failures[-1].reason == "The card has insufficient funds."
    provider.choose(ref, "succeed")
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PAID


@pytest.mark.parametrize(("then", "status"), [("settle", "paid"), ("fail", "failed")])
def test_pending_then_settle_or_fail(books: Any, then: str, status: str) -> None:
    billing, provider, _ = books
    invoice = _issue(billing)
    ref = _checkout(provider, invoice)
    provider.choose(ref, "pending")
    pending = billing.seller("s1").invoices.get(invoice.id)
    assert (pending.status, pending.in_flight) == (ik.Status.PENDING, Decimal("119.00"))
    getattr(provider, then)(ref)
    assert billing.seller("s1").invoices.get(invoice.id).status.value == status


def test_a_failed_delivery_is_kept_and_sent_again(books: Any) -> None:
    billing, provider, ep = books
    invoice = _issue(billing)
    ref = _checkout(provider, invoice)
    ep.fail_next = 1
    provider.choose(ref, "succeed")
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PENDING
    assert len(provider.undelivered()) == 1
    assert provider.redeliver() == 1
    assert provider.undelivered() == []
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PAID


def test_a_refund_through_billing_is_recorded_once(books: Any) -> None:
    """The provider's refund notice and the refund call record one refund, whichever is first."""
    billing, provider, ep = books
    invoice = _issue(billing)
    provider.choose(_checkout(provider, invoice), "succeed")
    seller = billing.seller("s1")
    [payment] = seller.invoices.get(invoice.id).payments
    after = seller.payments.refund(invoice.id, payment.id, "19.00", idempotency_key="r-1")
    [refund] = after.payment(payment.id).refunds
    assert refund.amount == Decimal("19.00")
    assert refund.provider_id is not None
    assert after.amount_due == Decimal("19.00")
    assert [r.outcome for r in ep.results] == ["recorded", "recorded"]


def test_a_dispute_reopens_the_balance_until_won(books: Any) -> None:
    billing, provider, _ = books
    invoice = _issue(billing)
    ref = _checkout(provider, invoice)
    provider.choose(ref, "succeed")
    provider.dispute(ref)
    disputed = billing.seller("s1").invoices.get(invoice.id)
    assert (disputed.status, disputed.amount_due) == (ik.Status.PENDING, Decimal("119.00"))
    provider.resolve_dispute(ref, won=True)
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PAID
    names = [e.name for e in billing.seller("s1").events.list(invoice_id=invoice.id)]
    assert "PaymentDisputed" in names
    assert "DisputeResolved" in names


def test_a_lost_dispute_stays_unpaid(books: Any) -> None:
    billing, provider, _ = books
    invoice = _issue(billing)
    ref = _checkout(provider, invoice)
    provider.choose(ref, "succeed")
    provider.dispute(ref)
    provider.resolve_dispute(ref, won=False)
    lost = billing.seller("s1").invoices.get(invoice.id)
    assert (lost.status, lost.amount_due) == (ik.Status.PENDING, Decimal("119.00"))


# --------------------------------------------------------------------------- the sandbox itself


def test_sessions_expire_and_cancel(tmp_path: Path) -> None:
    clock = FixedClock(f.AT)
    provider = sandbox(clock=clock)
    ref = _checkout(provider, f.issued())
    provider.cancel_checkout(provider.start_checkout(_request_for(ref, provider)))
    assert provider.session(ref).state == "canceled"
    other = _checkout(provider, f.issued(), key="k2")
    clock.advance(days=1)
    assert provider.session(other).state == "expired"
    with pytest.raises(PaymentError, match="expired"):
        provider.choose(other, "succeed")


def _request_for(ref: str, provider: SandboxPayments) -> CheckoutRequest:
    session = provider.session(ref)
    assert session is not None
    return CheckoutRequest(
        seller_id=session.seller_id,
        invoice_id=session.invoice_id,
        number="INV-2026-00001",
        amount=session.amount,
        currency=session.currency,
        description=session.description,
        return_url=session.return_url,
        key=session.key,
    )


def test_a_state_file_is_shared_between_instances(tmp_path: Path) -> None:
    one = sandbox(path=tmp_path / "sandbox.db")
    two = sandbox(path=tmp_path / "sandbox.db")
    ref = _checkout(one, f.issued())
    assert two.session(ref) == one.session(ref)
    two.choose(ref, "pending")  # its webhook cannot be delivered: kept in the file
    assert one.session(ref).state == "pending"
    assert len(one.undelivered()) == 1


def test_the_same_key_with_another_amount_is_refused() -> None:
    provider = sandbox()
    invoice = f.issued()
    _checkout(provider, invoice)
    changed = attrs_evolve_amount(_request_for(_checkout(provider, invoice), provider))
    with pytest.raises(PaymentError, match="new key"):
        provider.start_checkout(changed)


def attrs_evolve_amount(request: CheckoutRequest) -> CheckoutRequest:
    import attrs

    return attrs.evolve(request, amount=Decimal("1.00"))


def test_bad_settings_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="secrets"):
        SandboxPayments(base_url="http://x", webhook_url="http://x", secrets=[])
    with pytest.raises(ConfigurationError, match="too short"):
        SandboxPayments(base_url="http://x", webhook_url="http://x", secrets=["short"])
    assert "secret" not in repr(sandbox()).lower()
