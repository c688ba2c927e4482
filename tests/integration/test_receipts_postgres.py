"""One receipt per payment on PostgreSQL: the same payment recorded from several threads at once
(one idempotency key, several connections), then three workers delivering, each receipt once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

import invoicekit as ik
from invoicekit.testing import FixedClock, MemoryNotifier, MemoryRenderer
from pg import admin_connect, pg_url, schema_url  # noqa: F401

LINE = ik.Line("Design work", quantity=Decimal("1"), unit_price=Decimal("100.00"), tax=ik.Vat("19"))
THREADS = 6
PAYMENTS = 5


@pytest.fixture
def receipts_schema(pg_url: str) -> Iterator[str]:  # noqa: F811
    """The URL of a new PostgreSQL schema (dropped afterwards)."""
    with admin_connect(pg_url) as admin:
        admin.execute("CREATE SCHEMA receipts_once")
    yield schema_url(pg_url, "receipts_once")
    with admin_connect(pg_url) as admin:
        admin.execute("DROP SCHEMA receipts_once CASCADE")


def open_billing(url: str, mail: MemoryNotifier) -> ik.Billing:
    return ik.Billing.from_url(
        url,
        clock=FixedClock(datetime(2026, 3, 2, 9, tzinfo=UTC)),
        notifiers=[mail],
        renderer=MemoryRenderer(),
        dispatch="worker",
    )


def test_concurrent_replays_and_workers_send_each_receipt_once(receipts_schema: str) -> None:
    mail = MemoryNotifier(channel="email")
    first = open_billing(receipts_schema, mail)
    seller = first.sellers.create(name="Northwind", country="DE", currency="EUR")
    books = first.seller(seller.id)
    globex = books.customers.create("Globex", email="ap@globex.example", channels=["email"])
    invoice = books.invoices.issue(books.invoices.draft(globex.id, lines=[LINE]).id)
    others = [open_billing(receipts_schema, mail) for _ in range(THREADS)]
    errors: list[BaseException] = []

    def pay(billing: ik.Billing) -> None:
        try:
            for n in range(PAYMENTS):
                billing.seller(seller.id).payments.record(
                    invoice.id, "10.00", payment_id=f"p{n}", idempotency_key=f"bank-{n}"
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=pay, args=(b,)) for b in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(books.invoices.get(invoice.id).payments) == PAYMENTS
    workers = [threading.Thread(target=b.dispatch) for b in others[:3]]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert sorted(m.key for m in mail.sent) == sorted(
        f"{invoice.id}:receipt:p{n}:email" for n in range(PAYMENTS)
    )
    for b in [first, *others]:
        b.close()
