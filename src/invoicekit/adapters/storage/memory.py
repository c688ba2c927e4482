"""``MemoryStorage``: the reference Storage adapter, kept in dicts, for tests and demos.

It is not a mock: it enforces everything the real stores enforce (unique keys,
versions, gapless counters, all-or-nothing transactions) and passes the same
StorageContract. Write transactions are serialized by one lock, as on SQLite.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from copy import deepcopy
from datetime import datetime
from typing import Any, Final, Generic, TypeVar

import attrs

from invoicekit.adapters.storage.memory_events import MemoryEventFeed
from invoicekit.adapters.storage.memory_messages import MemoryInbox, MemoryMessages
from invoicekit.adapters.storage.memory_payments import (
    MemoryCheckouts,
    MemoryPayTokens,
    MemoryProviderEvents,
)
from invoicekit.adapters.storage.memory_recurring import MemoryRecurring
from invoicekit.adapters.storage.memory_reports import EntryReports, memory_reports
from invoicekit.adapters.storage.memory_subscriptions import MemoryCatalog, MemorySubscriptions
from invoicekit.adapters.storage.memory_summaries import MemorySummaries
from invoicekit.adapters.storage.memory_usage import MemoryUsage
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status
from invoicekit.domain.summary import parts as summary_parts
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    IntegrityError,
    NotFoundError,
    StorageError,
)
from invoicekit.ports import (
    IdempotencyRecord,
    InvoiceQuery,
    InvoiceSave,
    OutboxRecord,
    Transaction,
)
from invoicekit.serialization import FROZEN_FIELDS, frozen_hash

__all__ = ["MemoryStorage"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_DELETED: Final = object()
_OPEN: Final = frozenset({Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED})


class _Table(Generic[K, V]):
    """Committed rows plus the current transaction's changes, applied only on commit."""

    def __init__(self) -> None:
        self.rows: dict[K, V] = {}
        self.changes: dict[K, Any] = {}

    def get(self, key: K) -> V | None:
        if key in self.changes:
            value = self.changes[key]
            return None if value is _DELETED else value
        return self.rows.get(key)

    def put(self, key: K, value: V) -> None:
        self.changes[key] = value

    def delete(self, key: K) -> None:
        self.changes[key] = _DELETED

    def values(self) -> Iterator[V]:
        for key, value in self.rows.items():
            if key not in self.changes:
                yield value
        for value in self.changes.values():
            if value is not _DELETED:
                yield value

    def commit(self) -> None:
        for key, value in self.changes.items():
            if value is _DELETED:
                self.rows.pop(key, None)
            else:
                self.rows[key] = value
        self.changes.clear()

    def rollback(self) -> None:
        self.changes.clear()


@attrs.define
class _StoredInvoice:
    invoice: Invoice
    content_hash: str | None


class _Sellers:
    def __init__(self, table: _Table[str, Seller]) -> None:
        self._t = table

    def add(self, seller: Seller) -> None:
        if self._t.get(seller.id) is not None:
            raise DuplicateError(f"seller {seller.id!r} already exists")
        self._t.put(seller.id, seller)

    def get(self, seller_id: str) -> Seller:
        found = self._t.get(seller_id)
        if found is None:
            raise NotFoundError("seller", seller_id)
        return found

    def update(self, seller: Seller) -> None:
        self.get(seller.id)
        self._t.put(seller.id, seller)

    def list(self) -> list[Seller]:
        return sorted(self._t.values(), key=lambda s: s.id)


