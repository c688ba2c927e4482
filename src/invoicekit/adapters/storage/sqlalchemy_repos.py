"""The repositories of ``SqlAlchemyStorage``: SQLAlchemy Core statements on one connection.

Each repository behaves as ``MemoryStorage``'s does (the reference), error for
error. Inserts use ``ON CONFLICT DO NOTHING`` and look at the row count, so a
DuplicateError leaves the transaction usable on PostgreSQL too (a failed
statement would abort it). Every statement runs through ``Context.run``, where
driver exceptions are translated (``sqlalchemy_tables.translate``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import attrs
import cattrs
import sqlalchemy as sa

from invoicekit.adapters.storage.sqlalchemy_events import SqlEventFeed
from invoicekit.adapters.storage.sqlalchemy_messages import SqlInbox, SqlMessages
from invoicekit.adapters.storage.sqlalchemy_payments import (
    SqlCheckouts,
    SqlPayTokens,
    SqlProviderEvents,
)
from invoicekit.adapters.storage.sqlalchemy_recurring import SqlRecurring
from invoicekit.adapters.storage.sqlalchemy_reports import SqlReports, write_sql_entries
from invoicekit.adapters.storage.sqlalchemy_subscriptions import SqlCatalog, SqlSubscriptions
from invoicekit.adapters.storage.sqlalchemy_summaries import SqlSummaries
from invoicekit.adapters.storage.sqlalchemy_tables import (
    CREDIT_NOTES,
    CUSTOMERS,
    DECODE_ERRORS,
    FIND_ANCHOR,
    IDEMPOTENCY,
    INVOICES,
    OUTBOX,
    SELLERS,
    SEQUENCES,
    Context,
    find_statement,
)
from invoicekit.adapters.storage.sqlalchemy_usage import SqlUsage
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    IntegrityError,
    InvoiceKitError,
    NotFoundError,
    StorageError,
)
from invoicekit.ports import IdempotencyRecord, InvoiceQuery, InvoiceSave, OutboxRecord
from invoicekit.serialization import (
    ContentHashMismatch,
    canonical_json,
    encode_invoice,
    legacy_invoice,
    read_invoice,
)

__all__ = ["SqlTransaction"]

_b = sa.bindparam


def _where(table: sa.Table, *names: str) -> list[sa.ColumnElement[bool]]:
    """``column == :column`` for each name: the key of a prebuilt statement."""
    return [table.c[name] == _b(name) for name in names]


# Reads are built once: SQLAlchemy then reuses their compiled form (hot paths: get, find).
_SELLER = sa.select(SELLERS.c.doc).where(*_where(SELLERS, "id"))
_SELLERS = sa.select(SELLERS).order_by(SELLERS.c.id)
_CUSTOMER = sa.select(CUSTOMERS.c.doc).where(*_where(CUSTOMERS, "seller_id", "id"))
_INVOICE = sa.select(INVOICES).where(*_where(INVOICES, "seller_id", "id"))
_INVOICE_LOCKED = _INVOICE.with_for_update()
#: ``run_due``'s claim: a row another transaction holds is passed over, not waited for.
_INVOICE_CLAIMED = _INVOICE.with_for_update(skip_locked=True)
_INVOICES_BY_ID = sa.select(INVOICES).where(
    INVOICES.c.seller_id == _b("seller_id"), INVOICES.c.id.in_(_b("ids", expanding=True))
)
#: Locked in id order, so two batches over the same invoices cannot deadlock.
_INVOICES_LOCKED = _INVOICES_BY_ID.order_by(INVOICES.c.id).with_for_update()
_BY_NUMBER = sa.select(INVOICES).where(*_where(INVOICES, "seller_id", "number"))
_NUMBER_OWNER = sa.select(INVOICES.c.id).where(
    *_where(INVOICES, "seller_id", "number"), INVOICES.c.id != _b("id")
)
_NOTE = sa.select(CREDIT_NOTES.c.doc).where(*_where(CREDIT_NOTES, "seller_id", "id"))
_NOTES = sa.select(CREDIT_NOTES.c.id, CREDIT_NOTES.c.doc).where(
    *_where(CREDIT_NOTES, "seller_id", "invoice_id")
)
_COUNTER = sa.select(SEQUENCES.c.next_value).where(
    *_where(SEQUENCES, "seller_id", "series", "period")
)
_STARTED = (
    sa.select(SEQUENCES.c.series)
    .where(*_where(SEQUENCES, "seller_id", "series"), SEQUENCES.c.next_value > 1)
    .limit(1)
)
_TAKE = (
    sa.update(SEQUENCES)
    .where(*(SEQUENCES.c[n] == _b(f"k_{n}") for n in ("seller_id", "series", "period")))
    .values(next_value=SEQUENCES.c.next_value + _b("k_count"))
    .returning(SEQUENCES.c.next_value - _b("k_count"))
)
#: Save an invoice: only from the expected version, only with its frozen content
#: unchanged once issued (the stored hash), only if no other invoice has its number.
_OTHER = INVOICES.alias("other")
_SAVE = (
    sa.update(INVOICES)
    .where(
        INVOICES.c.seller_id == _b("k_seller_id"),
        INVOICES.c.id == _b("k_id"),
        INVOICES.c.version == _b("k_expected"),
        sa.or_(INVOICES.c.content_hash.is_(None), INVOICES.c.content_hash == _b("k_frozen")),
        ~sa.exists().where(
            _OTHER.c.seller_id == _b("k_seller_id"),
            _OTHER.c.number == _b("number"),
            _OTHER.c.id != _b("k_id"),
        ),
    )
    .values(
        {name: _b(name) for name in ("customer_id", "status", "series", "number")}
        | {name: _b(name) for name in ("issue_date", "due_date", "version", "doc")}
        | {"content_hash": sa.func.coalesce(INVOICES.c.content_hash, _b("k_hash"))}
    )
)
_SAVE_SELLER = sa.update(SELLERS).where(SELLERS.c.id == _b("k_id")).values(doc=_b("doc"))
_SAVE_CUSTOMER = (
    sa.update(CUSTOMERS)
    .where(CUSTOMERS.c.seller_id == _b("k_seller_id"), CUSTOMERS.c.id == _b("k_id"))
    .values(archived=_b("archived"), doc=_b("doc"))
)
_IDEMPOTENCY = sa.select(IDEMPOTENCY).where(*_where(IDEMPOTENCY, "seller_id", "key"))


@functools.cache
def _customers(include_archived: bool, after: bool) -> sa.Select[Any]:
    t = CUSTOMERS
    query = sa.select(t.c.id, t.c.doc).where(t.c.seller_id == _b("seller_id"))
    if not include_archived:
        query = query.where(t.c.archived == sa.false())
    if after:
        query = query.where(t.c.id > _b("after"))
    return query.order_by(t.c.id).limit(_b("limit"))


@functools.cache
def _outbox(pending: bool, seller: bool, invoice: bool) -> sa.Select[Any]:
    t = OUTBOX
    query = sa.select(t)
    if pending:
        query = query.where(t.c.delivered_at.is_(None))
    if seller:
        query = query.where(t.c.seller_id == _b("seller_id"))
    if invoice:
        query = query.where(t.c.invoice_id == _b("invoice_id"))
    return query.order_by(t.c.position).limit(_b("limit"))


class _Repository:
    """One repository of a transaction: its statements run on the transaction's Context."""

    def __init__(self, ctx: Context) -> None:
        self._c = ctx


