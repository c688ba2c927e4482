"""The repositories of ``SqlAlchemyStorage``: SQLAlchemy Core statements on one connection.

Each repository behaves as ``MemoryStorage``'s does (the reference), error for
error. Inserts use ``ON CONFLICT DO NOTHING`` and look at the row count, so a
DuplicateError leaves the transaction usable on PostgreSQL too (a failed
statement would abort it). Every statement runs through ``_Context.run``, where
driver exceptions are translated (``sqlalchemy_tables.translate``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar

import attrs
import cattrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    IntegrityError,
    NotFoundError,
    StorageError,
    ValidationError,
)
from invoicekit.ports import IdempotencyRecord, InvoiceQuery, OutboxRecord
from invoicekit.serialization import canonical_json, content_hash, from_document, to_document

from .sqlalchemy_tables import (
    CREDIT_NOTES,
    CUSTOMERS,
    IDEMPOTENCY,
    INVOICES,
    OUTBOX,
    SELLERS,
    SEQUENCES,
    translate,
)

__all__ = ["SqlTransaction"]

T = TypeVar("T")
_OPEN: Final = sorted(
    str(s) for s in (Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED)
)
_DECODE_ERRORS: Final = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    cattrs.BaseValidationError,
)


@attrs.frozen
class _Context:
    """What every repository of one transaction shares: the connection and the boundary."""

    conn: sa.Connection
    converter: cattrs.Converter
    url: str
    postgres: bool
    #: Whether the transaction may write (a read-only one takes no row locks).
    write: bool

    def run(self, operation: str, statement: sa.Executable, params: Any = None) -> Any:
        """Execute ``statement``; a driver error becomes an invoicekit error naming ``operation``."""
        try:
            return self.conn.execute(statement, params)
        except sa.exc.SQLAlchemyError as exc:
            raise translate(exc, operation=operation, url=self.url) from exc

    def rows(self, operation: str, statement: sa.Executable) -> Sequence[sa.Row[Any]]:
        """Every row ``statement`` returns."""
        rows: Sequence[sa.Row[Any]] = self.run(operation, statement).all()
        return rows

    def first(self, operation: str, statement: sa.Executable) -> sa.Row[Any] | None:
        """The first row, or None."""
        row: sa.Row[Any] | None = self.run(operation, statement).first()
        return row

    def count(self, operation: str, statement: sa.Executable, params: Any = None) -> int:
        """The number of rows ``statement`` changed."""
        return int(self.run(operation, statement, params).rowcount)

    def insert_new(self, operation: str, table: sa.Table, values: Mapping[str, Any]) -> bool:
        """Insert one row unless a unique key is taken; whether it was inserted."""
        return self.count(operation, self.insert_ignoring(table).values(**values)) == 1

    def insert_ignoring(self, table: sa.Table) -> Any:
        """``INSERT ... ON CONFLICT DO NOTHING`` in this database's dialect."""
        insert = postgresql.insert if self.postgres else sqlite.insert
        # SQLAlchemy keeps an INSERT's row count only when asked to.
        return insert(table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)

    def dump(self, value: Invoice | CreditNote | Seller | Customer) -> str:
        """The stored text of a domain value."""
        return canonical_json(to_document(self.converter, value))

    def load(self, document: Any, cls: type[T], what: str) -> T:
        """Rebuild a domain value from its stored document (text or decoded)."""
        try:
            if isinstance(document, str):
                document = json.loads(document)
            return from_document(self.converter, document, cls)
        except (*_DECODE_ERRORS, ValidationError) as exc:
            raise StorageError(
                f"stored {what} cannot be read back ({type(exc).__name__}: {exc}); it was "
                f"changed outside invoicekit or written by another version ({self.url})"
            ) from exc


class _Sellers:
    def __init__(self, ctx: _Context) -> None:
        self._c = ctx

    def add(self, seller: Seller) -> None:
        if not self._c.insert_new(
            "add seller", SELLERS, {"id": seller.id, "doc": self._c.dump(seller)}
        ):
            raise DuplicateError(f"seller {seller.id!r} already exists")

    def get(self, seller_id: str) -> Seller:
        row = self._c.first("get seller", sa.select(SELLERS.c.doc).where(SELLERS.c.id == seller_id))
        if row is None:
            raise NotFoundError("seller", seller_id)
        return self._c.load(row.doc, Seller, f"seller {seller_id!r}")

    def update(self, seller: Seller) -> None:
        statement = sa.update(SELLERS).where(SELLERS.c.id == seller.id)
        if not self._c.count("update seller", statement.values(doc=self._c.dump(seller))):
            raise NotFoundError("seller", seller.id)

    def list(self) -> list[Seller]:
        rows = self._c.rows("list sellers", sa.select(SELLERS).order_by(SELLERS.c.id))
        return [self._c.load(r.doc, Seller, f"seller {r.id!r}") for r in rows]


