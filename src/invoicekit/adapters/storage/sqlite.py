"""``SqliteStorage``: the embedded default Storage adapter, one SQLite file in WAL mode.

It behaves like ``MemoryStorage`` (the reference) and adds what a file can
promise: write transactions start with ``BEGIN IMMEDIATE``, so number allocation
serializes across threads and processes; an issued invoice's content hash is
checked on every read; no ``sqlite3`` exception reaches the caller (the schema
module's ``Session`` translates them). One connection per thread, opened lazily.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, Final, Literal

import attrs
import cattrs

from invoicekit.adapters.storage.sqlite_events import SqliteEventFeed
from invoicekit.adapters.storage.sqlite_messages import SqliteInbox, SqliteMessages
from invoicekit.adapters.storage.sqlite_payments import (
    SqliteCheckouts,
    SqlitePayTokens,
    SqliteProviderEvents,
)
from invoicekit.adapters.storage.sqlite_recurring import SqliteRecurring
from invoicekit.adapters.storage.sqlite_reports import SqliteReports, write_entries
from invoicekit.adapters.storage.sqlite_schema import (
    DECODE_ERRORS,
    Row,
    Session,
    check_version,
    connect,
    migrate,
    translate,
)
from invoicekit.adapters.storage.sqlite_subscriptions import SqliteCatalog, SqliteSubscriptions
from invoicekit.adapters.storage.sqlite_summaries import SqliteSummaries
from invoicekit.adapters.storage.sqlite_usage import SqliteUsage
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status
from invoicekit.errors import (
    ConcurrencyError,
    ConfigurationError,
    DuplicateError,
    IntegrityError,
    InvoiceKitError,
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
from invoicekit.serialization import (
    ContentHashMismatch,
    canonical_json,
    encode_invoice,
    legacy_invoice,
    make_converter,
    read_invoice,
)

__all__ = ["SqliteStorage"]

_OPEN: Final = tuple(
    s.value for s in (Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED)
)
_INVOICE: Final = "SELECT seller_id, id, number, content_hash, doc FROM invoices"
_ADD: Final = (
    "INSERT INTO invoices (customer_id, status, series, number, issue_date, due_date, "
    "version, content_hash, doc, seller_id, id) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)"
)
_SAVE: Final = (
    "UPDATE invoices SET customer_id = ?, status = ?, series = ?, number = ?, "
    "issue_date = ?, due_date = ?, version = ?, content_hash = ?, doc = ? "
    "WHERE seller_id = ? AND id = ? AND version = ?"
)
#: Where the content hash is among the parameters of ``_SAVE``.
_SAVED_HASH: Final = 7
#: The order of ``find``: (issue date, id) with drafts last (also a draft with a preset date).
_KEY: Final = "(status = 'draft', COALESCE(issue_date, ''), id)"
#: The same order among invoices that are not drafts (NULL sorts first as '' does), by the
#: columns themselves: sorting the overdue page's keys costs a third of sorting _KEY's.
_ISSUED_ORDER: Final = "issue_date, id"
_OUTBOX: Final = (
    "SELECT key, seller_id, kind, payload, created_at, invoice_id, position, delivered_at, "
    "attempts, last_error FROM outbox"
)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _json(session: Session, value: dict[str, Any], what: str) -> str:
    try:
        return canonical_json(value)
    except (TypeError, ValueError) as exc:
        raise StorageError(
            f"could not store {what} in {session.path}: it is not plain JSON data ({exc}); "
            "pass str, int, bool, None, lists and dicts only"
        ) from exc


class _Sellers:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, seller: Seller) -> None:
        try:
            self._s.run(
                "add a seller",
                "INSERT INTO sellers (id, doc) VALUES (?, ?)",
                (seller.id, self._s.dump(seller)),
            )
        except DuplicateError as exc:
            raise DuplicateError(f"seller {seller.id!r} already exists") from exc

    def get(self, seller_id: str) -> Seller:
        row = self._s.one("read a seller", "SELECT doc FROM sellers WHERE id = ?", (seller_id,))
        if row is None:
            raise NotFoundError("seller", seller_id)
        return self._s.load(row[0], Seller, f"seller {seller_id!r}")

    def update(self, seller: Seller) -> None:
        sql = "UPDATE sellers SET doc = ? WHERE id = ?"
        if not self._s.run("update a seller", sql, (self._s.dump(seller), seller.id)):
            raise NotFoundError("seller", seller.id)

    def list(self) -> list[Seller]:
        rows = self._s.rows("list sellers", "SELECT id, doc FROM sellers ORDER BY id")
        return [self._s.load(doc, Seller, f"seller {key!r}") for key, doc in rows]


class _Customers:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, customer: Customer) -> None:
        sql = "INSERT INTO customers (seller_id, id, archived, doc) VALUES (?, ?, ?, ?)"
        params = (customer.seller_id, customer.id, customer.archived, self._s.dump(customer))
        try:
            self._s.run("add a customer", sql, params)
        except DuplicateError as exc:
            raise DuplicateError(f"customer {customer.id!r} already exists") from exc

    def get(self, seller_id: str, customer_id: str) -> Customer:
        sql = "SELECT doc FROM customers WHERE seller_id = ? AND id = ?"
        row = self._s.one("read a customer", sql, (seller_id, customer_id))
        if row is None:
            raise NotFoundError("customer", customer_id)
        return self._s.load(row[0], Customer, f"customer {customer_id!r}")

    def get_many(self, seller_id: str, customer_ids: Sequence[str]) -> dict[str, Customer]:
        sql = (
            "SELECT id, doc FROM customers WHERE seller_id = ? "
            "AND id IN (SELECT value FROM json_each(?))"
        )
        rows = self._s.rows("read customers", sql, (seller_id, json.dumps(list(customer_ids))))
        docs = {row[0]: row[1] for row in rows}
        found: dict[str, Customer] = {}
        for cid in customer_ids:
            if cid not in docs:
                raise NotFoundError("customer", cid)
            found[cid] = self._s.load(docs[cid], Customer, f"customer {cid!r}")
        return found

    def update(self, customer: Customer) -> None:
        sql = "UPDATE customers SET archived = ?, doc = ? WHERE seller_id = ? AND id = ?"
        params = (customer.archived, self._s.dump(customer), customer.seller_id, customer.id)
        if not self._s.run("update a customer", sql, params):
            raise NotFoundError("customer", customer.id)

    def list(
        self,
        seller_id: str,
        *,
        include_archived: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Customer]:
        sql, params = "SELECT id, doc FROM customers WHERE seller_id = ?", [seller_id]
        if after is not None:
            sql, params = f"{sql} AND id > ?", [seller_id, after]
        if not include_archived:
            sql += " AND NOT archived"
        rows = self._s.page("list customers", f"{sql} ORDER BY id", params, limit)
        return [self._s.load(doc, Customer, f"customer {key!r}") for key, doc in rows]


def _where(seller_id: str, query: InvoiceQuery) -> tuple[str, list[Any]] | None:
    """The WHERE clause of ``matches()`` (memory.py) in SQL; None when nothing can match."""
    clauses, params = ["seller_id = ?"], [seller_id]
    if query.statuses is not None:
        if not query.statuses:
            return None
        clauses.append(f"status IN ({', '.join('?' * len(query.statuses))})")
        params += sorted(str(s) for s in query.statuses)
    if query.customer_id is not None:
        clauses.append("customer_id = ?")
        params.append(query.customer_id)
    if query.due_from is not None:
        clauses.append("due_date >= ?")  # NULL due dates never match, as in matches()
        params.append(query.due_from.isoformat())
    if query.due_to is not None:
        clauses.append("due_date <= ?")
        params.append(query.due_to.isoformat())
    if query.overdue_on is not None:
        clauses.append(f"status IN ({', '.join('?' * len(_OPEN))}) AND due_date < ?")
        params += [*_OPEN, query.overdue_on.isoformat()]
    return " AND ".join(clauses), params


def _drafts_may_match(query: InvoiceQuery) -> bool:
    """Whether a draft can pass the filters (an overdue or a status filter may exclude them)."""
    if query.overdue_on is not None:
        return False
    return query.statuses is None or Status.DRAFT in query.statuses


class _Invoices:
    def __init__(self, session: Session) -> None:
        self._s = session
        self.summaries = SqliteSummaries(session, self._issued)

    def _issued(self, seller_id: str | None) -> Iterator[Invoice]:
        """Every issued invoice (of one seller, or all), for rebuilding the summaries."""
        where, params = ("AND seller_id = ?", (seller_id,)) if seller_id else ("", ())
        sql = f"{_INVOICE} WHERE status != 'draft' {where} ORDER BY seller_id, id"
        for row in self._s.rows("rebuild the summaries", sql, params):
            yield self._load(row)

    def _duplicate(self, invoice: Invoice) -> DuplicateError:
        """The reference's message: the id is checked before the number."""
        sql = "SELECT 1 FROM invoices WHERE seller_id = ? AND id = ?"
        if self._s.one("add an invoice", sql, self._key(invoice)) is not None:
            return DuplicateError(f"invoice {invoice.id!r} already exists")
        return DuplicateError(f"number {invoice.number!r} is already used by another invoice")

    def add(self, invoice: Invoice) -> None:
        try:
            self._s.run("add an invoice", _ADD, self._new_row(invoice))
        except DuplicateError as exc:
            raise self._duplicate(invoice) from exc
        self.summaries.changed([invoice], new=True)
        write_entries(self._s, [invoice], replace=False)

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        rows = [self._new_row(invoice) for invoice in invoices]
        # A savepoint, so that on a duplicate the rows before it are gone when we look.
        self._s.run("add invoices", "SAVEPOINT add_many")
        try:
            self._s.run_many("add invoices", _ADD, rows)
        except DuplicateError as exc:
            self._s.run("add invoices", "ROLLBACK TO add_many")
            self._s.run("add invoices", "RELEASE add_many")
            raise self._first_duplicate(invoices) from exc
        self._s.run("add invoices", "RELEASE add_many")
        self.summaries.changed(invoices, new=True)
        write_entries(self._s, invoices, replace=False)

    def _new_row(self, invoice: Invoice) -> tuple[Any, ...]:
        """The INSERT parameters of a new invoice (its one encoding)."""
        return (*self._columns(invoice), self._s.dump(invoice), *self._key(invoice))

    def _first_duplicate(self, invoices: Sequence[Invoice]) -> DuplicateError:
        """The error of the first invoice of a batch whose id or number is taken or repeated."""
        ids: set[str] = set()
        numbers: set[str | None] = set()
        for invoice in invoices:
            if invoice.id in ids:
                return DuplicateError(f"invoice {invoice.id!r} is given twice")
            if invoice.number is not None and invoice.number in numbers:
                return DuplicateError(f"number {invoice.number!r} is given twice")
            ids.add(invoice.id)
            numbers.add(invoice.number)
            sql = "SELECT 1 FROM invoices WHERE seller_id = ? AND (id = ? OR number = ?)"
            params = (*self._key(invoice), invoice.number)
            if self._s.one("add invoices", sql, params) is not None:
                return self._duplicate(invoice)
        return DuplicateError("an invoice of the batch is already stored")  # pragma: no cover

    @staticmethod
    def _key(invoice: Invoice) -> tuple[str, str]:
        return invoice.seller_id, invoice.id

    @staticmethod
    def _columns(invoice: Invoice) -> tuple[Any, ...]:
        return (
            invoice.customer_id,
            invoice.status.value,
            invoice.series,
            invoice.number,
            _iso(invoice.issue_date),
            _iso(invoice.due_date),
            invoice.version,
        )

    def _load(self, row: Row) -> Invoice:
        seller_id, invoice_id, number, stored_hash, doc = row
        what = f"invoice {number or invoice_id} of seller {seller_id!r}"
        try:
            invoice = read_invoice(doc, stored_hash, self._s.converter)
        except ContentHashMismatch as exc:
            raise IntegrityError(
                f"{what}: its stored content no longer matches the hash recorded at issue; "
                f"it was changed outside invoicekit ({self._s.path}): restore it from a backup"
            ) from exc
        except DECODE_ERRORS as exc:
            raise self._s.unreadable(what, exc) from exc
        if self._s.write:
            self._s.invoice_rows[seller_id, invoice_id] = (invoice.version, stored_hash)
        return invoice

    def get(self, seller_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:  # noqa: ARG002 - a write transaction holds SQLite's write lock already
        sql = f"{_INVOICE} WHERE seller_id = ? AND id = ?"
        row = self._s.one("read an invoice", sql, (seller_id, invoice_id))
        if row is None:
            raise NotFoundError("invoice", invoice_id)
        return self._load(row)

    def get_many(
        self,
        seller_id: str,
        invoice_ids: Sequence[str],
        *,
        for_update: bool = False,  # noqa: ARG002 - a write transaction holds the write lock
    ) -> list[Invoice]:
        sql = f"{_INVOICE} WHERE seller_id = ? AND id IN (SELECT value FROM json_each(?))"  # noqa: S608 - constants only
        rows = self._s.rows("read invoices", sql, (seller_id, json.dumps(list(invoice_ids))))
        found = {row[1]: row for row in rows}
        loaded: dict[str, Invoice] = {}
        for invoice_id in invoice_ids:
            if invoice_id not in found:
                raise NotFoundError("invoice", invoice_id)
            if invoice_id not in loaded:
                loaded[invoice_id] = self._load(found[invoice_id])
        return [loaded[invoice_id] for invoice_id in invoice_ids]

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        sql = f"{_INVOICE} WHERE seller_id = ? AND number = ?"
        row = self._s.one("read an invoice by number", sql, (seller_id, number))
        if row is None:
            raise NotFoundError("invoice", number)
        return self._load(row)

    def save(self, invoice: Invoice, *, expected_version: int, freeze: bool = False) -> None:
        self.save_many([InvoiceSave(invoice, expected_version, freeze)])

    def save_many(self, items: Sequence[InvoiceSave]) -> None:
        if not items:
            return
        known = self._s.invoice_rows
        stored: dict[tuple[str, str], Row] = {}
        for item in items:  # read in this transaction: no second read (the write lock is held)
            key = self._key(item.invoice)
            seen = known.get(key)
            if seen is not None and seen[0] == item.expected_version:
                stored[key] = (key[1], *seen)
        unread = [item.invoice for item in items if self._key(item.invoice) not in stored]
        for seller_id in {invoice.seller_id for invoice in unread}:
            ids = [invoice.id for invoice in unread if invoice.seller_id == seller_id]
            sql = (
                "SELECT id, version, content_hash FROM invoices "
                "WHERE seller_id = ? AND id IN (SELECT value FROM json_each(?))"
            )
            for row in self._s.rows("save invoices", sql, (seller_id, json.dumps(ids))):
                stored[seller_id, row[0]] = row
        params = [self._saved_row(item, stored.get(self._key(item.invoice))) for item in items]
        try:
            updated = self._s.run_many("save invoices", _SAVE, params)
        except DuplicateError as exc:
            known.clear()  # some rows of the batch may be written: read them again
            raise self._first_duplicate_number(items) from exc
        if updated != len(items):  # an id given twice; else impossible under BEGIN IMMEDIATE
            known.clear()
            raise ConcurrencyError("an invoice was saved twice in one batch; reload it and retry")
        # Issued just now (frozen): no share of theirs was kept before.
        fresh = [item.invoice for item in items if item.freeze]
        self.summaries.changed(fresh, new=True)
        self.summaries.changed([item.invoice for item in items if not item.freeze])
        for item, saved in zip(items, params, strict=True):
            known[self._key(item.invoice)] = (item.invoice.version, saved[_SAVED_HASH])
        write_entries(self._s, [item.invoice for item in items], replace=True)

    def _saved_row(self, item: InvoiceSave, stored: Row | None) -> tuple[Any, ...]:
        """The UPDATE parameters of one save (its one encoding), checked against the stored row."""
        invoice, expected_version, freeze = item
        if stored is None:
            raise NotFoundError("invoice", invoice.id)
        _, version, stored_hash = stored
        if version != expected_version:
            raise ConcurrencyError(
                f"invoice {invoice.ref} was changed by someone else (stored version "
                f"{version}, expected {expected_version}); reload it and retry",
                retryable=False,
            )
        text, digest = self._encoded(invoice, stored_hash, freeze=freeze)
        return (*self._columns(invoice), digest, text, *self._key(invoice), expected_version)

    def _first_duplicate_number(self, items: Sequence[InvoiceSave]) -> DuplicateError:
        """The error of the first saved invoice whose number another invoice holds."""
        sql = "SELECT 1 FROM invoices WHERE seller_id = ? AND number = ? AND id != ?"
        seen: set[tuple[str, str | None]] = set()
        for item in items:
            invoice = item.invoice
            key = (invoice.seller_id, invoice.number)
            params = (invoice.seller_id, invoice.number, invoice.id)
            if key in seen or self._s.one("save invoices", sql, params) is not None:
                break
            seen.add(key)
        else:  # pragma: no cover - the unique index names a number that some item holds
            invoice = items[0].invoice
        return DuplicateError(f"number {invoice.number!r} is already used by another invoice")

    def _encoded(
        self, invoice: Invoice, stored_hash: str | None, *, freeze: bool
    ) -> tuple[str, str | None]:
        """The row's document and content hash: encoded once, the hash from those bytes.

        Refuses a save that would change what was frozen at issue (I4). An invoice issued
        in format 1 is written in format 1 again, so the hash recorded at issue holds.
        """
        encoded = encode_invoice(invoice)
        if stored_hash is None:
            return encoded.text, encoded.content_hash if freeze else None
        if encoded.content_hash == stored_hash:
            return encoded.text, stored_hash
        text, legacy_hash = legacy_invoice(invoice, self._s.converter)
        if legacy_hash == stored_hash:
            return text, stored_hash
        raise IntegrityError(
            f"invoice {invoice.ref}: refusing to save content that does not match the hash "
            "recorded at issue (lines, parties, totals, number and dates are frozen); "
            "correct an issued invoice with a credit note"
        )

    def delete(self, seller_id: str, invoice_id: str, *, expected_version: int) -> None:
        sql = "SELECT version, number FROM invoices WHERE seller_id = ? AND id = ?"
        row = self._s.one("delete an invoice", sql, (seller_id, invoice_id))
        if row is None:
            raise NotFoundError("invoice", invoice_id)
        if row[0] != expected_version:
            raise ConcurrencyError(
                f"invoice {invoice_id!r} was changed by someone else; reload it", retryable=False
            )
        if row[1] is not None:
            raise StorageError(f"invoice {row[1]} is issued; issued invoices are never deleted")
        sql = "DELETE FROM invoices WHERE seller_id = ? AND id = ? AND version = ?"
        self._s.run("delete an invoice", sql, (seller_id, invoice_id, expected_version))
        self._s.invoice_rows.pop((seller_id, invoice_id), None)

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        where = _where(seller_id, query)
        if where is None:
            return []
        clause, params = where
        if query.after is not None:  # a position, not a match: it may no longer pass the filters
            sql = f"SELECT {_KEY[1:-1]} FROM invoices WHERE seller_id = ? AND id = ?"  # noqa: S608 - constants only
            last = self._s.one("find invoices", sql, (seller_id, query.after))
            if last is not None:  # as in MemoryStorage, an unknown `after` starts from the top
                clause += f" AND {_KEY} > (?, ?, ?)"
                params += list(last)
        # Sort and cut the page on index columns first, then read only that page's documents.
        order = _KEY[1:-1] if _drafts_may_match(query) else _ISSUED_ORDER
        page = f"SELECT rowid FROM invoices WHERE {clause} ORDER BY {order}"  # noqa: S608 - constants only
        if query.limit >= 0:
            page, params = f"{page} LIMIT ?", [*params, query.limit]
        sql = f"{_INVOICE} WHERE rowid IN ({page}) ORDER BY {order}"
        rows = self._s.rows("find invoices", sql, params)
        return [self._load(row) for row in (rows if query.limit >= 0 else rows[: query.limit])]


class _CreditNotes:
    def __init__(self, session: Session) -> None:
        self._s = session

    def add(self, note: CreditNote) -> None:
        sql = (
            "INSERT INTO credit_notes (seller_id, id, invoice_id, number, issued_at, doc) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        params = (note.seller_id, note.id, note.invoice_id, note.number, note.issued_at.isoformat())
        try:
            self._s.run("add a credit note", sql, (*params, self._s.dump(note)))
        except DuplicateError as exc:
            sql = "SELECT 1 FROM credit_notes WHERE seller_id = ? AND id = ?"
            if self._s.one("add a credit note", sql, (note.seller_id, note.id)) is not None:
                raise DuplicateError(f"credit note {note.id!r} already exists") from exc
            raise DuplicateError(f"credit note number {note.number!r} is already used") from exc

    def get(self, seller_id: str, credit_note_id: str) -> CreditNote:
        sql = "SELECT doc FROM credit_notes WHERE seller_id = ? AND id = ?"
        row = self._s.one("read a credit note", sql, (seller_id, credit_note_id))
        if row is None:
            raise NotFoundError("credit note", credit_note_id)
        return self._s.load(row[0], CreditNote, f"credit note {credit_note_id!r}")

    def for_invoice(self, seller_id: str, invoice_id: str) -> list[CreditNote]:
        sql = "SELECT id, doc FROM credit_notes WHERE seller_id = ? AND invoice_id = ?"
        rows = self._s.rows("list credit notes", sql, (seller_id, invoice_id))
        notes = [self._s.load(doc, CreditNote, f"credit note {key!r}") for key, doc in rows]
        return sorted(notes, key=lambda n: (n.issued_at, n.number))  # instants, not ISO text


class _Sequences:
    def __init__(self, session: Session) -> None:
        self._s = session

    def next_value(self, seller_id: str, series: str, period: str) -> int:
        # One upsert that takes the value and moves the counter; it rolls back with the
        # transaction, and BEGIN IMMEDIATE keeps every other writer out until commit.
        sql = (
            "INSERT INTO sequences (seller_id, series, period, next_value) VALUES (?, ?, ?, 2) "
            "ON CONFLICT (seller_id, series, period) DO UPDATE SET next_value = next_value + 1 "
            "RETURNING next_value - 1"
        )
        row = self._s.one("take the next number", sql, (seller_id, series, period))
        if row is None:  # pragma: no cover - an upsert with RETURNING always returns its row
            raise StorageError(f"could not take the next number in {self._s.path}")
        return int(row[0])

    def next_values(self, seller_id: str, series: str, period: str, count: int) -> int:
        if count < 1:
            raise StorageError(f"take at least one number, not {count}")
        sql = (
            "INSERT INTO sequences (seller_id, series, period, next_value) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (seller_id, series, period) DO UPDATE SET next_value = next_value + ? "
            "RETURNING next_value - ?"
        )
        params = (seller_id, series, period, 1 + count, count, count)
        row = self._s.one("take a block of numbers", sql, params)
        if row is None:  # pragma: no cover - an upsert with RETURNING always returns its row
            raise StorageError(f"could not take a block of numbers in {self._s.path}")
        return int(row[0])

    def peek(self, seller_id: str, series: str, period: str) -> int:
        sql = "SELECT next_value FROM sequences WHERE seller_id = ? AND series = ? AND period = ?"
        row = self._s.one("read a number counter", sql, (seller_id, series, period))
        return 1 if row is None else int(row[0])

    def started(self, seller_id: str, series: str) -> bool:
        sql = (
            "SELECT 1 FROM sequences WHERE seller_id = ? AND series = ? AND next_value > 1 LIMIT 1"
        )
        return self._s.one("read the number counters", sql, (seller_id, series)) is not None


class _Outbox:
    def __init__(self, session: Session) -> None:
        self._s = session

    def append(self, records: Sequence[OutboxRecord]) -> None:
        # NOT EXISTS rather than ON CONFLICT alone: a skipped insert must not use up a position.
        sql = (
            "INSERT INTO outbox (key, seller_id, invoice_id, kind, payload, created_at, "
            "delivered_at, attempts, last_error) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM outbox WHERE key = ?)"
        )
        rows = []
        for r in records:
            payload = _json(self._s, r.payload, f"outbox record {r.key!r}")
            params = (r.key, r.seller_id, r.invoice_id, r.kind, payload, r.created_at.isoformat())
            extra = (_iso(r.delivered_at), r.attempts, r.last_error)
            rows.append((*params, *extra, r.key))
        if rows:  # executemany runs the rows in order: positions follow the append order
            self._s.run_many("append to the outbox", sql, rows)

    @staticmethod
    def _record(row: Row) -> OutboxRecord:
        key, seller_id, kind, payload, created, invoice_id, position, delivered, attempts, error = (
            row
        )
        return OutboxRecord(
            key=key,
            seller_id=seller_id,
            kind=kind,
            payload=json.loads(payload),
            created_at=datetime.fromisoformat(created),
            invoice_id=invoice_id,
            position=position,
            delivered_at=_when(delivered),
            attempts=attempts,
            last_error=error,
        )

    def pending(self, *, limit: int = 100, seller_id: str | None = None) -> list[OutboxRecord]:
        sql, params = f"{_OUTBOX} WHERE delivered_at IS NULL", []
        if seller_id is not None:
            sql, params = f"{sql} AND seller_id = ?", [seller_id]
        rows = self._s.page(
            "read pending outbox records", f"{sql} ORDER BY position", params, limit
        )
        return [self._record(row) for row in rows]

    def mark_delivered(self, keys: Sequence[str], *, at: datetime) -> None:
        for key in keys:
            sql = "UPDATE outbox SET delivered_at = ? WHERE key = ?"
            self._s.run("mark outbox records delivered", sql, (at.isoformat(), key))

    def mark_failed(self, key: str, *, error: str) -> None:
        sql = "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE key = ?"
        self._s.run("mark an outbox record failed", sql, (error, key))

    def list(
        self, *, seller_id: str, invoice_id: str | None = None, limit: int = 1000
    ) -> list[OutboxRecord]:
        sql, params = f"{_OUTBOX} WHERE seller_id = ?", [seller_id]
        if invoice_id is not None:
            sql, params = f"{sql} AND invoice_id = ?", [seller_id, invoice_id]
        rows = self._s.page("list outbox records", f"{sql} ORDER BY position", params, limit)
        return [self._record(row) for row in rows]


class _Idempotency:
    def __init__(self, session: Session) -> None:
        self._s = session

    def get(self, seller_id: str, key: str) -> IdempotencyRecord | None:
        sql = (
            "SELECT fingerprint, operation, result, created_at FROM idempotency "
            "WHERE seller_id = ? AND key = ?"
        )
        row = self._s.one("read an idempotency record", sql, (seller_id, key))
        if row is None:
            return None
        fingerprint, operation, result, created = row
        return IdempotencyRecord(
            seller_id=seller_id,
            key=key,
            fingerprint=fingerprint,
            operation=operation,
            result=json.loads(result),
            created_at=datetime.fromisoformat(created),
        )

    def put(self, record: IdempotencyRecord) -> None:
        sql = (
            "INSERT INTO idempotency (seller_id, key, fingerprint, operation, result, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        result = _json(self._s, record.result, f"idempotency record {record.key!r}")
        params = (record.seller_id, record.key, record.fingerprint, record.operation, result)
        try:
            self._s.run(
                "store an idempotency record", sql, (*params, record.created_at.isoformat())
            )
        except DuplicateError as exc:
            raise DuplicateError(f"idempotency key {record.key!r} is already used") from exc


@attrs.frozen
class _SqliteTransaction:
    sellers: _Sellers
    customers: _Customers
    invoices: _Invoices
    credit_notes: _CreditNotes
    sequences: _Sequences
    outbox: _Outbox
    idempotency: _Idempotency
    messages: SqliteMessages
    event_feed: SqliteEventFeed
    inbox: SqliteInbox
    provider_events: SqliteProviderEvents
    checkouts: SqliteCheckouts
    pay_tokens: SqlitePayTokens
    recurring: SqliteRecurring
    catalog: SqliteCatalog
    subscriptions: SqliteSubscriptions
    usage: SqliteUsage
    summaries: SqliteSummaries
    reports: SqliteReports


def _transaction(session: Session) -> _SqliteTransaction:
    invoices = _Invoices(session)
    return _SqliteTransaction(
        sellers=_Sellers(session),
        customers=_Customers(session),
        invoices=invoices,
        credit_notes=_CreditNotes(session),
        sequences=_Sequences(session),
        outbox=_Outbox(session),
        idempotency=_Idempotency(session),
        messages=SqliteMessages(session),
        event_feed=SqliteEventFeed(session),
        inbox=SqliteInbox(session),
        provider_events=SqliteProviderEvents(session),
        checkouts=SqliteCheckouts(session),
        pay_tokens=SqlitePayTokens(session),
        recurring=SqliteRecurring(session),
        catalog=SqliteCatalog(session),
        subscriptions=SqliteSubscriptions(session),
        usage=SqliteUsage(session),
        summaries=invoices.summaries,
        reports=SqliteReports(session),
    )


def _reopen(path: str, busy_timeout_ms: int, synchronous: str, read_only: bool) -> SqliteStorage:
    return SqliteStorage(
        path,
        busy_timeout_ms=busy_timeout_ms,
        synchronous=synchronous,  # type: ignore[arg-type] # checked when first built
        read_only=read_only,
    )


class SqliteStorage:
    """Storage in one SQLite file (WAL), safe for many threads and processes on one machine.

    ``SqliteStorage.open(path)`` creates or migrates the schema; the constructor
    only checks it (on first use). ``synchronous="FULL"`` (the default) makes every
    commit durable through a power cut; ``"NORMAL"`` is faster and may lose the
    last commits then (never corrupting the file). ``read_only=True`` opens the
    file with ``mode=ro``: every write raises StorageError. ``busy_timeout_ms`` is
    how long a writer waits for another writer before ConcurrencyError.
    ``converter`` (from ``make_converter()``) may be shared with the host; by
    default the storage makes its own on first use, shared by its threads.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 5000,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        read_only: bool = False,
        converter: cattrs.Converter | None = None,
    ) -> None:
        if synchronous not in ("FULL", "NORMAL"):
            raise ConfigurationError(
                f"SqliteStorage synchronous must be 'FULL' or 'NORMAL', got {synchronous!r}"
            )
        if isinstance(busy_timeout_ms, bool) or not isinstance(busy_timeout_ms, int):
            raise ConfigurationError(f"busy_timeout_ms must be an int, got {busy_timeout_ms!r}")
        if busy_timeout_ms < 0:
            raise ConfigurationError(f"busy_timeout_ms must be 0 or more, got {busy_timeout_ms}")
        self.path = os.fspath(path)
        self.busy_timeout_ms = busy_timeout_ms
        self.synchronous = synchronous
        self.read_only = read_only
        self._converter = converter
        self._local = threading.local()
        self._lock = threading.Lock()
        # Weak: a thread that ends drops its session, and with it its connection.
        self._sessions: weakref.WeakSet[Session] = weakref.WeakSet()
        self._checked = False
        self._closed = False

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = 5000,
        synchronous: Literal["FULL", "NORMAL"] = "FULL",
        read_only: bool = False,
        converter: cattrs.Converter | None = None,
    ) -> SqliteStorage:
        """Open ``path``, creating the file and its schema or migrating an older one.

        Raises StorageError when the file is not an invoicekit database, is newer
        than this code, or cannot be opened (the message names the path).
        """
        storage = cls(
            path,
            busy_timeout_ms=busy_timeout_ms,
            synchronous=synchronous,
            read_only=read_only,
            converter=converter,
        )
        if not read_only:
            conn = storage._connect()
            try:
                migrate(conn, storage.path)
            except sqlite3.Error as exc:
                conn.close()
                raise storage._error(exc, "create or migrate the schema") from exc
            except BaseException:
                conn.close()
                raise
            conn.close()
        storage._session()
        return storage

    def __repr__(self) -> str:
        return f"SqliteStorage({self.path!r}, synchronous={self.synchronous!r})"

    def __reduce__(self) -> tuple[Any, tuple[str, int, str, bool]]:
        """Pickle as the path and options: a worker process opens its own connections."""
        return _reopen, (self.path, self.busy_timeout_ms, self.synchronous, self.read_only)

    def _error(self, exc: sqlite3.Error, operation: str) -> InvoiceKitError:
        return translate(
            exc, operation=operation, path=self.path, busy_timeout_ms=self.busy_timeout_ms
        )

    def _connect(self) -> sqlite3.Connection:
        try:
            return connect(
                self.path,
                read_only=self.read_only,
                busy_timeout_ms=self.busy_timeout_ms,
                synchronous=self.synchronous,
            )
        except sqlite3.Error as exc:
            raise self._error(exc, "open the database") from exc

    def _session(self) -> tuple[Session, _SqliteTransaction]:
        if self._closed:
            raise StorageError(f"this SqliteStorage ({self.path}) is closed; open a new one")
        current: tuple[Session, _SqliteTransaction] | None = getattr(self._local, "current", None)
        if current is not None and not current[0].closed and current[0].pid == os.getpid():
            return current
        conn = self._connect()
        try:
            if not self._checked:
                check_version(conn, self.path)
        except sqlite3.Error as exc:
            conn.close()
            raise self._error(exc, "read the schema version") from exc
        except BaseException:
            conn.close()
            raise
        self._checked = True
        if self._converter is None:  # building one costs tens of ms: once per storage
            self._converter = make_converter()
        session = Session(
            conn, path=self.path, busy_timeout_ms=self.busy_timeout_ms, converter=self._converter
        )
        with self._lock:
            self._sessions.add(session)
        self._local.current = current = (session, _transaction(session))
        return current

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """A unit of work: commits when the block ends, rolls back when it raises.

        Writes start with BEGIN IMMEDIATE (ConcurrencyError if another writer holds
        the lock past the busy timeout); ``write=False`` takes no lock and refuses
        writes. Transactions do not nest (StorageError).
        """
        session, tx = self._session()
        if session.active:
            raise StorageError("transactions do not nest; finish the open one first")
        session.begin(write)
        try:
            yield tx
        except BaseException:
            session.end(commit=False)
            raise
        session.end(commit=True)

    def close(self) -> None:
        """Close every connection this storage opened; it refuses further transactions."""
        self._closed = True
        with self._lock:
            sessions = list(self._sessions)
            self._sessions.clear()
        for session in sessions:
            session.close()
