"""The dispatcher over a real SMTP server: 4xx retried, 5xx failed, a server that is down keeps the message queued."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import invoicekit as ik
from invoicekit.adapters.notify.smtp import SmtpNotifier, message_id_for
from invoicekit.ports import MessageStatus
from invoicekit.services.dispatch import RetryPolicy
from invoicekit.testing import FixedClock
from invoicekit.testing.smtp import LoopbackSmtpServer

LINE = ik.Line("Retainer", quantity="1", unit_price="100.00", tax=ik.Vat("19"))
POLICY = RetryPolicy(attempts=3, first=timedelta(minutes=1), jitter=0)


@pytest.fixture
def server() -> LoopbackSmtpServer:
    with LoopbackSmtpServer() as running:
        yield running


def billing_for(path: Path, port: int, clock: FixedClock) -> ik.Billing:
    mail = SmtpNotifier("127.0.0.1", port, sender="billing@northwind.example", security="none")
    return ik.Billing.sqlite(path, clock=clock, notifiers=[mail], retry=POLICY, attach_pdf=True)


def issue_one(billing: ik.Billing) -> tuple[ik.SellerBooks, ik.Invoice]:
    seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
    books = billing.seller(seller.id)
    client = books.customers.create("Globex", email="ap@globex.example")
    return books, books.invoices.issue(books.invoices.draft(client.id, lines=[LINE]).id)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_4xx_is_retried_and_the_mail_arrives_once(
    server: LoopbackSmtpServer, tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    billing = billing_for(tmp_path / "b.db", server.port, clock)
    books, invoice = issue_one(billing)
    server.fail_next("RCPT", "451 4.3.0 Mailbox busy, try later")

    [message] = books.invoices.send(invoice.id)

    assert message.status is MessageStatus.QUEUED
    assert "451" in (message.last_error or "")
    assert server.messages == []
    clock.advance(timedelta(minutes=1))
    assert billing.dispatch().sent == [message.key]
    [mail] = server.wait_for(1)
    assert mail.message_id == message_id_for(message.key, "northwind.example")
    assert [a[1] for a in mail.attachments()] == ["application/pdf"]
    assert books.messages.get(message.key).attempts == 2


def test_a_5xx_is_recorded_as_failed_and_shown_to_the_host(
    server: LoopbackSmtpServer, tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    billing = billing_for(tmp_path / "b.db", server.port, clock)
    books, invoice = issue_one(billing)
    server.fail_next("RCPT", "550 5.1.1 No such user")

    [message] = books.invoices.send(invoice.id)

    assert message.status is MessageStatus.FAILED
    assert "550" in (message.last_error or "")
    assert books.messages.failed() == [message]
    clock.advance(timedelta(days=1))
    assert billing.dispatch().count == 0  # never retried on its own
    books.messages.retry(message.key)
    assert billing.dispatch().sent == [message.key]
    assert len(server.wait_for(1)) == 1


def test_a_server_that_is_down_keeps_the_message_queued(tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    billing = billing_for(tmp_path / "b.db", free_port(), clock)
    books, invoice = issue_one(billing)

    [message] = books.invoices.send(invoice.id)

    assert message.status is MessageStatus.QUEUED
    assert message.next_attempt_at == clock.now() + timedelta(minutes=1)
    assert books.messages.failed() == []
