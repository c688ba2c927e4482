"""Faults around getting paid, with real parts: SQLite locked by another connection while a
webhook arrives, and the SMTP server refusing the receipt e-mail (issue 14's probe)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import invoicekit as ik
from billing_fixtures import AT, line
from invoicekit import SmtpNotifier
from invoicekit.adapters.payments import SandboxPayments
from invoicekit.adapters.render import TemplateRenderer
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.testing import FixedClock
from invoicekit.testing.smtp import LoopbackSmtpServer
from invoicekit.web import create_app
from web.conftest import CLOSED_PORT, SECRET, WEBHOOK_SECRET

PAY_URL = "http://testserver"


def sandbox(clock: FixedClock) -> SandboxPayments:
    return SandboxPayments(
        base_url=PAY_URL, webhook_url=CLOSED_PORT, secrets=[WEBHOOK_SECRET], clock=clock
    )


def paid_event(provider: SandboxPayments, invoice: ik.Invoice, clock: FixedClock) -> Any:
    event = {
        "id": "evt_paid_1",
        "type": "payment.succeeded",
        "created": int(clock.now().timestamp()),
        "data": {
            "payment_ref": "sbx_pay_1",
            "amount": str(invoice.amount_due),
            "currency": invoice.currency,
            "metadata": {"seller_id": invoice.seller_id, "invoice_id": invoice.id},
        },
    }
    return provider.signed(event, at=clock.now())


def issue(billing: ik.Billing, **customer: Any) -> ik.Invoice:
    billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
    books = billing.seller("s1")
    books.customers.create(id="c1", name="Globex", email="ap@globex.example", **customer)
    return books.invoices.issue(books.invoices.draft(customer_id="c1", lines=[line()]).id)


def test_a_webhook_while_sqlite_is_locked_is_a_503_and_the_next_delivery_records_it_once(
    tmp_path: Path,
) -> None:
    clock = FixedClock(AT)
    provider = sandbox(clock)
    path = tmp_path / "books.db"
    billing = ik.Billing(
        storage=SqliteStorage.open(path, busy_timeout_ms=50), clock=clock, payments=provider
    )
    invoice = issue(billing)
    body, headers = paid_event(provider, invoice, clock)
    other = sqlite3.connect(path, isolation_level=None)

    with TestClient(create_app(billing, secret_key=SECRET)) as client:
        other.execute("BEGIN IMMEDIATE")  # another worker holds the write lock
        try:
            locked = client.post("/webhooks/sandbox", content=body, headers=headers)
        finally:
            other.execute("ROLLBACK")
            other.close()
        again = client.post("/webhooks/sandbox", content=body, headers=headers)
        replay = client.post("/webhooks/sandbox", content=body, headers=headers)

    assert locked.status_code == 503
    assert locked.json() == {"error": "not applied", "reason": "try again"}
    assert again.status_code == 200
    assert again.json()["outcome"] == "recorded"
    assert replay.json()["outcome"] == "duplicate"
    after = billing.seller("s1").invoices.get(invoice.id)
    assert after.status is ik.Status.PAID
    assert len(after.payments) == 1
    billing.close()


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    with LoopbackSmtpServer() as server:
        yield server


def test_smtp_down_for_the_receipt_is_retried_by_dispatch_and_sent_exactly_once(
    smtp: LoopbackSmtpServer,
) -> None:
    clock = FixedClock(AT)
    provider = sandbox(clock)
    mail = SmtpNotifier(smtp.host, smtp.port, sender="billing@northwind.example", security="none")
    billing = ik.Billing.in_memory(
        clock=clock,
        payments=provider,
        notifiers=[mail],
        renderer=TemplateRenderer(qr=False),
        pay_url=PAY_URL,
    )
    invoice = issue(billing, channels=["email"])
    smtp.fail_next("MAIL", "421 4.3.2 Service not available", times=3)

    # the receipt is tried right after the payment's commit, and refused
    result = billing.webhooks.receive("sandbox", *paid_event(provider, invoice, clock))
    first = billing.dispatch()

    assert result.outcome == "recorded"
    assert billing.seller("s1").invoices.get(invoice.id).status is ik.Status.PAID
    assert first.sent == []  # queued for a later attempt, not due yet
    assert smtp.messages == []

    for _ in range(6):  # later runs, after the backoff: sent once, then nothing left
        clock.advance(timedelta(hours=1))
        billing.dispatch()
    billing.webhooks.receive("sandbox", *paid_event(provider, invoice, clock))  # a replay
    clock.advance(timedelta(hours=1))
    billing.dispatch()

    receipts = [m for m in smtp.messages if "receipt" in m.subject.lower()]
    assert len(receipts) == 1, [m.subject for m in smtp.messages]
    assert len(smtp.messages) == 1
    billing.close()
