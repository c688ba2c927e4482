"""``MemoryStorage``: the reference Storage adapter, kept in dicts, for tests and demos.

It is not a mock: it enforces everything the real stores enforce (unique keys,
versions, gapless counters, all-or-nothing transactions) and passes the same
StorageContract. Write transactions are serialized by one lock, as on SQLite.

The repositories live in one module each: memory_parties (sellers, customers),
memory_invoices (invoices, ``matches()``), memory_records (credit notes, number
counters, outbox, idempotency), on the tables of memory_table; this module wires
them into one transaction and keeps ``MemoryStorage``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs

from invoicekit.adapters.storage.memory_events import MemoryEventFeed
from invoicekit.adapters.storage.memory_invoices import _Invoices, matches
from invoicekit.adapters.storage.memory_messages import MemoryInbox, MemoryMessages
from invoicekit.adapters.storage.memory_parties import _Customers, _Sellers
from invoicekit.adapters.storage.memory_payments import (
    MemoryCheckouts,
    MemoryPayTokens,
    MemoryProviderEvents,
)
from invoicekit.adapters.storage.memory_records import (
    _CreditNotes,
    _Idempotency,
    _Outbox,
    _Sequences,
)
from invoicekit.adapters.storage.memory_recurring import MemoryRecurring
from invoicekit.adapters.storage.memory_reports import EntryReports, memory_reports
from invoicekit.adapters.storage.memory_subscriptions import MemoryCatalog, MemorySubscriptions
from invoicekit.adapters.storage.memory_summaries import MemorySummaries
from invoicekit.adapters.storage.memory_table import _Table
from invoicekit.adapters.storage.memory_usage import MemoryUsage
from invoicekit.errors import StorageError
from invoicekit.ports import Transaction

#: ``matches`` and ``_Table`` moved to memory_invoices and memory_table; still importable here.
__all__ = ["MemoryStorage", "_Table", "matches"]


@attrs.frozen
class _MemoryTransaction:
    sellers: _Sellers
    customers: _Customers
    invoices: _Invoices
    credit_notes: _CreditNotes
    sequences: _Sequences
    outbox: _Outbox
    idempotency: _Idempotency
    messages: MemoryMessages
    event_feed: MemoryEventFeed
    inbox: MemoryInbox
    provider_events: MemoryProviderEvents
    checkouts: MemoryCheckouts
    pay_tokens: MemoryPayTokens
    recurring: MemoryRecurring
    catalog: MemoryCatalog
    subscriptions: MemorySubscriptions
    usage: MemoryUsage
    summaries: MemorySummaries
    reports: EntryReports


class MemoryStorage:
    """Everything in dicts; one writer at a time; a transaction commits all or nothing."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._position = 0
        self._tables: dict[str, _Table[Any, Any]] = {
            name: _Table()
            for name in (
                "sellers",
                "customers",
                "invoices",
                "numbers",
                "credit_notes",
                "sequences",
                "outbox",
                "idempotency",
                "messages",
                "inbox",
                "provider_events",
                "checkouts",
                "pay_tokens",
                "recurring",
                "event_cursors",
                "plans",
                "coupons",
                "customer_coupons",
                "subscriptions",
                "usage",
                "summary_clients",
                "summary_days",
            )
        }
        t = self._tables
        summaries = MemorySummaries(
            t["summary_clients"],
            t["summary_days"],
            lambda: (stored.invoice for stored in t["invoices"].values()),
        )
        self._tx = _MemoryTransaction(
            sellers=_Sellers(t["sellers"]),
            customers=_Customers(t["customers"]),
            invoices=_Invoices(t["invoices"], t["numbers"], summaries),
            credit_notes=_CreditNotes(t["credit_notes"]),
            sequences=_Sequences(t["sequences"]),
            outbox=_Outbox(t["outbox"], self._next_position),
            idempotency=_Idempotency(t["idempotency"]),
            messages=MemoryMessages(t["messages"], self._next_position),
            event_feed=MemoryEventFeed(t["outbox"], t["event_cursors"]),
            inbox=MemoryInbox(t["inbox"], self._next_position),
            provider_events=MemoryProviderEvents(t["provider_events"], self._next_position),
            checkouts=MemoryCheckouts(t["checkouts"], self._next_position),
            pay_tokens=MemoryPayTokens(t["pay_tokens"]),
            recurring=MemoryRecurring(t["recurring"]),
            catalog=MemoryCatalog(t["plans"], t["coupons"], t["customer_coupons"]),
            subscriptions=MemorySubscriptions(t["subscriptions"]),
            usage=MemoryUsage(t["usage"]),
            summaries=summaries,
            reports=memory_reports(t["invoices"], t["customers"]),
        )
        self._closed = False
        self._active = False

    def _next_position(self) -> int:
        self._position += 1
        return self._position

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """A unit of work; every transaction (read or write) holds the one lock while it runs."""
        if self._closed:
            raise StorageError("this MemoryStorage is closed")
        with self._lock:
            if self._active:
                raise StorageError("transactions do not nest; finish the open one first")
            self._active = True
            position = self._position
            try:
                yield self._tx
            except BaseException:
                for table in self._tables.values():
                    table.rollback()
                self._position = position
                raise
            finally:
                self._active = False
            if not write and any(table.changes for table in self._tables.values()):
                for table in self._tables.values():
                    table.rollback()
                raise StorageError(
                    "a read-only transaction tried to write; open it with write=True"
                )
            for table in self._tables.values():
                table.commit()

    def close(self) -> None:
        """Forget nothing (the data stays for inspection) but refuse further transactions."""
        self._closed = True
