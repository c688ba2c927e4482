"""Receipts the moment money arrives, and the customer told when a payment fails or is refunded.

Runs on every storage of ``billing_fixtures`` (memory and SQLite) with the
recording notifier and the real renderer, so the documents' words are checked too.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    clock_fixture,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.adapters.render import TemplateRenderer
from invoicekit.faults import FaultPoints
from invoicekit.ports import MessageStatus
from invoicekit.testing import MemoryNotifier

LINE = ik.Line("Design work", quantity=Decimal("1"), unit_price=Decimal("100.00"), tax=ik.Vat("19"))


class BoomError(Exception):
    """Raised by a fault point."""


def build(make_billing: Any, email: MemoryNotifier, **options: Any) -> ik.Billing:
    billing: ik.Billing = make_billing(
        renderer=TemplateRenderer(qr=False), notifiers=[email], **options
    )
    return billing


def books_and_invoice(billing: ik.Billing, **seller: Any) -> tuple[ik.SellerBooks, ik.Invoice]:
    s = billing.sellers.create(name="Northwind", country="DE", currency="EUR", **seller)
    books = billing.seller(s.id)
    globex = books.customers.create("Globex", email="ap@globex.example", channels=["email"])
    invoice = books.invoices.issue(books.invoices.draft(globex.id, lines=[LINE]).id)
    return books, invoice


@pytest.fixture
def email() -> MemoryNotifier:
    return MemoryNotifier(channel="email")


def test_a_recorded_payment_sends_one_receipt_at_once(
    make_billing: Any, email: MemoryNotifier
) -> None:
    books, invoice = books_and_invoice(build(make_billing, email))
    paid = books.payments.record(invoice.id, "119.00", payment_id="pay-1")
    assert paid.status is ik.Status.PAID
    [receipt] = email.sent
    assert receipt.key == f"{invoice.id}:receipt:pay-1:email"
    assert receipt.kind == "receipt"
    assert "€119.00 received" in receipt.subject
    assert "paid in full" in receipt.text
    # Sending it by hand afterwards finds the same message: still one receipt.
    [again] = books.invoices.send(invoice.id, kind="receipt", about="pay-1")
    assert again.status is MessageStatus.SENT
    assert len(email.sent) == 1


def test_a_partial_receipt_says_what_is_still_due_and_by_when(
    make_billing: Any, email: MemoryNotifier
) -> None:
    books, invoice = books_and_invoice(build(make_billing, email))
    books.payments.record(invoice.id, "19.00")
    [receipt] = email.sent
    assert "€19.00 of €119.00 received, €100.00 still due by" in receipt.text


def test_the_seller_can_turn_receipts_off(make_billing: Any, email: MemoryNotifier) -> None:
    billing = build(make_billing, email)
    books, invoice = books_and_invoice(billing, send_receipts=False)
    books.payments.record(invoice.id, "119.00")
    assert email.sent == []
    assert books.messages.list(invoice_id=invoice.id) == []
    with pytest.raises(ik.ValidationError, match="send_receipts"):
        billing.sellers.update(books.seller_id, send_receipts="yes")  # type: ignore[typeddict-item]


def test_money_in_flight_gets_its_receipt_when_it_settles(
    make_billing: Any, email: MemoryNotifier
) -> None:
    books, invoice = books_and_invoice(build(make_billing, email))
    books.payments.record(invoice.id, "119.00", pending=True, payment_id="sepa-1")
    assert email.sent == []
    books.payments.settle(invoice.id, "sepa-1")
    assert [m.key for m in email.sent] == [f"{invoice.id}:receipt:sepa-1:email"]


def test_a_replayed_payment_gets_no_second_receipt(
    make_billing: Any, email: MemoryNotifier
) -> None:
    books, invoice = books_and_invoice(build(make_billing, email))
    for _ in range(3):
        books.payments.record(invoice.id, "50.00", idempotency_key="bank-line-7")
    assert len(email.sent) == 1
    assert len(books.messages.list(invoice_id=invoice.id)) == 1


def test_customer_credit_applied_gets_a_receipt_too(
    make_billing: Any, email: MemoryNotifier
) -> None:
    books, first = books_and_invoice(build(make_billing, email))
    books.payments.record(first.id, "150.00")  # 31.00 more than due: customer credit
    second = books.invoices.issue(books.invoices.draft(first.customer_id, lines=[LINE]).id)
    paid = books.payments.apply_credit(second.id)
    [credit] = [p for p in paid.payments if p.method == "credit"]
    keys = [m.key for m in email.sent]
    assert f"{second.id}:receipt:{credit.id}:email" in keys
    assert len(keys) == 2


def test_nothing_is_queued_or_sent_when_the_transaction_rolls_back(
    make_billing: Any, email: MemoryNotifier
) -> None:
    books, invoice = books_and_invoice(build(make_billing, email))

    def boom() -> None:
        raise BoomError

    failing = build(make_billing, email, faults=FaultPoints({"before_commit": boom}))
    with pytest.raises(BoomError):
        failing.seller(books.seller_id).payments.record(invoice.id, "119.00")
    assert email.sent == []
    assert books.messages.list(invoice_id=invoice.id) == []
    assert books.invoices.get(invoice.id).status is ik.Status.PENDING


def test_with_workers_each_receipt_goes_out_once(make_billing: Any, email: MemoryNotifier) -> None:
    billing = build(make_billing, email, dispatch="worker")
    books, invoice = books_and_invoice(billing)
    for n in range(4):
        books.payments.record(invoice.id, "10.00", payment_id=f"p{n}")
    assert email.sent == []  # queued only
    workers = [build(make_billing, email, dispatch="worker") for _ in range(3)]
    threads = [threading.Thread(target=w.dispatch) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(m.key for m in email.sent) == sorted(
        f"{invoice.id}:receipt:p{n}:email" for n in range(4)
    )


def test_a_declined_attempt_tells_the_customer_in_plain_words(
    make_billing: Any, email: MemoryNotifier
) -> None:
    books, invoice = books_and_invoice(build(make_billing, email))
    failed = books.payments.record_failure(
        invoice.id, reason="Your card has insufficient funds.", code="insufficient_funds"
    )
    assert failed.status is ik.Status.FAILED
    [notice] = email.sent
    assert notice.key == f"{invoice.id}:payment_failed:failure-1:email"
    assert "did not go through" in notice.subject
    assert "There was not enough money in the account." in notice.text
    assert "CollectionFailed" in [e.name for e in books.events.list(invoice_id=invoice.id)]
    # A second failure is a second notice; a later payment makes the invoice paid.
    books.payments.record_failure(invoice.id, reason="Expired", code="expired_card")
    assert [m.key.split(":")[2] for m in email.sent] == ["failure-1", "failure-2"]
    assert "The card has expired." in email.sent[1].text
    assert books.payments.record(invoice.id, "119.00").status is ik.Status.PAID


def test_a_pending_payment_that_fails_sends_the_failure_and_no_receipt(
    make_billing: Any, email: MemoryNotifier
) -> None:
    books, invoice = books_and_invoice(build(make_billing, email))
    books.payments.record(invoice.id, "119.00", pending=True, payment_id="sepa-2")
    failed = books.payments.fail(invoice.id, "sepa-2", reason="Lastschrift zurückgegeben")
    assert failed.status is ik.Status.FAILED
    [notice] = email.sent
    assert notice.kind == "payment_failed"
    assert "Lastschrift zurückgegeben." in notice.text  # an unknown reason, shown as given


def test_a_refund_sends_a_refund_confirmation(make_billing: Any, email: MemoryNotifier) -> None:
    books, invoice = books_and_invoice(build(make_billing, email))
    books.payments.record(invoice.id, "119.00", payment_id="pay-9")
    books.payments.refund(invoice.id, "pay-9", "19.00", refund_id="ref-1")
    _, refund = email.sent
    assert refund.key == f"{invoice.id}:refund:ref-1:email"
    assert refund.subject.endswith("€19.00 refunded")
    assert "€19.00 of your payment has been refunded to you." in refund.text
    assert "€19.00 of invoice" in refund.text  # what is due again
