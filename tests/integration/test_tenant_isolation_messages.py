"""T35 ``tenant_isolation`` for delivery: two sellers with an invoice of the same id (issue 11).

Invoice ids may be chosen by the caller (an order number), so two sellers can
both have invoice ``order-1042`` and their messages share keys
(``invoice_id:kind:step:channel``). Each seller's invoice e-mail, reminder,
receipt and inbox items must still be queued and delivered, and ``get``,
``retry`` and ``mark_read`` under one seller must never touch the other's.
Runs on every storage of ``billing_fixtures`` (memory and SQLite).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    clock_fixture,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.errors import DeliveryError, ValidationError
from invoicekit.ports import MessageStatus
from invoicekit.testing import MemoryNotifier, MemoryRenderer

ORDER: Final = "order-1042"
KEY: Final = f"{ORDER}:invoice:1:email"
LINE: Final = ik.Line(
    "Design work", quantity=Decimal(1), unit_price=Decimal("50.00"), tax=ik.Vat("19")
)


def _seller(billing: ik.Billing, name: str) -> ik.SellerBooks:
    """A seller who sends on issue, with one customer on e-mail and in-app."""
    seller = billing.sellers.create(name=name, country="DE", currency="EUR", send_on_issue=True)
    books = billing.seller(seller.id)
    books.customers.create(
        "Globex", id="c-1", email=f"ap@{name.lower()}.example", channels=("email", "in_app")
    )
    return books


def _issue_order(books: ik.SellerBooks) -> ik.Invoice:
    return books.invoices.issue(books.invoices.draft("c-1", lines=[LINE], id=ORDER).id)


@pytest.fixture
def email() -> MemoryNotifier:
    return MemoryNotifier(channel="email")


@pytest.fixture
def billing(make_billing: Any, email: MemoryNotifier) -> ik.Billing:
    built: ik.Billing = make_billing(renderer=MemoryRenderer(), notifiers=[email])
    return built


def test_both_sellers_invoice_reminder_receipt_and_inbox_items_arrive(
    billing: ik.Billing, email: MemoryNotifier
) -> None:
    a, b = _seller(billing, "Alpha"), _seller(billing, "Beta")
    for books in (a, b):
        invoice = _issue_order(books)
        books.invoices.send(invoice.id, kind="reminder")
        books.payments.record(invoice.id, "10.00", payment_id="pay-1")
        books.invoices.send(invoice.id, kind="receipt", about="pay-1")

    for books in (a, b):
        mine = books.messages.list()
        assert len(mine) == 6, f"{books.seller_id} lost messages to a key the other seller uses"
        assert {m.seller_id for m in mine} == {books.seller_id}
        assert {m.status for m in mine} == {MessageStatus.SENT}
        assert sorted({m.kind for m in mine}) == ["invoice", "receipt", "reminder"]
        assert len(books.inbox.list("c-1")) == 3
    delivered = sorted((m.seller_id, m.kind) for m in email.sent)
    assert delivered == sorted(
        (s.seller_id, k) for s in (a, b) for k in ("invoice", "reminder", "receipt")
    )
    assert {m.key for m in a.messages.list()} == {m.key for m in b.messages.list()}
    # The outbox keys each event by a new id, never by the invoice id: both sellers' events stay.
    events = [books.events.records(invoice_id=ORDER) for books in (a, b)]
    assert all(records for records in events)
    assert {r.key for r in events[0]}.isdisjoint(r.key for r in events[1])


def test_get_retry_and_mark_read_under_one_seller_never_touch_the_others(
    billing: ik.Billing, email: MemoryNotifier
) -> None:
    a, b = _seller(billing, "Alpha"), _seller(billing, "Beta")
    _issue_order(a)
    email.fail_next = DeliveryError("550 no such user", channel="email")
    _issue_order(b)  # B's e-mail is refused for good; A's went out

    assert a.messages.get(KEY).status is MessageStatus.SENT
    assert b.messages.get(KEY).status is MessageStatus.FAILED
    with pytest.raises(ValidationError, match="only a failed message"):
        a.messages.retry(KEY)  # A's own message is sent, whatever B's is
    assert b.messages.get(KEY).status is MessageStatus.FAILED

    retried = b.messages.retry(KEY)
    assert (retried.seller_id, retried.status) == (b.seller_id, MessageStatus.QUEUED)
    assert a.messages.get(KEY).status is MessageStatus.SENT
    assert b.messages.dispatch().sent == [KEY]
    assert [(m.seller_id, m.key) for m in email.sent] == [(a.seller_id, KEY), (b.seller_id, KEY)]

    in_app = f"{ORDER}:invoice:1:in_app"
    assert a.inbox.mark_read("c-1", [in_app]) == 1
    assert a.inbox.unread_count("c-1") == 0
    assert b.inbox.unread_count("c-1") == 1
    assert [i.read_at for i in b.inbox.list("c-1")] == [None]
