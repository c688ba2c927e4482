"""Pay links (T36): a token per message, the page behind it, and the checkout its Pay button starts.

Runs on memory and SQLite. ``CardDesk`` is a small real provider kept in memory (the
sandbox and Stripe have their own tests): it records the requests it was given.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    clock_fixture,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.payment_records import CheckoutRequest, CheckoutSession
from invoicekit.ports import MessageStatus, PaymentLink
from invoicekit.services.pay_pages import token_hash
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryPayments

PAY_URL = "https://shop.example/pay"
LINE = ik.Line("Design work", quantity=Decimal("1"), unit_price=Decimal("100.00"), tax=ik.Vat("19"))


@attrs.define
class CardDesk:
    """A provider with a hosted checkout, in memory: sessions by key, cancellations recorded."""

    requests: list[CheckoutRequest] = attrs.Factory(list)
    cancelled: list[str] = attrs.Factory(list)
    sessions: dict[str, CheckoutSession] = attrs.Factory(dict)

    @property
    def name(self) -> str:
        return "desk"

    def payment_link(self, invoice: ik.Invoice) -> PaymentLink | None:
        return None

    def refund(self, invoice: ik.Invoice, payment_id: str, amount: Decimal, *, key: str) -> str:
        return f"re_{key}"

    def start_checkout(self, request: CheckoutRequest) -> CheckoutSession:
        self.requests.append(request)
        if request.key not in self.sessions:
            ref = f"cs_{len(self.sessions) + 1}"
            self.sessions[request.key] = CheckoutSession(
                provider=self.name,
                ref=ref,
                url=f"https://desk.example/{ref}",
                amount=request.amount,
                currency=request.currency,
            )
        return self.sessions[request.key]

    def cancel_checkout(self, session: CheckoutSession) -> None:
        self.cancelled.append(session.ref)


def books_and_invoice(billing: ik.Billing) -> tuple[ik.SellerBooks, ik.Invoice]:
    s = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
    books = billing.seller(s.id)
    globex = books.customers.create("Globex", email="ap@globex.example", channels=["email"])
    invoice = books.invoices.issue(books.invoices.draft(globex.id, lines=[LINE]).id)
    return books, invoice


def token_of(url: str) -> str:
    assert url.startswith(PAY_URL + "/i/")
    return url.removeprefix(PAY_URL + "/i/")


def test_a_token_has_256_random_bits_and_is_stored_hashed(make_billing: Any) -> None:
    billing = make_billing(pay_url=PAY_URL + "/")
    books, invoice = books_and_invoice(billing)
    token = token_of(billing.pay_pages.mint(books.seller_id, invoice.id))
    assert len(base64.urlsafe_b64decode(token + "=")) == 32  # 256 bits >= 128
    assert invoice.id.split("_")[-1] not in token
    assert (invoice.number or "") not in token
    with billing.storage.transaction(write=False) as tx:
        stored = tx.pay_tokens.get(hashlib.sha256(token.encode()).hexdigest())
        assert tx.pay_tokens.get(token) is None  # never stored as it is
    assert stored is not None
    assert (stored.invoice_id, stored.customer_id) == (invoice.id, invoice.customer_id)
    assert stored.expires_at - stored.created_at == timedelta(days=60)


def test_a_valid_token_opens_the_invoice_with_its_amount_due(make_billing: Any) -> None:
    billing = make_billing(pay_url=PAY_URL)
    books, invoice = books_and_invoice(billing)
    token = token_of(billing.pay_pages.mint(books.seller_id, invoice.id))
    page = billing.pay_pages.open(token)
    assert page.can_pay
    assert (page.amount_due, page.currency, page.status) == (
        Decimal("119.00"),
        "EUR",
        ik.Status.PENDING,
    )
    assert (page.seller_id, page.customer_id, page.invoice.id) == (
        books.seller_id,
        invoice.customer_id,
        invoice.id,
    )


def test_unknown_wrong_expired_or_malformed_tokens_all_get_the_same_not_found(
    make_billing: Any, clock: FixedClock
) -> None:
    billing = make_billing(pay_url=PAY_URL, pay_link_ttl=timedelta(days=7))
    books, invoice = books_and_invoice(billing)
    token = token_of(billing.pay_pages.mint(books.seller_id, invoice.id))
    flipped = ("A" if token[-1] != "A" else "B") + token[1:]
    bad: list[Any] = [flipped, token[:-1], token + "x", "", "x" * 10_000, "../../etc", None, 42]
    messages = set()
    for candidate in bad:
        with pytest.raises(ik.PayPageNotFoundError) as caught:
            billing.pay_pages.open(candidate)
        messages.add(str(caught.value))
    assert isinstance(caught.value, ik.NotFoundError)
    clock.advance(timedelta(days=7))
    with pytest.raises(ik.PayPageNotFoundError) as expired:
        billing.pay_pages.open(token)
    messages.add(str(expired.value))
    assert len(messages) == 1
    assert "ask the seller for a new link" in messages.pop()


def test_a_paid_invoices_token_shows_its_status_without_a_pay_button(make_billing: Any) -> None:
    desk = CardDesk()
    billing = make_billing(pay_url=PAY_URL, payments=desk)
    books, invoice = books_and_invoice(billing)
    token = token_of(billing.pay_pages.mint(books.seller_id, invoice.id))
    books.payments.record(invoice.id, "119.00")
    page = billing.pay_pages.open(token)
    assert (page.status, page.can_pay, page.amount_due) == (ik.Status.PAID, False, Decimal(0))
    with pytest.raises(ik.PaymentNotAllowedError, match="nothing is due"):
        billing.pay_pages.checkout(token)
    assert desk.requests == []


def test_every_message_carries_a_link_of_its_own(make_billing: Any) -> None:
    email = MemoryNotifier(channel="email")
    billing = make_billing(pay_url=PAY_URL, notifiers=[email])
    books, invoice = books_and_invoice(billing)
    books.invoices.send(invoice.id)
    books.invoices.send(invoice.id, kind="reminder", step="1")
    first, second = email.sent
    assert first.url is not None
    assert second.url is not None
    assert token_of(first.url) != token_of(second.url)
    assert first.url in first.text  # the document's how-to-pay names our page
    assert first.html is not None
    assert first.url in first.html
    assert first.data["pay_url"] == first.url
    with billing.storage.transaction(write=False) as tx:
        stored = tx.pay_tokens.get(token_hash(token_of(first.url)))
    assert stored is not None
    assert stored.message_key == first.key
    assert billing.pay_pages.open(token_of(second.url)).invoice.id == invoice.id


def test_without_pay_url_messages_keep_the_providers_link(make_billing: Any) -> None:
    email = MemoryNotifier(channel="email")
    billing = make_billing(notifiers=[email], payments=MemoryPayments())
    books, invoice = books_and_invoice(billing)
    books.invoices.send(invoice.id)
    assert email.sent[0].url == invoice.payment_link
    assert "pay_url" not in email.sent[0].data
    with pytest.raises(ik.ConfigurationError, match="pay_url"):
        billing.pay_pages.mint(books.seller_id, invoice.id)


def test_checkout_takes_amount_and_currency_from_the_stored_invoice(make_billing: Any) -> None:
    desk = CardDesk()
    billing = make_billing(pay_url=PAY_URL, payments=desk)
    books, invoice = books_and_invoice(billing)
    token = token_of(billing.pay_pages.mint(books.seller_id, invoice.id))
    url = billing.pay_pages.checkout(token)
    assert url == "https://desk.example/cs_1"
    [request] = desk.requests
    assert (request.amount, request.currency, request.invoice_id) == (
        Decimal("119.00"),
        "EUR",
        invoice.id,
    )
    assert request.return_url == f"{PAY_URL}/i/{token}"
    assert request.customer_email == "ap@globex.example"
    assert billing.pay_pages.checkout(token) == url  # the open session again
    assert len(desk.requests) == 1


def test_a_settled_invoices_checkouts_are_cancelled_after_the_commit(make_billing: Any) -> None:
    desk = CardDesk()
    billing = make_billing(pay_url=PAY_URL, payments=desk)
    books, invoice = books_and_invoice(billing)
    token = token_of(billing.pay_pages.mint(books.seller_id, invoice.id))
    billing.pay_pages.checkout(token)
    books.payments.record(invoice.id, "19.00")  # another amount is due now: a new session
    assert desk.cancelled == ["cs_1"]
    assert billing.pay_pages.checkout(token) == "https://desk.example/cs_2"
    assert desk.requests[-1].amount == Decimal("100.00")
    books.payments.record(invoice.id, "100.00")
    assert desk.cancelled == ["cs_1", "cs_2"]


def test_without_a_checkout_the_payer_is_told_to_pay_by_bank_transfer(make_billing: Any) -> None:
    billing = make_billing(pay_url=PAY_URL, payments=MemoryPayments())
    books, invoice = books_and_invoice(billing)
    token = token_of(billing.pay_pages.mint(books.seller_id, invoice.id))
    with pytest.raises(ik.PaymentError, match="pay by bank transfer") as caught:
        billing.pay_pages.checkout(token)
    assert caught.value.code == "no_checkout"


def test_a_bad_pay_url_is_refused_at_construction() -> None:
    with pytest.raises(ik.ConfigurationError, match="pay_url"):
        ik.Billing.in_memory(pay_url="javascript:alert(1)")
    with pytest.raises(ik.ConfigurationError, match="pay_link_ttl"):
        ik.Billing.in_memory(pay_url=PAY_URL, pay_link_ttl=timedelta(0))


def test_no_reminder_while_pending_payments_cover_the_balance(make_billing: Any) -> None:
    email = MemoryNotifier(channel="email")
    billing = make_billing(notifiers=[email])
    books, invoice = books_and_invoice(billing)
    books.payments.record(invoice.id, "119.00", pending=True, payment_id="sepa")
    assert books.invoices.send(invoice.id, kind="reminder") == []
    assert books.invoices.send(invoice.id, kind="final_notice") == []
    assert email.sent == []
    books.payments.fail(invoice.id, "sepa", reason="returned")
    [reminder] = books.invoices.send(invoice.id, kind="reminder")
    assert reminder.status is MessageStatus.SENT
    assert [m.kind for m in email.sent] == ["payment_failed", "reminder"]