class _Customers:
    def __init__(self, table: _Table[tuple[str, str], Customer]) -> None:
        self._t = table

    def add(self, customer: Customer) -> None:
        key = (customer.seller_id, customer.id)
        if self._t.get(key) is not None:
            raise DuplicateError(f"customer {customer.id!r} already exists")
        self._t.put(key, customer)

    def get(self, seller_id: str, customer_id: str) -> Customer:
        found = self._t.get((seller_id, customer_id))
        if found is None:
            raise NotFoundError("customer", customer_id)
        return found

    def get_many(self, seller_id: str, customer_ids: Sequence[str]) -> dict[str, Customer]:
        return {cid: self.get(seller_id, cid) for cid in customer_ids}

    def update(self, customer: Customer) -> None:
        self.get(customer.seller_id, customer.id)
        self._t.put((customer.seller_id, customer.id), customer)

    def list(
        self,
        seller_id: str,
        *,
        include_archived: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Customer]:
        found = sorted(
            (
                c
                for c in self._t.values()
                if c.seller_id == seller_id
                and (include_archived or not c.archived)
                and (after is None or c.id > after)
            ),
            key=lambda c: c.id,
        )
        return found[:limit]


def _invoice_order(inv: Invoice) -> tuple[int, str, str]:
    """Issued invoices by (issue date, id), then drafts by id (even with a preset issue date)."""
    if inv.status is Status.DRAFT or inv.issue_date is None:
        return (1, "", inv.id)
    return (0, inv.issue_date.isoformat(), inv.id)


def matches(inv: Invoice, query: InvoiceQuery) -> bool:
    """Whether ``inv`` satisfies every filter of ``query`` (the reference semantics)."""
    if query.statuses is not None and inv.status not in query.statuses:
        return False
    if query.customer_id is not None and inv.customer_id != query.customer_id:
        return False
    if query.due_from is not None and (inv.due_date is None or inv.due_date < query.due_from):
        return False
    if query.due_to is not None and (inv.due_date is None or inv.due_date > query.due_to):
        return False
    if query.overdue_on is not None:
        return inv.status in _OPEN and inv.due_date is not None and inv.due_date < query.overdue_on
    return True


def _frozen(invoice: Invoice) -> tuple[object, ...]:
    """The fields an issued invoice froze (those its content hash covers)."""
    return tuple(getattr(invoice, name) for name in FROZEN_FIELDS)