class _Sellers(_Repository):
    def add(self, seller: Seller) -> None:
        if not self._c.insert_new(
            "add seller", SELLERS, {"id": seller.id, "doc": self._c.dump(seller)}
        ):
            raise DuplicateError(f"seller {seller.id!r} already exists")

    def get(self, seller_id: str) -> Seller:
        row = self._c.first("get seller", _SELLER, {"id": seller_id})
        if row is None:
            raise NotFoundError("seller", seller_id)
        return self._c.load(row.doc, Seller, f"seller {seller_id!r}")

    def update(self, seller: Seller) -> None:
        params = {"k_id": seller.id, "doc": self._c.dump(seller)}
        if not self._c.count("update seller", _SAVE_SELLER, params):
            raise NotFoundError("seller", seller.id)

    def list(self) -> list[Seller]:
        rows = self._c.rows("list sellers", _SELLERS)
        return [self._c.load(r.doc, Seller, f"seller {r.id!r}") for r in rows]


class _Customers(_Repository):
    def add(self, customer: Customer) -> None:
        values = {
            "seller_id": customer.seller_id,
            "id": customer.id,
            "archived": customer.archived,
            "doc": self._c.dump(customer),
        }
        if not self._c.insert_new("add customer", CUSTOMERS, values):
            raise DuplicateError(f"customer {customer.id!r} already exists")

    def get(self, seller_id: str, customer_id: str) -> Customer:
        row = self._c.first("get customer", _CUSTOMER, {"seller_id": seller_id, "id": customer_id})
        if row is None:
            raise NotFoundError("customer", customer_id)
        return self._c.load(row.doc, Customer, f"customer {customer_id!r}")

    def get_many(self, seller_id: str, customer_ids: Sequence[str]) -> dict[str, Customer]:
        query = sa.select(CUSTOMERS.c.id, CUSTOMERS.c.doc).where(
            CUSTOMERS.c.seller_id == seller_id, CUSTOMERS.c.id.in_(list(set(customer_ids)))
        )
        docs = {row.id: row.doc for row in self._c.rows("get customers", query)}
        found: dict[str, Customer] = {}
        for cid in customer_ids:
            if cid not in docs:
                raise NotFoundError("customer", cid)
            found[cid] = self._c.load(docs[cid], Customer, f"customer {cid!r}")
        return found

    def update(self, customer: Customer) -> None:
        params = {
            "k_seller_id": customer.seller_id,
            "k_id": customer.id,
            "archived": customer.archived,
            "doc": self._c.dump(customer),
        }
        if not self._c.count("update customer", _SAVE_CUSTOMER, params):
            raise NotFoundError("customer", customer.id)

    def list(
        self,
        seller_id: str,
        *,
        include_archived: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Customer]:
        query = _customers(include_archived, after is not None)
        params = {"seller_id": seller_id, "after": after, "limit": max(limit, 0)}
        rows = self._c.rows("list customers", query, params)
        return [self._c.load(r.doc, Customer, f"customer {r.id!r}") for r in rows]