class _Customers:
    def __init__(self, ctx: _Context) -> None:
        self._c = ctx

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
        t = CUSTOMERS
        query = sa.select(t.c.doc).where(t.c.seller_id == seller_id, t.c.id == customer_id)
        row = self._c.first("get customer", query)
        if row is None:
            raise NotFoundError("customer", customer_id)
        return self._c.load(row.doc, Customer, f"customer {customer_id!r}")

    def update(self, customer: Customer) -> None:
        t = CUSTOMERS
        statement = (
            sa.update(t)
            .where(t.c.seller_id == customer.seller_id, t.c.id == customer.id)
            .values(archived=customer.archived, doc=self._c.dump(customer))
        )
        if not self._c.count("update customer", statement):
            raise NotFoundError("customer", customer.id)

    def list(
        self,
        seller_id: str,
        *,
        include_archived: bool = False,
        limit: int = 100,
        after: str | None = None,
    ) -> list[Customer]:
        t = CUSTOMERS
        query = sa.select(t.c.id, t.c.doc).where(t.c.seller_id == seller_id)
        if not include_archived:
            query = query.where(t.c.archived == sa.false())
        if after is not None:
            query = query.where(t.c.id > after)
        rows = self._c.rows("list customers", query.order_by(t.c.id).limit(max(limit, 0)))
        return [self._c.load(r.doc, Customer, f"customer {r.id!r}") for r in rows]


def _filters(seller_id: str, query: InvoiceQuery) -> list[sa.ColumnElement[bool]]:
    """``matches()`` of memory.py as SQL (a NULL due date fails every date filter there too)."""
    t = INVOICES
    found: list[sa.ColumnElement[bool]] = [t.c.seller_id == seller_id]
    if query.statuses is not None:
        found.append(t.c.status.in_(sorted(str(s) for s in query.statuses)))
    if query.customer_id is not None:
        found.append(t.c.customer_id == query.customer_id)
    if query.due_from is not None:
        found.append(t.c.due_date >= query.due_from)
    if query.due_to is not None:
        found.append(t.c.due_date <= query.due_to)
    if query.overdue_on is not None:
        found.extend((t.c.status.in_(_OPEN), t.c.due_date < query.overdue_on))
    return found


