"""PostgreSQL: a record whose transaction commits late is never skipped by a handler's cursor.

Two transactions append to the outbox: the first takes the lower position but commits
after the second. A cursor over ``position`` alone (the naive one, written out here)
reads the second record, moves past the first's position, and never sees the first.
``EventFeed.read`` returns only records older than every running transaction, in
(transaction id, position) order, so it waits for the first and returns both in order.
Then the same through ``billing.on`` handlers, end to end.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Final

import pytest
import sqlalchemy as sa

import invoicekit as ik
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.ports import OutboxRecord, Storage
from invoicekit.testing import FixedClock
from invoicekit.testing.contracts import storage_builders as b
from pg import pg_url, truncate_all  # noqa: F401

pytestmark = pytest.mark.slow

#: Longest wait for other clients' transactions to end (the horizon is server-wide).
PATIENCE: Final = 30.0


def naive_read(storage: SqlAlchemyStorage, after: int) -> list[str]:
    """The cursor this design replaces: committed rows with a greater position, by position."""
    with storage.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT key FROM outbox WHERE position > :p ORDER BY position"), {"p": after}
        ).all()
    return [r.key for r in rows]


def settled(
    storage: Storage, epoch: int, position: int, count: int
) -> list[tuple[int, OutboxRecord]]:
    """``read`` until ``count`` records show (another client's open transaction delays them)."""
    deadline = time.monotonic() + PATIENCE
    while True:
        with storage.transaction(write=False) as tx:
            found = tx.event_feed.read(epoch=epoch, position=position, limit=10)
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def test_a_late_commit_is_skipped_by_a_position_cursor_but_not_by_the_feed(
    pg_url: str,  # noqa: F811
) -> None:
    SqlAlchemyStorage(pg_url).close()
    truncate_all(pg_url)
    early, late = SqlAlchemyStorage(pg_url), SqlAlchemyStorage(pg_url)
    try:
        with late.transaction() as slow:
            slow.outbox.append([b.outbox_record("s-1", "k-slow", invoice_id="i-1")])
            with early.transaction() as quick:  # another connection: commits first
                quick.outbox.append([b.outbox_record("s-1", "k-quick", invoice_id="i-2")])
            naive = naive_read(early, 0)
            assert naive == ["k-quick"]  # the naive cursor now stands past k-slow's position
            with early.transaction(write=False) as tx:
                assert tx.event_feed.read(epoch=0, position=0, limit=10) == []  # k-slow is open
        with early.transaction(write=False) as tx:
            quick_position = tx.outbox.list(seller_id="s-1", invoice_id="i-2")[0].position or 0
        assert "k-slow" not in naive_read(early, quick_position)  # skipped for good
        found = settled(early, 0, 0, 2)
        assert [r.key for _, r in found] == ["k-slow", "k-quick"]
        marks = [(epoch, r.position or 0) for epoch, r in found]
        assert marks == sorted(marks)
    finally:
        early.close()
        late.close()


def test_handlers_on_postgresql_see_every_event_once_in_order(pg_url: str) -> None:  # noqa: F811
    SqlAlchemyStorage(pg_url).close()
    truncate_all(pg_url)
    billing = ik.Billing.from_url(pg_url, clock=FixedClock(b.AT))
    try:
        seller = billing.sellers.create(name="Northwind", country="DE", currency="EUR")
        books = billing.seller(seller.id)
        customer = books.customers.create("Globex", email="ap@globex.example")
        seen: list[ik.EventNotice] = []
        billing.on("*", seen.append, name="all")
        line = ik.Line("Retainer", quantity=1, unit_price=Decimal("100.00"), tax=ik.Vat("19"))
        ids = [
            books.invoices.issue(books.invoices.draft(customer.id, lines=[line]).id).id
            for _ in range(3)
        ]
        books.payments.record(ids[0], Decimal("119.00"), idempotency_key="p-1")
        deadline = time.monotonic() + PATIENCE
        while len(seen) < 5 and time.monotonic() < deadline:
            billing.dispatch_events()
            time.sleep(0.05)
        assert [(n.type, n.invoice_id) for n in seen] == [
            ("invoice.issued", ids[0]),
            ("invoice.issued", ids[1]),
            ("invoice.issued", ids[2]),
            ("payment.succeeded", ids[0]),
            ("invoice.paid", ids[0]),
        ]
        billing.dispatch_events()
        assert len(seen) == 5
    finally:
        billing.close()