class _Invoices:
    def __init__(
        self,
        table: _Table[tuple[str, str], _StoredInvoice],
        numbers: _Table[tuple[str, str], str],
        summaries: MemorySummaries,
    ) -> None:
        self._t = table
        self._numbers = numbers
        self._summaries = summaries
        #: (seller, status) -> keys of invoices saved with that status: a superset (a key
        #: stays until its committed row has moved on), so a status query reads a few rows
        #: instead of the whole table (run_due asks for the open ones every day).
        self._by_status: dict[tuple[str, Status], set[tuple[str, str]]] = {}

    def _put(self, key: tuple[str, str], stored: _StoredInvoice) -> None:
        before = self._t.get(key)
        if before is not None or stored.invoice.status is not Status.DRAFT:
            old = None if before is None else summary_parts(before.invoice)
            self._summaries.changed(key[0], [(old, summary_parts(stored.invoice))])
        self._t.put(key, stored)
        self._by_status.setdefault((key[0], stored.invoice.status), set()).add(key)

    def _with_status(self, seller_id: str, statuses: frozenset[Status]) -> Iterator[Invoice]:
        """The seller's invoices in ``statuses`` now; drops keys whose committed row moved on."""
        for status in statuses:
            keys = self._by_status.get((seller_id, status))
            if not keys:
                continue
            stale = []
            for key in keys:
                stored = self._t.get(key)
                if stored is not None and stored.invoice.status is status:
                    yield stored.invoice
                elif key not in self._t.changes:  # a pending change may still roll back
                    stale.append(key)
            keys.difference_update(stale)

    def add(self, invoice: Invoice) -> None:
        key = (invoice.seller_id, invoice.id)
        if self._t.get(key) is not None:
            raise DuplicateError(f"invoice {invoice.id!r} already exists")
        if invoice.number is not None:
            self._claim_number(invoice)
        self._put(key, _StoredInvoice(invoice, None))

    def _claim_number(self, invoice: Invoice) -> None:
        assert invoice.number is not None  # noqa: S101 - callers check
        key = (invoice.seller_id, invoice.number)
        owner = self._numbers.get(key)
        if owner is not None and owner != invoice.id:
            raise DuplicateError(f"number {invoice.number!r} is already used by another invoice")
        self._numbers.put(key, invoice.id)

    def get(self, seller_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:  # noqa: ARG002 - one writer at a time: every read is locked already
        found = self._t.get((seller_id, invoice_id))
        if found is None:
            raise NotFoundError("invoice", invoice_id)
        return found.invoice

    def get_many(
        self,
        seller_id: str,
        invoice_ids: Sequence[str],
        *,
        for_update: bool = False,  # noqa: ARG002 - one writer at a time
    ) -> list[Invoice]:
        return [self.get(seller_id, invoice_id) for invoice_id in invoice_ids]

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        for invoice in invoices:
            self.add(invoice)

    def save_many(self, items: Sequence[InvoiceSave]) -> None:
        for invoice, expected_version, freeze in items:
            self.save(invoice, expected_version=expected_version, freeze=freeze)

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        owner = self._numbers.get((seller_id, number))
        if owner is None:
            raise NotFoundError("invoice", number)
        return self.get(seller_id, owner)

    def save(self, invoice: Invoice, *, expected_version: int, freeze: bool = False) -> None:
        key = (invoice.seller_id, invoice.id)
        stored = self._t.get(key)
        if stored is None:
            raise NotFoundError("invoice", invoice.id)
        if stored.invoice.version != expected_version:
            raise ConcurrencyError(
                f"invoice {invoice.ref} was changed by someone else (stored version "
                f"{stored.invoice.version}, expected {expected_version}); reload it and retry",
                retryable=False,
            )
        if stored.content_hash is not None and _frozen(stored.invoice) != _frozen(invoice):
            raise IntegrityError(
                f"invoice {stored.invoice.ref} is issued: its number, dates, parties, lines and "
                "totals cannot change (issue a credit note instead)"
            )
        if invoice.number is not None:
            self._claim_number(invoice)
        digest = stored.content_hash
        if digest is None and freeze:
            digest = frozen_hash(invoice)  # what SQLite and SQLAlchemy record, for comparison
        self._put(key, _StoredInvoice(invoice, digest))

    def delete(self, seller_id: str, invoice_id: str, *, expected_version: int) -> None:
        stored = self._t.get((seller_id, invoice_id))
        if stored is None:
            raise NotFoundError("invoice", invoice_id)
        if stored.invoice.version != expected_version:
            raise ConcurrencyError(f"invoice {invoice_id!r} was changed by someone else; reload it")
        if stored.invoice.number is not None:
            raise StorageError(
                f"invoice {stored.invoice.ref} is issued; issued invoices are never deleted"
            )
        self._t.delete((seller_id, invoice_id))

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        rows: Iterable[Invoice]
        if query.statuses is not None:
            rows = list(self._with_status(seller_id, query.statuses))
        else:
            rows = (s.invoice for s in self._t.values())
        found = sorted(
            (inv for inv in rows if inv.seller_id == seller_id and matches(inv, query)),
            key=_invoice_order,
        )
        if query.after is not None:
            # A position, not a row: paging goes on after an invoice that stopped matching.
            anchor = self._t.get((seller_id, query.after))
            if anchor is not None and anchor.invoice.seller_id == seller_id:
                mark = _invoice_order(anchor.invoice)
                found = [inv for inv in found if _invoice_order(inv) > mark]
        return found[: query.limit]

    def content_hash(self, seller_id: str, invoice_id: str) -> str | None:
        """The content hash stored at issue (for integrity checks)."""
        found = self._t.get((seller_id, invoice_id))
        return None if found is None else found.content_hash


class _CreditNotes:
    def __init__(self, table: _Table[tuple[str, str], CreditNote]) -> None:
        self._t = table

    def add(self, note: CreditNote) -> None:
        if self._t.get((note.seller_id, note.id)) is not None:
            raise DuplicateError(f"credit note {note.id!r} already exists")
        if any(n.seller_id == note.seller_id and n.number == note.number for n in self._t.values()):
            raise DuplicateError(f"credit note number {note.number!r} is already used")
        self._t.put((note.seller_id, note.id), note)

    def get(self, seller_id: str, credit_note_id: str) -> CreditNote:
        found = self._t.get((seller_id, credit_note_id))
        if found is None:
            raise NotFoundError("credit note", credit_note_id)
        return found

    def for_invoice(self, seller_id: str, invoice_id: str) -> list[CreditNote]:
        return sorted(
            (
                n
                for n in self._t.values()
                if n.seller_id == seller_id and n.invoice_id == invoice_id
            ),
            key=lambda n: (n.issued_at, n.number),
        )


class _Sequences:
    def __init__(self, table: _Table[tuple[str, str, str], int]) -> None:
        self._t = table

    def next_value(self, seller_id: str, series: str, period: str) -> int:
        key = (seller_id, series, period)
        value = self._t.get(key) or 1
        self._t.put(key, value + 1)
        return value

    def next_values(self, seller_id: str, series: str, period: str, count: int) -> int:
        if count < 1:
            raise StorageError(f"take at least one number, not {count}")
        key = (seller_id, series, period)
        value = self._t.get(key) or 1
        self._t.put(key, value + count)
        return value

    def peek(self, seller_id: str, series: str, period: str) -> int:
        return self._t.get((seller_id, series, period)) or 1

    def started(self, seller_id: str, series: str) -> bool:
        keys = {*self._t.rows, *self._t.changes}
        return any(key[:2] == (seller_id, series) and self._t.get(key) for key in keys)


class _Outbox:
    def __init__(self, table: _Table[str, OutboxRecord], counter: Callable[[], int]) -> None:
        self._t = table
        self._counter = counter

    def append(self, records: Sequence[OutboxRecord]) -> None:
        for record in records:
            if self._t.get(record.key) is None:
                copy = attrs.evolve(
                    record, position=self._counter(), payload=deepcopy(record.payload)
                )
                self._t.put(record.key, copy)

    def _ordered(self) -> list[OutboxRecord]:
        """Copies of every record in append order (callers may change what they get)."""
        return [
            attrs.evolve(r, payload=deepcopy(r.payload))
            for r in sorted(self._t.values(), key=lambda r: r.position or 0)
        ]

    def pending(self, *, limit: int = 100, seller_id: str | None = None) -> list[OutboxRecord]:
        return [
            r
            for r in self._ordered()
            if r.delivered_at is None and (seller_id is None or r.seller_id == seller_id)
        ][:limit]

    def mark_delivered(self, keys: Sequence[str], *, at: datetime) -> None:
        for key in keys:
            record = self._t.get(key)
            if record is not None:
                self._t.put(key, attrs.evolve(record, delivered_at=at))

    def mark_failed(self, key: str, *, error: str) -> None:
        record = self._t.get(key)
        if record is not None:
            self._t.put(key, attrs.evolve(record, attempts=record.attempts + 1, last_error=error))

    def list(
        self, *, seller_id: str, invoice_id: str | None = None, limit: int = 1000
    ) -> list[OutboxRecord]:
        return [
            r
            for r in self._ordered()
            if r.seller_id == seller_id and (invoice_id is None or r.invoice_id == invoice_id)
        ][:limit]


class _Idempotency:
    def __init__(self, table: _Table[tuple[str, str], IdempotencyRecord]) -> None:
        self._t = table

    def get(self, seller_id: str, key: str) -> IdempotencyRecord | None:
        found = self._t.get((seller_id, key))
        return None if found is None else attrs.evolve(found, result=deepcopy(found.result))

    def put(self, record: IdempotencyRecord) -> None:
        if self._t.get((record.seller_id, record.key)) is not None:
            raise DuplicateError(f"idempotency key {record.key!r} is already used")
        self._t.put(
            (record.seller_id, record.key), attrs.evolve(record, result=deepcopy(record.result))
        )


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