class _Invoices:
    def __init__(self, ctx: _Context) -> None:
        self._c = ctx

    def _values(self, invoice: Invoice) -> dict[str, Any]:
        return {
            "customer_id": invoice.customer_id,
            "status": str(invoice.status),
            "series": invoice.series,
            "number": invoice.number,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "version": invoice.version,
            "doc": self._c.dump(invoice),
        }

    def _row(self, seller_id: str, invoice_id: str, operation: str) -> sa.Row[Any] | None:
        t = INVOICES
        query = sa.select(t).where(t.c.seller_id == seller_id, t.c.id == invoice_id)
        return self._c.first(operation, query)

    def _number_taken(self, invoice: Invoice) -> bool:
        t = INVOICES
        query = sa.select(t.c.id).where(
            t.c.seller_id == invoice.seller_id, t.c.number == invoice.number, t.c.id != invoice.id
        )
        return self._c.first("check invoice number", query) is not None

    def _load(self, row: sa.Row[Any]) -> Invoice:
        what = f"invoice {row.id!r} of seller {row.seller_id!r}"
        try:
            document = json.loads(row.doc)
            found = None if row.content_hash is None else content_hash(document)
        except _DECODE_ERRORS as exc:
            raise StorageError(f"stored {what} cannot be read back ({exc}); {self._c.url}") from exc
        if found != row.content_hash:
            raise IntegrityError(
                f"stored {what} (number {row.number!r}) no longer matches the content hash "
                f"taken at issue (stored {row.content_hash}, computed {found}): it was changed "
                f"outside invoicekit; restore it from a backup ({self._c.url})"
            )
        return self._c.load(document, Invoice, what)

    def add(self, invoice: Invoice) -> None:
        values = {"seller_id": invoice.seller_id, "id": invoice.id, **self._values(invoice)}
        if self._c.insert_new("add invoice", INVOICES, values):
            return
        if self._row(invoice.seller_id, invoice.id, "add invoice") is not None:
            raise DuplicateError(f"invoice {invoice.id!r} already exists")
        raise DuplicateError(f"number {invoice.number!r} is already used by another invoice")

    def get(self, seller_id: str, invoice_id: str, *, for_update: bool = False) -> Invoice:
        t = INVOICES
        query = sa.select(t).where(t.c.seller_id == seller_id, t.c.id == invoice_id)
        if for_update and self._c.postgres and self._c.write:
            query = query.with_for_update()
        row = self._c.first("get invoice", query)
        if row is None:
            raise NotFoundError("invoice", invoice_id)
        return self._load(row)

    def get_by_number(self, seller_id: str, number: str) -> Invoice:
        t = INVOICES
        query = sa.select(t).where(t.c.seller_id == seller_id, t.c.number == number)
        row = self._c.first("get invoice by number", query)
        if row is None:
            raise NotFoundError("invoice", number)
        return self._load(row)

    def save(
        self, invoice: Invoice, *, expected_version: int, content_hash: str | None = None
    ) -> None:
        t = INVOICES
        values = self._values(invoice)
        if content_hash is not None:
            values["content_hash"] = content_hash
        mine = (t.c.seller_id == invoice.seller_id, t.c.id == invoice.id)
        taken = invoice.number is not None and self._number_taken(invoice)
        if not taken:
            statement = sa.update(t).where(*mine, t.c.version == expected_version).values(values)
            if self._c.count("save invoice", statement) == 1:
                return
        stored = self._row(invoice.seller_id, invoice.id, "save invoice")
        if stored is None:
            raise NotFoundError("invoice", invoice.id)
        if stored.version != expected_version:
            raise ConcurrencyError(
                f"invoice {invoice.ref} was changed by someone else (stored version "
                f"{stored.version}, expected {expected_version}); reload it and retry"
            )
        raise DuplicateError(f"number {invoice.number!r} is already used by another invoice")

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
            raise ConcurrencyError(f"invoice {invoice_id!r} was changed by someone else; reload it")
        raise StorageError(
            f"invoice {stored.number} ({invoice_id!r}) is issued; issued invoices are never deleted"
        )

    def find(self, seller_id: str, query: InvoiceQuery) -> list[Invoice]:
        t = INVOICES
        where = _filters(seller_id, query)
        if query.after is not None:
            anchor = self._c.first(
                "find invoices", sa.select(t.c.issue_date).where(*where, t.c.id == query.after)
            )
            if anchor is not None:
                where.append(self._after(anchor.issue_date, query.after))
        drafts_last = sa.case((t.c.issue_date.is_(None), 1), else_=0)
        statement = (
            sa.select(t)
            .where(*where)
            .order_by(drafts_last, t.c.issue_date, t.c.id)
            .limit(max(query.limit, 0))
        )
        return [self._load(row) for row in self._c.rows("find invoices", statement)]

    @staticmethod
    def _after(issue_date: Any, invoice_id: str) -> sa.ColumnElement[bool]:
        """Rows after (issue date, id) in memory.py's ``_invoice_order``: drafts come last."""
        t = INVOICES
        if issue_date is None:
            return sa.and_(t.c.issue_date.is_(None), t.c.id > invoice_id)
        return sa.or_(
            t.c.issue_date > issue_date,
            sa.and_(t.c.issue_date == issue_date, t.c.id > invoice_id),
            t.c.issue_date.is_(None),
        )

    def content_hash(self, seller_id: str, invoice_id: str) -> str | None:
        """The content hash stored at issue (for integrity checks)."""
        row = self._row(seller_id, invoice_id, "get invoice content hash")
        return None if row is None else row.content_hash