class _Invoices(_Repository):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.summaries = SqlSummaries(ctx, self._issued)

    def _issued(self, seller_id: str | None) -> Iterator[Invoice]:
        """Every issued invoice (of one seller, or all), for rebuilding the summaries."""
        query = sa.select(INVOICES).where(INVOICES.c.status != "draft")
        if seller_id is not None:
            query = query.where(INVOICES.c.seller_id == seller_id)
        query = query.order_by(INVOICES.c.seller_id, INVOICES.c.id)
        for row in self._c.rows("rebuild the summaries", query):
            yield self._load(row)

    @staticmethod
    def _values(invoice: Invoice, text: str) -> dict[str, Any]:
        """The row of ``invoice`` with ``text`` as its document (one helper for every write)."""
        return {
            "customer_id": invoice.customer_id,
            "status": str(invoice.status),
            "series": invoice.series,
            "number": invoice.number,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "version": invoice.version,
            "doc": text,
        }

    def _row(self, seller_id: str, invoice_id: str, operation: str) -> sa.Row[Any] | None:
        return self._c.first(operation, _INVOICE, {"seller_id": seller_id, "id": invoice_id})

    def _number_taken(self, invoice: Invoice) -> bool:
        key = {"seller_id": invoice.seller_id, "number": invoice.number, "id": invoice.id}
        return self._c.first("check invoice number", _NUMBER_OWNER, key) is not None

    def _load(self, row: sa.Row[Any]) -> Invoice:
        what = f"invoice {row.id!r} of seller {row.seller_id!r}"
        try:
            invoice = read_invoice(row.doc, row.content_hash, self._c.converter)
        except ContentHashMismatch as exc:
            raise IntegrityError(
                f"stored {what} (number {row.number!r}) no longer matches the content hash "
                f"taken at issue (stored {row.content_hash}, computed {exc.computed}): it was "
                f"changed outside invoicekit; restore it from a backup ({self._c.url})"
            ) from exc
        except DECODE_ERRORS as exc:
            raise self._c.unreadable(what, exc) from exc
        if self._c.write:  # its save in this transaction needs no read of its summary share
            self.summaries.loaded(invoice)
        return invoice

    def _new_row(self, invoice: Invoice) -> dict[str, Any]:
        """The INSERT values of a new invoice (its one encoding)."""
        values = {"seller_id": invoice.seller_id, "id": invoice.id}
        values.update(self._values(invoice, encode_invoice(invoice).text))
        return values

    def _duplicate(self, invoice: Invoice) -> DuplicateError:
        """The reference's message: the id is checked before the number."""
        if self._row(invoice.seller_id, invoice.id, "add invoice") is not None:
            return DuplicateError(f"invoice {invoice.id!r} already exists")
        return DuplicateError(f"number {invoice.number!r} is already used by another invoice")

    def add(self, invoice: Invoice) -> None:
        if not self._c.insert_new("add invoice", INVOICES, self._new_row(invoice)):
            raise self._duplicate(invoice)
        self.summaries.changed([invoice], new=True)
        write_sql_entries(self._c, [invoice], replace=False)

    def add_many(self, invoices: Sequence[Invoice]) -> None:
        if not invoices:
            return
        rows = [self._new_row(invoice) for invoice in invoices]
        # insertmanyvalues: a few multi-row INSERTs; RETURNING tells which rows went in.
        statement = self._c.insert_ignoring(INVOICES).returning(INVOICES.c.id)
        added = {row.id for row in self._c.rows("add invoices", statement, rows)}
        if len(added) == len(invoices):
            self.summaries.changed(invoices, new=True)
            write_sql_entries(self._c, invoices, replace=False)
            return
        given: set[str] = set()
        for invoice in invoices:
            if invoice.id in given:
                raise DuplicateError(f"invoice {invoice.id!r} is given twice")
            given.add(invoice.id)
            if invoice.id not in added:
                raise self._duplicate(invoice)

    def get(self, seller_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:
        locked = for_update and self._c.postgres and self._c.write
        query = _INVOICE_LOCKED if locked else _INVOICE
        row = self._c.first("get invoice", query, {"seller_id": seller_id, "id": invoice_id})
        if row is None:
            raise NotFoundError("invoice", invoice_id)
        return self._load(row)

    def claim(self, seller_id: str, invoice_id: str) -> Invoice | None:
        """The invoice locked for this transaction, or None while another one holds it.

        PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so workers share ``run_due``'s steps
        instead of queueing on one row; other databases lock as ``get`` does.
        """
        if not (self._c.postgres and self._c.write):
            return self.get(seller_id, invoice_id, for_update=True)
        key = {"seller_id": seller_id, "id": invoice_id}
        row = self._c.first("claim invoice", _INVOICE_CLAIMED, key)
        if row is None:
            self.get(seller_id, invoice_id)  # NotFoundError when there is no such invoice
            return None
        return self._load(row)

    def get_many(
        self, seller_id: str, invoice_ids: Sequence[str], *, for_update: bool = False
    ) -> list[Invoice]:
        locked = for_update and self._c.postgres and self._c.write
        query = _INVOICES_LOCKED if locked else _INVOICES_BY_ID
        params = {"seller_id": seller_id, "ids": list(dict.fromkeys(invoice_ids))}
        found = {row.id: row for row in self._c.rows("get invoices", query, params)}
        loaded: dict[str, Invoice] = {}
        for invoice_id in invoice_ids:
            if invoice_id not in found:
                raise NotFoundError("invoice", invoice_id)
            if invoice_id not in loaded:
                loaded[invoice_id] = self._load(found[invoice_id])
        return [loaded[invoice_id] for invoice_id in invoice_ids]

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        key = {"seller_id": seller_id, "number": number}
        row = self._c.first("get invoice by number", _BY_NUMBER, key)
        if row is None:
            raise NotFoundError("invoice", number)
        return self._load(row)

    def save(self, invoice: Invoice, *, expected_version: int, freeze: bool = False) -> None:
        item = InvoiceSave(invoice, expected_version, freeze)
        params = self._saved_row(item)
        if self._c.count("save invoice", _SAVE, params) != 1:
            error = self._save_error(item, params)
            if error is not None:
                raise error
        self.summaries.changed([invoice], new=freeze, versions={invoice.id: expected_version})
        write_sql_entries(self._c, [invoice], replace=True)

    def save_many(self, items: Sequence[InvoiceSave]) -> None:
        if len(items) <= 1:
            for item in items:
                self.save(item.invoice, expected_version=item[1], freeze=item[2])
            return
        rows = [self._saved_row(item) for item in items]
        # executemany of the guarded UPDATE (psycopg pipelines it); both drivers count the
        # rows of every execution, so a refused row shows in the total.
        if self._c.count("save invoices", _SAVE, rows) == len(items):
            self._summarize(items)
            write_sql_entries(self._c, [item.invoice for item in items], replace=True)
            return
        refused = False
        for item, row in zip(items, rows, strict=True):
            stored = self._row(item.invoice.seller_id, item.invoice.id, "save invoices")
            if stored is None or stored.version != item.invoice.version:
                refused = True
                error = self._save_error(item, row)  # None: saved in format 1 just now
                if error is not None:
                    raise error
        if not refused:
            raise ConcurrencyError("an invoice was saved twice in one batch; reload it and retry")
        self._summarize(items)

    def _summarize(self, items: Sequence[InvoiceSave]) -> None:
        """The summaries of saved ``items``: those issued just now (frozen) had no share yet."""
        self.summaries.changed([item.invoice for item in items if item.freeze], new=True)
        versions = {item.invoice.id: item.expected_version for item in items}
        self.summaries.changed(
            [item.invoice for item in items if not item.freeze], versions=versions
        )
        write_sql_entries(self._c, [item.invoice for item in items], replace=True)

    def _saved_row(self, item: InvoiceSave) -> dict[str, Any]:
        """The UPDATE parameters of one save: encoded once, the content hash from those bytes."""
        invoice, expected_version, freeze = item
        encoded = encode_invoice(invoice)
        params = self._values(invoice, encoded.text)
        params.update(
            k_seller_id=invoice.seller_id,
            k_id=invoice.id,
            k_expected=expected_version,
            k_frozen=encoded.content_hash,
            k_hash=encoded.content_hash if freeze else None,
        )
        return params

    def _save_error(self, item: InvoiceSave, params: dict[str, Any]) -> InvoiceKitError | None:
        """Why the guarded UPDATE of ``item`` changed no row (None: saved in format 1 instead)."""
        invoice, expected_version, _ = item
        stored = self._row(invoice.seller_id, invoice.id, "save invoice")
        if stored is None:
            return NotFoundError("invoice", invoice.id)
        if stored.version != expected_version:
            return ConcurrencyError(
                f"invoice {invoice.ref} was changed by someone else (stored version "
                f"{stored.version}, expected {expected_version}); reload it and retry",
                retryable=False,
            )
        if stored.content_hash not in {None, params["k_frozen"]}:
            if self._save_legacy(invoice, params, stored.content_hash):
                return None
            return IntegrityError(
                f"invoice {invoice.ref} is issued: its number, dates, parties, lines and "
                "totals cannot change (issue a credit note instead)"
            )
        if invoice.number is not None and self._number_taken(invoice):
            return DuplicateError(f"number {invoice.number!r} is already used by another invoice")
        return ConcurrencyError(f"invoice {invoice.ref} changed while it was saved; retry")

    def _save_legacy(self, invoice: Invoice, params: dict[str, Any], stored_hash: str) -> bool:
        """Save an invoice issued in format 1 in format 1 (its hash holds); False if it changed.

        Returns True when saved; raises as ``save`` does for every other refusal.
        """
        text, legacy_hash = legacy_invoice(invoice, self._c.converter)
        if legacy_hash != stored_hash:
            return False
        params.update(doc=text, k_frozen=legacy_hash, k_hash=None)
        if self._c.count("save invoice", _SAVE, params) == 1:
            return True
        if invoice.number is not None and self._number_taken(invoice):
            raise DuplicateError(f"number {invoice.number!r} is already used by another invoice")
        raise ConcurrencyError(f"invoice {invoice.ref} changed while it was saved; retry")

    def delete(self, seller_id: str, invoice_id: str, *, expected_version: int) -> None:
        t = INVOICES
        statement = sa.delete(t).where(
            t.c.seller_id == seller_id,
            t.c.id == invoice_id,
            t.c.version == expected_version,
            t.c.number.is_(None),
        )
        if self._c.count("delete invoice", statement) == 1:
            return
        stored = self._row(seller_id, invoice_id, "delete invoice")
        if stored is None:
            raise NotFoundError("invoice", invoice_id)
        if stored.version != expected_version:
            raise ConcurrencyError(
                f"invoice {invoice_id!r} was changed by someone else; reload it", retryable=False
            )
        raise StorageError(
            f"invoice {stored.number} ({invoice_id!r}) is issued; issued invoices are never deleted"
        )

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        anchor = None
        if query.after is not None:
            # A position, not a row: paging goes on after an invoice that stopped matching.
            key = {"seller_id": seller_id, "after_id": query.after}
            anchor = self._c.first("find invoices", FIND_ANCHOR, key)
        statement, params = find_statement(seller_id, query, anchor)
        return [self._load(row) for row in self._c.rows("find invoices", statement, params)]

    def content_hash(self, seller_id: str, invoice_id: str) -> str | None:
        """The content hash stored at issue (for integrity checks)."""
        row = self._row(seller_id, invoice_id, "get invoice content hash")
        return None if row is None else row.content_hash


class _CreditNotes(_Repository):
    def add(self, note: CreditNote) -> None:
        values = {
            "seller_id": note.seller_id,
            "id": note.id,
            "invoice_id": note.invoice_id,
            "number": note.number,
            "issued_at": note.issued_at.isoformat(),
            "doc": self._c.dump(note),
        }
        if self._c.insert_new("add credit note", CREDIT_NOTES, values):
            return
        key = {"seller_id": note.seller_id, "id": note.id}
        if self._c.first("add credit note", _NOTE, key) is not None:
            raise DuplicateError(f"credit note {note.id!r} already exists")
        raise DuplicateError(f"credit note number {note.number!r} is already used")

    def get(self, seller_id: str, credit_note_id: str) -> CreditNote:
        key = {"seller_id": seller_id, "id": credit_note_id}
        row = self._c.first("get credit note", _NOTE, key)
        if row is None:
            raise NotFoundError("credit note", credit_note_id)
        return self._c.load(row.doc, CreditNote, f"credit note {credit_note_id!r}")

    def for_invoice(self, seller_id: str, invoice_id: str) -> list[CreditNote]:
        key = {"seller_id": seller_id, "invoice_id": invoice_id}
        notes = [
            self._c.load(r.doc, CreditNote, f"credit note {r.id!r}")
            for r in self._c.rows("list credit notes", _NOTES, key)
        ]
        # Sorted here, not in SQL: issued_at compares as an instant, whatever its offset.
        return sorted(notes, key=lambda n: (n.issued_at, n.number))


class _Sequences(_Repository):
    def next_value(self, seller_id: str, series: str, period: str) -> int:
        key = {"seller_id": seller_id, "series": series, "period": period}
        self._c.insert_new("take a number", SEQUENCES, {**key, "next_value": 1})
        # The UPDATE locks the counter row until commit: a concurrent issuer waits,
        # then reads our committed value (or, under REPEATABLE READ, gets a retryable
        # serialization failure). A rollback puts the number back.
        params = {f"k_{name}": value for name, value in key.items()}
        return int(self._c.scalar("take a number", _TAKE, {**params, "k_count": 1}))

    def next_values(self, seller_id: str, series: str, period: str, count: int) -> int:
        if count < 1:
            raise StorageError(f"take at least one number, not {count}")
        key = {"seller_id": seller_id, "series": series, "period": period}
        self._c.insert_new("take numbers", SEQUENCES, {**key, "next_value": 1})
        params = {f"k_{name}": value for name, value in key.items()}
        return int(self._c.scalar("take numbers", _TAKE, {**params, "k_count": count}))

    def peek(self, seller_id: str, series: str, period: str) -> int:
        key = {"seller_id": seller_id, "series": series, "period": period}
        row = self._c.first("read a number counter", _COUNTER, key)
        return 1 if row is None else int(row.next_value)

    def started(self, seller_id: str, series: str) -> bool:
        key = {"seller_id": seller_id, "series": series}
        return self._c.first("read the number counters", _STARTED, key) is not None


def _record(row: sa.Row[Any]) -> OutboxRecord:
    try:
        return _decode_record(row)
    except DECODE_ERRORS as exc:
        raise StorageError(f"stored outbox record {row.key!r} cannot be read back: {exc}") from exc


def _decode_record(row: sa.Row[Any]) -> OutboxRecord:
    return OutboxRecord(
        key=row.key,
        seller_id=row.seller_id,
        kind=row.kind,
        payload=json.loads(row.payload),
        created_at=datetime.fromisoformat(row.created_at),
        invoice_id=row.invoice_id,
        position=row.position,
        delivered_at=None if row.delivered_at is None else datetime.fromisoformat(row.delivered_at),
        attempts=row.attempts,
        last_error=row.last_error,
    )


class _Outbox(_Repository):
    def append(self, records: Sequence[OutboxRecord]) -> None:
        rows = [
            {
                "key": r.key,
                "seller_id": r.seller_id,
                "invoice_id": r.invoice_id,
                "kind": r.kind,
                "payload": canonical_json(r.payload),
                "created_at": r.created_at.isoformat(),
                "delivered_at": None if r.delivered_at is None else r.delivered_at.isoformat(),
                "attempts": r.attempts,
                "last_error": r.last_error,
            }
            for r in records
        ]
        # executemany runs the rows in order, so positions follow the append order.
        if rows:
            self._c.run("append to the outbox", self._c.insert_ignoring(OUTBOX), rows)

    def pending(self, *, limit: int = 100, seller_id: str | None = None) -> list[OutboxRecord]:
        query = _outbox(pending=True, seller=seller_id is not None, invoice=False)
        params = {"seller_id": seller_id, "limit": max(limit, 0)}
        return [_record(r) for r in self._c.rows("read pending outbox records", query, params)]

    def mark_delivered(self, keys: Sequence[str], *, at: datetime) -> None:
        if keys:
            statement = sa.update(OUTBOX).where(OUTBOX.c.key.in_(list(keys)))
            self._c.run(
                "mark outbox records delivered", statement.values(delivered_at=at.isoformat())
            )

    def mark_failed(self, key: str, *, error: str) -> None:
        statement = (
            sa.update(OUTBOX)
            .where(OUTBOX.c.key == key)
            .values(attempts=OUTBOX.c.attempts + 1, last_error=error)
        )
        self._c.run("mark an outbox record failed", statement)

    def list(
        self, *, seller_id: str, invoice_id: str | None = None, limit: int = 1000
    ) -> list[OutboxRecord]:
        query = _outbox(pending=False, seller=True, invoice=invoice_id is not None)
        params = {"seller_id": seller_id, "invoice_id": invoice_id, "limit": max(limit, 0)}
        return [_record(r) for r in self._c.rows("list outbox records", query, params)]


class _Idempotency(_Repository):
    def get(self, seller_id: str, key: str) -> IdempotencyRecord | None:
        params = {"seller_id": seller_id, "key": key}
        row = self._c.first("read an idempotency record", _IDEMPOTENCY, params)
        if row is None:
            return None
        try:
            result, created_at = json.loads(row.result), datetime.fromisoformat(row.created_at)
        except DECODE_ERRORS as exc:
            raise StorageError(
                f"stored idempotency key {key!r} cannot be read back: {exc}"
            ) from exc
        return IdempotencyRecord(
            seller_id=row.seller_id,
            key=row.key,
            fingerprint=row.fingerprint,
            operation=row.operation,
            result=result,
            created_at=created_at,
        )

    def put(self, record: IdempotencyRecord) -> None:
        values = {
            "seller_id": record.seller_id,
            "key": record.key,
            "fingerprint": record.fingerprint,
            "operation": record.operation,
            "result": canonical_json(record.result),
            "created_at": record.created_at.isoformat(),
        }
        if not self._c.insert_new("store an idempotency record", IDEMPOTENCY, values):
            raise DuplicateError(f"idempotency key {record.key!r} is already used")


@attrs.frozen
class SqlTransaction:
    """The repositories of one SqlAlchemyStorage transaction, all on one connection."""

    sellers: _Sellers
    customers: _Customers
    invoices: _Invoices
    credit_notes: _CreditNotes
    sequences: _Sequences
    outbox: _Outbox
    idempotency: _Idempotency
    messages: SqlMessages
    event_feed: SqlEventFeed
    inbox: SqlInbox
    provider_events: SqlProviderEvents
    checkouts: SqlCheckouts
    pay_tokens: SqlPayTokens
    recurring: SqlRecurring
    catalog: SqlCatalog
    subscriptions: SqlSubscriptions
    usage: SqlUsage
    summaries: SqlSummaries
    reports: SqlReports

    @classmethod
    def on(
        cls,
        conn: sa.Connection,
        *,
        converter: cattrs.Converter,
        url: str,
        postgres: bool,
        write: bool,
        errors: tuple[type[BaseException], ...],
    ) -> SqlTransaction:
        """The repositories working on ``conn`` (in a transaction the caller opened)."""
        ctx = Context(conn, converter, url, postgres, write, errors)
        invoices = _Invoices(ctx)
        return cls(
            sellers=_Sellers(ctx),
            customers=_Customers(ctx),
            invoices=invoices,
            credit_notes=_CreditNotes(ctx),
            sequences=_Sequences(ctx),
            outbox=_Outbox(ctx),
            idempotency=_Idempotency(ctx),
            messages=SqlMessages(ctx),
            event_feed=SqlEventFeed(ctx, _record),
            inbox=SqlInbox(ctx),
            provider_events=SqlProviderEvents(ctx),
            checkouts=SqlCheckouts(ctx),
            pay_tokens=SqlPayTokens(ctx),
            recurring=SqlRecurring(ctx),
            catalog=SqlCatalog(ctx),
            subscriptions=SqlSubscriptions(ctx),
            usage=SqlUsage(ctx),
            summaries=invoices.summaries,
            reports=SqlReports(ctx),
        )
