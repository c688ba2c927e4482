"""Sending invoices through the outbox of messages: at once, by a worker, with retries and fallbacks.

Runs on every storage of ``billing_fixtures`` (memory and SQLite) with the
recording fakes for the channels, so the dispatcher's own rules are what is
tested here; the real notifiers have their own tests and contract suite.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

import invoicekit as ik
from billing_fixtures import (  # noqa: F401 - fixtures are found by their registered names
    clock_fixture,
    make_billing_fixture,
    storage_kind_fixture,
)
from invoicekit.errors import DeliveryError, InvalidTransitionError, ValidationError
from invoicekit.ports import MessageStatus
from invoicekit.services.dispatch import RetryPolicy
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer

LINE = ik.Line("Design work", quantity=Decimal("2"), unit_price=Decimal("50.00"), tax=ik.Vat("19"))


class Channels:
    """One recording notifier per channel."""

    def __init__(self) -> None:
        self.email = MemoryNotifier(channel="email")
        self.sms = MemoryNotifier(channel="sms")
        self.webhook = MemoryNotifier(channel="webhook")

    def all(self) -> list[MemoryNotifier]:
        return [self.email, self.sms, self.webhook]


@pytest.fixture
def channels() -> Channels:
    return Channels()


def build(make_billing: Any, channels: Channels, **options: Any) -> ik.Billing:
    billing: ik.Billing = make_billing(
        renderer=MemoryRenderer(), notifiers=channels.all(), **options
    )
    return billing


def seller_with_invoice(
    billing: ik.Billing,
    *,
    channels: tuple[str, ...] = ("email",),
    send_on_issue: bool = False,
    **customer: Any,
) -> tuple[ik.SellerBooks, ik.Invoice]:
    seller = billing.sellers.create(
        name="Northwind", country="DE", currency="EUR", send_on_issue=send_on_issue
    )
    books = billing.seller(seller.id)
    details: dict[str, Any] = {
        "email": "ap@globex.example",
        "phone": "+4915112345678",
        "channels": channels,
    }
    details.update(customer)
    client = books.customers.create("Globex", **details)
    draft = books.invoices.draft(client.id, lines=[LINE])
    return books, books.invoices.issue(draft.id)


def test_send_delivers_once_on_each_channel_and_records_it(
    make_billing: Any, channels: Channels
) -> None:
    billing = build(make_billing, channels)
    books, invoice = seller_with_invoice(billing, channels=("email", "sms", "webhook", "in_app"))
    assert channels.email.sent == []  # not sent on issue unless the seller says so

    messages = books.invoices.send(invoice.id)

    assert sorted(m.channel for m in messages) == ["email", "in_app", "sms", "webhook"]
    status = {m.channel: m.status for m in messages}
    assert status.pop("webhook") is MessageStatus.FAILED  # no URL: reported, see below
    assert set(status.values()) == {MessageStatus.SENT}
    assert [m.recipient for m in channels.email.sent] == ["ap@globex.example"]
    assert [m.recipient for m in channels.sms.sent] == ["+4915112345678"]
    assert len(channels.webhook.sent) == 0
    assert books.inbox.unread_count(invoice.customer_id) == 1
    email = channels.email.sent[0]
    assert email.key == f"{invoice.id}:invoice:1:email"
    assert invoice.number in email.subject
    assert email.data["amount_due"] == "119.00"
    sent_events = [e for e in books.events.list(invoice_id=invoice.id) if e.name == "InvoiceSent"]
    assert sorted(e.channel for e in sent_events) == ["email", "in_app", "sms"]  # type: ignore[attr-defined]

    again = books.invoices.send(invoice.id)
    assert sorted(m.key for m in again) == sorted(m.key for m in messages)
    assert len(channels.email.sent) == 1
    assert len(channels.sms.sent) == 1


def test_a_webhook_without_any_url_is_reported_and_the_rest_still_go(
    make_billing: Any, channels: Channels
) -> None:
    billing = build(make_billing, channels)
    books, invoice = seller_with_invoice(billing, channels=("webhook", "email"))
    messages = {m.channel: m for m in books.invoices.send(invoice.id)}
    assert messages["email"].status is MessageStatus.SENT
    assert messages["webhook"].status is MessageStatus.FAILED
    assert "webhook_url" in (messages["webhook"].last_error or "")
    nobody = books.customers.create("Initech", channels=())
    draft = books.invoices.draft(nobody.id, lines=[LINE])
    other = books.invoices.issue(draft.id)
    [failed] = books.invoices.send(other.id)
    assert (failed.status, failed.channel) == (MessageStatus.FAILED, "none")
    assert "no channels" in (failed.last_error or "")
    assert books.messages.failed() == [messages["webhook"], failed]


def test_a_seller_can_send_every_invoice_on_issue(make_billing: Any, channels: Channels) -> None:
    billing = build(make_billing, channels)
    books, invoice = seller_with_invoice(billing, send_on_issue=True)
    assert [m.key for m in channels.email.sent] == [f"{invoice.id}:invoice:1:email"]
    drafts = [books.invoices.draft(invoice.customer_id, lines=[LINE]).id for _ in range(3)]
    books.invoices.issue_many(drafts)
    assert len(channels.email.sent) == 4


def test_sending_a_draft_or_a_void_invoice_is_refused(
    make_billing: Any, channels: Channels
) -> None:
    billing = build(make_billing, channels)
    books, invoice = seller_with_invoice(billing)
    draft = books.invoices.draft(invoice.customer_id, lines=[LINE])
    with pytest.raises(InvalidTransitionError):
        books.invoices.send(draft.id)
    books.invoices.void(invoice.id)
    with pytest.raises(InvalidTransitionError):
        books.invoices.send(invoice.id)
    with pytest.raises(ValidationError, match="payment"):
        books.invoices.send(invoice.id, kind="receipt")
    assert channels.email.sent == []


def test_a_worker_sends_what_was_queued(make_billing: Any, channels: Channels) -> None:
    billing = build(make_billing, channels, dispatch="worker")
    books, _ = seller_with_invoice(billing, send_on_issue=True)
    [queued] = books.messages.list()
    assert queued.status is MessageStatus.QUEUED
    assert channels.email.sent == []

    report = billing.dispatch()

    assert report.sent == [queued.key]
    assert books.messages.get(queued.key).status is MessageStatus.SENT
    assert billing.dispatch().count == 0


def test_a_temporary_failure_is_retried_with_backoff(
    make_billing: Any, channels: Channels, clock: FixedClock
) -> None:
    policy = RetryPolicy(attempts=3, first=timedelta(minutes=1), jitter=0)
    billing = build(make_billing, channels, retry=policy)
    books, invoice = seller_with_invoice(billing)
    channels.email.fail_next = DeliveryError("421 try later", channel="email", retryable=True)

    [message] = books.invoices.send(invoice.id)

    assert message.status is MessageStatus.QUEUED
    assert message.attempts == 1
    assert message.last_error == "421 try later"
    assert message.next_attempt_at == clock.now() + timedelta(minutes=1)
    assert billing.dispatch().count == 0  # not due yet
    clock.advance(timedelta(minutes=1))
    assert billing.dispatch().sent == [message.key]
    done = books.messages.get(message.key)
    assert (done.status, done.attempts) == (MessageStatus.SENT, 2)
    assert len(channels.email.sent) == 1


def test_retries_run_out_and_the_message_can_be_retried_by_hand(
    make_billing: Any, channels: Channels, clock: FixedClock
) -> None:
    policy = RetryPolicy(attempts=2, first=timedelta(minutes=1), jitter=0)
    billing = build(make_billing, channels, retry=policy)
    books, invoice = seller_with_invoice(billing)
    down = DeliveryError("connection refused", channel="email", retryable=True)
    channels.email.fail_next = down
    [message] = books.invoices.send(invoice.id)
    clock.advance(timedelta(minutes=5))
    channels.email.fail_next = down
    report = billing.dispatch()
    assert report.failed == [(message.key, "connection refused")]
    [failed] = books.messages.failed()
    assert (failed.key, failed.attempts) == (message.key, 2)

    books.messages.retry(message.key)
    assert billing.dispatch().sent == [message.key]
    assert books.messages.failed() == []
    with pytest.raises(ValidationError, match="only a failed message"):
        books.messages.retry(message.key)


def test_a_permanent_refusal_falls_back_to_the_next_channel(
    make_billing: Any, channels: Channels
) -> None:
    billing = build(make_billing, channels)
    books, invoice = seller_with_invoice(billing, channels=("email",), fallback=("sms",))
    channels.email.fail_next = DeliveryError("550 no such user", channel="email")

    books.invoices.send(invoice.id)

    by_channel = {m.channel: m for m in books.messages.list()}
    assert by_channel["email"].status is MessageStatus.FAILED
    assert by_channel["sms"].status is MessageStatus.SENT
    assert [m.key for m in channels.sms.sent] == [f"{invoice.id}:invoice:1:sms"]


def test_a_crashed_dispatcher_s_message_is_sent_after_its_lease(
    make_billing: Any, channels: Channels, clock: FixedClock
) -> None:
    billing = build(make_billing, channels, dispatch="worker", lease=timedelta(minutes=5))
    books, _ = seller_with_invoice(billing, send_on_issue=True)
    [claimed] = billing.dispatcher.claim(limit=10)  # then the process "dies"
    assert claimed.status is MessageStatus.SENDING
    other = build(make_billing, channels, dispatch="worker")
    assert other.dispatch().count == 0  # the lease holds
    clock.advance(timedelta(minutes=5))
    assert other.dispatch().sent == [claimed.key]
    assert books.messages.get(claimed.key).attempts == 2
    assert len(channels.email.sent) == 1


def test_threads_dispatching_at_once_send_each_message_once(
    make_billing: Any, channels: Channels
) -> None:
    billing = build(make_billing, channels, dispatch="worker")
    books, invoice = seller_with_invoice(billing, send_on_issue=True)
    drafts = [books.invoices.draft(invoice.customer_id, lines=[LINE]).id for _ in range(40)]
    books.invoices.issue_many(drafts)
    counts: list[int] = []

    def work() -> None:
        worker = build(make_billing, channels, dispatch="worker")
        counts.append(worker.dispatch(limit=1000).count)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(counts) == 41
    keys = [m.key for m in channels.email.sent]
    assert len(keys) == len(set(keys)) == 41


def test_the_in_app_inbox(make_billing: Any, channels: Channels) -> None:
    billing = build(make_billing, channels)
    books, invoice = seller_with_invoice(billing, channels=("in_app",))
    books.invoices.send(invoice.id)
    books.invoices.send(invoice.id, kind="reminder", step="before-3")
    customer = invoice.customer_id
    items = books.inbox.list(customer)
    assert [i.kind for i in items] == ["reminder", "invoice"]
    assert books.inbox.unread_count(customer) == 2
    assert books.inbox.mark_read(customer, [items[1].key]) == 1
    assert books.inbox.mark_read(customer, [items[1].key]) == 0
    assert [i.key for i in books.inbox.list(customer, unread_only=True)] == [items[0].key]