class _CreditNotes:
    def __init__(self, ctx: _Context) -> None:
        self._c = ctx

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
        t = CREDIT_NOTES
        query = sa.select(t.c.id).where(t.c.seller_id == note.seller_id, t.c.id == note.id)
        if self._c.first("add credit note", query) is not None:
            raise DuplicateError(f"credit note {note.id!r} already exists")
        raise DuplicateError(f"credit note number {note.number!r} is already used")

    def get(self, seller_id: str, credit_note_id: str) -> CreditNote:
        t = CREDIT_NOTES
        query = sa.select(t.c.doc).where(t.c.seller_id == seller_id, t.c.id == credit_note_id)
        row = self._c.first("get credit note", query)
        if row is None:
            raise NotFoundError("credit note", credit_note_id)
        return self._c.load(row.doc, CreditNote, f"credit note {credit_note_id!r}")

    def for_invoice(self, seller_id: str, invoice_id: str) -> list[CreditNote]:
        t = CREDIT_NOTES
        query = sa.select(t.c.id, t.c.doc).where(
            t.c.seller_id == seller_id, t.c.invoice_id == invoice_id
        )
        notes = [
            self._c.load(r.doc, CreditNote, f"credit note {r.id!r}")
            for r in self._c.rows("list credit notes", query)
        ]
        # Sorted here, not in SQL: issued_at compares as an instant, whatever its offset.
        return sorted(notes, key=lambda n: (n.issued_at, n.number))


class _Sequences:
    def __init__(self, ctx: _Context) -> None:
        self._c = ctx

    def next_value(self, seller_id: str, series: str, period: str) -> int:
        t = SEQUENCES
        key = {"seller_id": seller_id, "series": series, "period": period}
        self._c.insert_new("take a number", t, {**key, "next_value": 1})
        # The UPDATE locks the counter row until commit: a concurrent issuer waits,
        # then reads our committed value (or, under REPEATABLE READ, gets a retryable
        # serialization failure). A rollback puts the number back.
        statement = (
            sa.update(t)
            .where(t.c.seller_id == seller_id, t.c.series == series, t.c.period == period)
            .values(next_value=t.c.next_value + 1)
            .returning(t.c.next_value - 1)
        )
        return int(self._c.run("take a number", statement).scalar_one())

    def peek(self, seller_id: str, series: str, period: str) -> int:
        t = SEQUENCES
        query = sa.select(t.c.next_value).where(
            t.c.seller_id == seller_id, t.c.series == series, t.c.period == period
        )
        row = self._c.first("read a number counter", query)
        return 1 if row is None else int(row.next_value)


def _record(row: sa.Row[Any]) -> OutboxRecord:
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


class _Outbox:
    def __init__(self, ctx: _Context) -> None:
        self._c = ctx

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

    def _select(self, operation: str, *where: Any, limit: int) -> list[OutboxRecord]:
        query = sa.select(OUTBOX).where(*where).order_by(OUTBOX.c.position).limit(max(limit, 0))
        return [_record(row) for row in self._c.rows(operation, query)]

    def pending(self, *, limit: int = 100, seller_id: str | None = None) -> list[OutboxRecord]:
        where: list[sa.ColumnElement[bool]] = [OUTBOX.c.delivered_at.is_(None)]
        if seller_id is not None:
            where.append(OUTBOX.c.seller_id == seller_id)
        return self._select("read pending outbox records", *where, limit=limit)

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
        where: list[sa.ColumnElement[bool]] = [OUTBOX.c.seller_id == seller_id]
        if invoice_id is not None:
            where.append(OUTBOX.c.invoice_id == invoice_id)
        return self._select("list outbox records", *where, limit=limit)


class _Idempotency:
    def __init__(self, ctx: _Context) -> None:
        self._c = ctx

    def get(self, seller_id: str, key: str) -> IdempotencyRecord | None:
        t = IDEMPOTENCY
        query = sa.select(t).where(t.c.seller_id == seller_id, t.c.key == key)
        row = self._c.first("read an idempotency record", query)
        if row is None:
            return None
        return IdempotencyRecord(
            seller_id=row.seller_id,
            key=row.key,
            fingerprint=row.fingerprint,
            operation=row.operation,
            result=json.loads(row.result),
            created_at=datetime.fromisoformat(row.created_at),
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

    @classmethod
    def on(
        cls,
        conn: sa.Connection,
        *,
        converter: cattrs.Converter,
        url: str,
        postgres: bool,
        write: bool,
    ) -> SqlTransaction:
        """The repositories working on ``conn`` (in a transaction the caller opened)."""
        ctx = _Context(conn, converter, url, postgres, write)
        return cls(
            sellers=_Sellers(ctx),
            customers=_Customers(ctx),
            invoices=_Invoices(ctx),
            credit_notes=_CreditNotes(ctx),
            sequences=_Sequences(ctx),
            outbox=_Outbox(ctx),
            idempotency=_Idempotency(ctx),
        )
