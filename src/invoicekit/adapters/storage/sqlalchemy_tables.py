"""The tables of ``SqlAlchemyStorage`` and its driver boundary (needs the ``sqlalchemy`` extra).

The same schema, in meaning, as ``SqliteStorage``'s: each domain value is kept
whole as canonical JSON text in ``doc``, beside the few columns that queries,
keys and locks need. Times are ISO 8601 text, so a stored value reads back with
the offset it was written with (messages and inboxes: UTC text, compared in SQL).
Alembic revisions ``0001``, ``0002`` (messages, inbox), ``0003`` (message keys
unique per seller), ``0004`` (provider notices, checkout sessions, pay-link
tokens), ``0005`` (the status index covers find()'s order), ``0006`` (recurring
templates) and ``0007`` (event handler cursors, the outbox's transaction ids) create these tables; ``tests/integration/test_sqlalchemy_storage.py``
checks the two agree.

Invoice numbers come from ``sequences``, a plain table whose counter is
incremented under a row lock in the issuing transaction (gapless, T12 in
docs/explanation/reliability.md): never a database sequence, which skips values on rollback. Only the
``position`` of the outbox and of the messages, ordering keys, is database-generated.

Key columns use the ``C`` collation on PostgreSQL so that ``ORDER BY id``
orders by code point, as Python's ``sorted`` does in ``MemoryStorage``.

``translate`` is the one place a SQLAlchemy, psycopg or ``sqlite3`` exception
becomes an invoicekit error; every statement of a transaction runs through
``Context.run``, which calls it. ``find_statement`` is memory.py's ``matches()``
and ``_invoice_order`` paging, as SQL.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, Final, TypeVar

import attrs
import cattrs
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from invoicekit.adapters.storage.sqlalchemy_missing import missing_database_advice
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    InvoiceKitError,
    StorageError,
    ValidationError,
)
from invoicekit.ports import InvoiceQuery
from invoicekit.serialization import load_value, value_text

__all__ = [
    "CHECKOUT_SESSIONS",
    "COUPONS",
    "CREDIT_NOTES",
    "CUSTOMERS",
    "DECODE_ERRORS",
    "DRAFTS_LAST",
    "EVENT_CURSORS",
    "FIND_ANCHOR",
    "IDEMPOTENCY",
    "INBOX",
    "INVOICES",
    "MESSAGES",
    "METADATA",
    "OUTBOX",
    "PAY_TOKENS",
    "PLANS",
    "PROVIDER_EVENTS",
    "RECURRING_TEMPLATES",
    "SELLERS",
    "SEQUENCES",
    "SUBSCRIPTIONS",
    "USAGE_RECORDS",
    "VERSION_TABLE",
    "Context",
    "find_statement",
    "key_type",
    "translate",
]

T = TypeVar("T")

#: Where Alembic records the schema revision; our own name, so that an application
#: keeping its own Alembic history in the same database does not collide with ours.
VERSION_TABLE: Final = "invoicekit_alembic_version"


def key_type() -> sa.types.TypeEngine[str]:
    """Text compared byte by byte: ``COLLATE "C"`` on PostgreSQL, SQLite's default elsewhere."""
    return sa.Text().with_variant(sa.Text(collation="C"), "postgresql")


METADATA: Final = sa.MetaData()

SELLERS: Final = sa.Table(
    "sellers",
    METADATA,
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("doc", sa.Text(), nullable=False),
)

CUSTOMERS: Final = sa.Table(
    "customers",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("archived", sa.Boolean(), nullable=False),
    sa.Column("doc", sa.Text(), nullable=False),
)

INVOICES: Final = sa.Table(
    "invoices",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("series", sa.Text(), nullable=False),
    sa.Column("number", key_type(), nullable=True),
    sa.Column("issue_date", sa.Date(), nullable=True),
    sa.Column("due_date", sa.Date(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("content_hash", sa.Text(), nullable=True),
    sa.Column("doc", sa.Text(), nullable=False),
    sa.UniqueConstraint("seller_id", "number", name="invoices_number_key"),
    # Ends with find()'s order, so a page is cut on the index alone (revision 0005).
    sa.Index("invoices_status_due", "seller_id", "status", "due_date", "issue_date", "id"),
    sa.Index("invoices_customer", "seller_id", "customer_id"),
)

CREDIT_NOTES: Final = sa.Table(
    "credit_notes",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("number", key_type(), nullable=False),
    sa.Column("issued_at", sa.Text(), nullable=False),
    sa.Column("doc", sa.Text(), nullable=False),
    sa.UniqueConstraint("seller_id", "number", name="credit_notes_number_key"),
    sa.Index("credit_notes_invoice", "seller_id", "invoice_id"),
)

SEQUENCES: Final = sa.Table(
    "sequences",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True, autoincrement=False),
    sa.Column("series", key_type(), primary_key=True, autoincrement=False),
    sa.Column("period", key_type(), primary_key=True, autoincrement=False),
    sa.Column("next_value", sa.BigInteger(), nullable=False, autoincrement=False),
)

OUTBOX: Final = sa.Table(
    "outbox",
    METADATA,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("key", key_type(), nullable=False),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("payload", sa.Text(), nullable=False),
    sa.Column("created_at", sa.Text(), nullable=False),
    sa.Column("delivered_at", sa.Text(), nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    #: The writing transaction's id on PostgreSQL (a server default, 0007); empty on SQLite.
    sa.Column("xact", sa.BigInteger(), nullable=True),
    sa.UniqueConstraint("key", name="outbox_key_key"),
    sa.Index("outbox_seller", "seller_id", "invoice_id"),
    sa.Index("outbox_pending", "delivered_at", "position"),
    sa.Index("outbox_feed", "xact", "position"),
    sqlite_autoincrement=True,
)

IDEMPOTENCY: Final = sa.Table(
    "idempotency",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("key", key_type(), primary_key=True),
    sa.Column("fingerprint", sa.Text(), nullable=False),
    sa.Column("operation", sa.Text(), nullable=False),
    sa.Column("result", sa.Text(), nullable=False),
    sa.Column("created_at", sa.Text(), nullable=False),
)

#: Messages waiting for, or done with, delivery. ``next_attempt_at`` and
#: ``lease_expires_at`` (compared by ``claim``) are UTC text of one fixed width, in
#: the ``C`` collation, so text order is time order; ``position`` orders the queue.
#: A key is unique per seller: two sellers may have an invoice with the same id.
MESSAGES: Final = sa.Table(
    "messages",
    METADATA,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("key", key_type(), nullable=False),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("subject_id", key_type(), nullable=True),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("step", sa.Text(), nullable=False),
    sa.Column("channel", sa.Text(), nullable=False),
    sa.Column("recipient", sa.Text(), nullable=False),
    sa.Column("status", key_type(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("next_attempt_at", key_type(), nullable=False),
    sa.Column("lease_owner", sa.Text(), nullable=True),
    sa.Column("lease_expires_at", key_type(), nullable=True),
    sa.Column("sent_at", key_type(), nullable=True),
    sa.Column("provider_id", sa.Text(), nullable=True),
    sa.UniqueConstraint("seller_id", "key", name="messages_seller_key_key"),
    sa.Index("messages_due", "status", "next_attempt_at"),
    sa.Index("messages_lease", "status", "lease_expires_at"),
    sa.Index("messages_seller", "seller_id", "position"),
    sa.Index("messages_invoice", "seller_id", "invoice_id", "position"),
    sqlite_autoincrement=True,
)

#: In-app inboxes. ``position`` (the customer's last plus one) breaks ties between
#: items of one ``created_at`` (UTC text of one fixed width): the later put first.
INBOX: Final = sa.Table(
    "inbox",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("key", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("position", sa.BigInteger(), nullable=False, autoincrement=False),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("title", sa.Text(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("html", sa.Text(), nullable=True),
    sa.Column("url", sa.Text(), nullable=True),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("read_at", key_type(), nullable=True),
    sa.Index("inbox_customer", "seller_id", "customer_id", "created_at", "position"),
    sa.Index("inbox_unread", "seller_id", "customer_id", "read_at"),
)


#: Payment providers' notifications; (provider, event_id) unique is the webhook dedupe
#: (T17). Amounts are decimal text, times UTC text of one fixed width.
PROVIDER_EVENTS: Final = sa.Table(
    "provider_events",
    METADATA,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("provider", key_type(), nullable=False),
    sa.Column("event_id", key_type(), nullable=False),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=True),
    sa.Column("payment_ref", key_type(), nullable=True),
    sa.Column("kind", sa.Text(), nullable=False),
    sa.Column("type", sa.Text(), nullable=False),
    sa.Column("amount", sa.Text(), nullable=True),
    sa.Column("currency", sa.Text(), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("code", sa.Text(), nullable=True),
    sa.Column("refund_ref", sa.Text(), nullable=True),
    sa.Column("occurred_at", key_type(), nullable=True),
    sa.Column("received_at", key_type(), nullable=False),
    sa.Column("outcome", sa.Text(), nullable=False),
    sa.Column("raw", sa.LargeBinary(), nullable=False),
    sa.UniqueConstraint("provider", "event_id", name="provider_events_event_key"),
    sa.Index("provider_events_payment", "seller_id", "provider", "payment_ref", "position"),
    sa.Index("provider_events_invoice", "seller_id", "invoice_id", "position"),
    sqlite_autoincrement=True,
)

#: Checkout sessions started for invoices, cancelled when the invoice is settled.
CHECKOUT_SESSIONS: Final = sa.Table(
    "checkout_sessions",
    METADATA,
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("provider", key_type(), nullable=False),
    sa.Column("ref", key_type(), nullable=False),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=False),
    sa.Column("key", key_type(), nullable=False),
    sa.Column("amount", sa.Text(), nullable=False),
    sa.Column("currency", sa.Text(), nullable=False),
    sa.Column("url", sa.Text(), nullable=False),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("expires_at", key_type(), nullable=True),
    sa.Column("state", sa.Text(), nullable=False),
    sa.UniqueConstraint("provider", "ref", name="checkout_sessions_ref_key"),
    sa.Index("checkout_sessions_invoice", "seller_id", "invoice_id", "state"),
    sa.Index("checkout_sessions_key", "seller_id", "key", "position"),
    sqlite_autoincrement=True,
)

#: Pay-link tokens, by their SHA-256 hex only (T36).
PAY_TOKENS: Final = sa.Table(
    "pay_tokens",
    METADATA,
    sa.Column("token_hash", key_type(), primary_key=True),
    sa.Column("seller_id", key_type(), nullable=False),
    sa.Column("invoice_id", key_type(), nullable=False),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("message_key", sa.Text(), nullable=True),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("expires_at", key_type(), nullable=False),
)

#: Recurring invoice templates (Alembic 0006): the template as a document, and progress.
RECURRING_TEMPLATES: Final = sa.Table(
    "recurring_templates",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("last_index", sa.Integer(), nullable=True),
    sa.Column("to_issue", sa.Text(), nullable=False),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("doc", sa.Text(), nullable=False),
    sa.Index("recurring_templates_customer", "seller_id", "customer_id"),
)

#: Plans and coupons as documents (Alembic 0009).
PLANS: Final = sa.Table(
    "plans",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("doc", sa.Text(), nullable=False),
)
COUPONS: Final = sa.Table(
    "coupons",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("doc", sa.Text(), nullable=False),
)
#: Subscriptions (Alembic 0009): the subscription as a document, its progress in columns.
SUBSCRIPTIONS: Final = sa.Table(
    "subscriptions",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("customer_id", key_type(), nullable=False),
    sa.Column("status", sa.Text(), nullable=False),
    sa.Column("version", sa.Integer(), nullable=False),
    sa.Column("last_index", sa.Integer(), nullable=True),
    sa.Column("to_issue", sa.Text(), nullable=False),
    sa.Column("billed", sa.Text(), nullable=False),
    sa.Column("usage_billed_until", key_type(), nullable=True),
    sa.Column("finished", sa.Boolean(), nullable=False),
    sa.Column("created_at", key_type(), nullable=False),
    sa.Column("doc", sa.Text(), nullable=False),
    sa.Index("subscriptions_customer", "seller_id", "customer_id"),
    sa.Index("subscriptions_billing", "finished", "seller_id", "id"),
)
#: Usage records (Alembic 0009), append-only: PostgreSQL keeps NUMERIC(24,6), timestamptz
#: and JSONB; SQLite a quantity scaled by 10**6, microseconds UTC and JSON text (usage_sql).
USAGE_RECORDS: Final = sa.Table(
    "usage_records",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("key", key_type(), primary_key=True),
    sa.Column("subscription_id", key_type(), nullable=False),
    sa.Column("meter", key_type(), nullable=False),
    sa.Column(
        "quantity", sa.BigInteger().with_variant(sa.Numeric(24, 6), "postgresql"), nullable=False
    ),
    sa.Column(
        "at", sa.BigInteger().with_variant(sa.DateTime(timezone=True), "postgresql"), nullable=False
    ),
    sa.Column(
        "received_at",
        sa.BigInteger().with_variant(sa.DateTime(timezone=True), "postgresql"),
        nullable=False,
    ),
    sa.Column("properties", sa.Text().with_variant(postgresql.JSONB(), "postgresql")),
    sa.Index(
        "usage_records_period", "seller_id", "subscription_id", "meter", "at", "key", "quantity"
    ),
    sa.Index("usage_records_received", "seller_id", "subscription_id", "received_at"),
)

#: How far each event handler got through the outbox (Alembic 0007).
EVENT_CURSORS: Final = sa.Table(
    "event_cursors",
    METADATA,
    sa.Column("name", key_type(), primary_key=True),
    sa.Column("epoch", sa.BigInteger(), nullable=False),
    sa.Column("position", sa.BigInteger(), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("next_attempt_at", sa.Text(), nullable=True),
    sa.Column("parked_at", sa.Text(), nullable=True),
    sa.Column("last_error", sa.Text(), nullable=True),
    sa.Column("version", sa.Integer(), nullable=False),
)

# --------------------------------------------------------------------------- the driver boundary

#: PostgreSQL SQLSTATEs that mean "another transaction got in the way; retry".
_CONFLICTS: Final = {
    "40001": "a concurrent transaction changed the same rows (serialization failure)",
    "40P01": "a deadlock with another transaction was detected",
    "55P03": "a lock could not be taken before the lock timeout",
}
_UNIQUE_VIOLATION: Final = "23505"
_READ_ONLY: Final = "25006"
#: SQLSTATE classes of a lost or refused connection: 08 connection, 57P0x shutdown/terminated.
_GONE: Final = ("08", "57P01", "57P02", "57P03")
_SQLITE_BUSY: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def translate(exc: BaseException, *, operation: str, url: str) -> InvoiceKitError:
    """The invoicekit error for a SQLAlchemy or driver exception raised while doing ``operation``.

    A serialization failure, deadlock, lock timeout or SQLite "database is locked"
    → ConcurrencyError (retry the transaction); a unique key taken → DuplicateError;
    a missing database → StorageError saying to create it; everything else, a lost
    or refused connection included → StorageError. Each
    message names the operation and ``url`` (give it with the password hidden) and
    quotes only the driver's own first line, never the statement's parameters.
    """
    orig = getattr(exc, "orig", None) or exc
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None) or ""
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    primary = None if sqlite_code is None else sqlite_code & 0xFF
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    where = f"could not {operation} in {url}"
    if code in _CONFLICTS:
        return ConcurrencyError(f"{where}: {_CONFLICTS[code]} ({text}); retry the transaction")
    if primary in _SQLITE_BUSY or "database is locked" in text:
        return ConcurrencyError(
            f"{where}: the database stayed locked by another connection past the busy "
            f"timeout ({text}); retry the transaction"
        )
    if code == _UNIQUE_VIOLATION or (primary == sqlite3.SQLITE_CONSTRAINT and "UNIQUE" in text):
        return DuplicateError(f"{where}: the key is already taken ({text})")
    if code == _READ_ONLY or primary == sqlite3.SQLITE_READONLY:
        return StorageError(
            f"{where}: the transaction or database is read-only ({text}); open the "
            "transaction with write=True and check the database's permissions"
        )
    invalidated = bool(getattr(exc, "connection_invalidated", False))
    # libpq's own failures (refused, reset, terminated, no such database) carry no SQLSTATE.
    no_server_code = not code and sqlite_code is None and isinstance(exc, _connection_errors())
    missing = missing_database_advice(code, text)
    if missing or invalidated or code.startswith(_GONE) or no_server_code:
        return StorageError(
            f"{where}: "
            + (
                missing
                or f"the database connection failed or was lost ({text}); nothing of "
                "the open transaction was committed; check the server and retry"
            )
        )
    return StorageError(f"{where}: {type(orig).__name__}: {text}")


def _connection_errors() -> tuple[type[BaseException], ...]:
    return (sa.exc.OperationalError, sa.exc.InterfaceError)


# --------------------------------------------------------------------------- statements

_OPEN: Final = sorted(
    str(s) for s in (Status.PENDING, Status.PARTIALLY_PAID, Status.OVERDUE, Status.FAILED)
)
DECODE_ERRORS: Final = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    cattrs.BaseValidationError,
)


def _all(result: Any) -> Any:
    return result.all()


def _first(result: Any) -> Any:
    return result.first()


def _rowcount(result: Any) -> Any:
    return result.rowcount


def _scalar_one(result: Any) -> Any:
    return result.scalar_one()


@attrs.frozen
class Context:
    """What every repository of one transaction shares: the connection and the boundary."""

    conn: sa.Connection
    converter: cattrs.Converter
    url: str
    postgres: bool
    #: Whether the transaction may write (a read-only one takes no row locks).
    write: bool
    #: The exceptions translated at the boundary (SQLAlchemy's and the driver's).
    errors: tuple[type[BaseException], ...] = (sa.exc.SQLAlchemyError,)

    def run(
        self, operation: str, statement: sa.Executable, params: Any = None, *, then: Any = None
    ) -> Any:
        """Execute ``statement`` and apply ``then`` to its result (fetching included).

        A driver error, while executing or fetching, becomes an invoicekit error
        naming ``operation``.
        """
        try:
            result = self.conn.execute(statement, params)
            return result if then is None else then(result)
        except self.errors as exc:
            raise translate(exc, operation=operation, url=self.url) from exc

    def rows(
        self, operation: str, statement: sa.Executable, params: Any = None
    ) -> Sequence[sa.Row[Any]]:
        """Every row ``statement`` returns."""
        rows: Sequence[sa.Row[Any]] = self.run(operation, statement, params, then=_all)
        return rows

    def first(
        self, operation: str, statement: sa.Executable, params: Any = None
    ) -> sa.Row[Any] | None:
        """The first row, or None."""
        row: sa.Row[Any] | None = self.run(operation, statement, params, then=_first)
        return row

    def count(self, operation: str, statement: sa.Executable, params: Any = None) -> int:
        """The number of rows ``statement`` changed."""
        return int(self.run(operation, statement, params, then=_rowcount))

    def scalar(self, operation: str, statement: sa.Executable, params: Any = None) -> Any:
        """The one value of the one row ``statement`` returns."""
        return self.run(operation, statement, params, then=_scalar_one)

    def insert_new(self, operation: str, table: sa.Table, values: Mapping[str, Any]) -> bool:
        """Insert one row unless a unique key is taken; whether it was inserted."""
        return self.count(operation, self.insert_ignoring(table), values) == 1

    def insert_ignoring(self, table: sa.Table) -> Any:
        """``INSERT ... ON CONFLICT DO NOTHING`` in this database's dialect (values bound)."""
        return _insert_ignoring(table, postgres=self.postgres)

    def dump(self, value: Invoice | CreditNote | Seller | Customer) -> str:
        """The stored text of a domain value (serialization format 2)."""
        return value_text(value)

    def load(self, document: Any, cls: type[T], what: str) -> T:
        """Rebuild a domain value from its stored document (text or decoded)."""
        try:
            return load_value(document, cls, self.converter)
        except (*DECODE_ERRORS, ValidationError) as exc:
            raise self.unreadable(what, exc) from exc

    def unreadable(self, what: str, exc: BaseException) -> StorageError:
        """The error for a stored document that cannot be read back."""
        return StorageError(
            f"stored {what} cannot be read back ({type(exc).__name__}: {exc}); it was "
            f"changed outside invoicekit or written by another version ({self.url})"
        )


@functools.cache
def _insert_ignoring(table: sa.Table, *, postgres: bool) -> Any:
    insert = postgresql.insert if postgres else sqlite.insert
    # SQLAlchemy keeps an INSERT's row count only when asked to.
    return insert(table).on_conflict_do_nothing().execution_options(preserve_rowcount=True)


# --------------------------------------------------------------------------- find

#: memory.py's ``_invoice_order``: issued invoices by (issue date, id), then drafts by id
#: (a draft last even when it carries a preset issue date).
DRAFTS_LAST: Final = sa.case(
    (sa.or_(INVOICES.c.status == str(Status.DRAFT), INVOICES.c.issue_date.is_(None)), 1), else_=0
)
#: The sort position of a paging anchor: what ``InvoiceQuery.after`` names.
FIND_ANCHOR: Final = sa.select(INVOICES.c.status, INVOICES.c.issue_date).where(
    INVOICES.c.seller_id == sa.bindparam("seller_id"), INVOICES.c.id == sa.bindparam("after_id")
)


@functools.cache
def _find_statement(
    *, statuses: bool, customer: bool, due_from: bool, due_to: bool, overdue: bool, after: str
) -> sa.Select[Any]:
    """``find``'s SELECT for one combination of filters; built once, the values are bound."""
    t, b = INVOICES, sa.bindparam
    where = [t.c.seller_id == b("seller_id")]
    if statuses:
        where.append(t.c.status.in_(b("statuses", expanding=True)))
    if customer:
        where.append(t.c.customer_id == b("customer_id"))
    if due_from:  # a NULL due date fails every date filter, as in matches()
        where.append(t.c.due_date >= b("due_from"))
    if due_to:
        where.append(t.c.due_date <= b("due_to"))
    if overdue:
        where.extend((t.c.status.in_(_OPEN), t.c.due_date < b("overdue_on")))
    if after == "draft":  # after a draft: the drafts with a greater id
        where.append(sa.and_(DRAFTS_LAST == 1, t.c.id > b("after_id")))
    elif after == "issued":  # a draft with a preset date matches too: it is in DRAFTS_LAST
        where.append(
            sa.or_(
                DRAFTS_LAST == 1,
                t.c.issue_date > b("after_date"),
                sa.and_(t.c.issue_date == b("after_date"), t.c.id > b("after_id")),
            )
        )
    by_date = sa.case((DRAFTS_LAST == 1, None), else_=t.c.issue_date)
    order = (DRAFTS_LAST, by_date, t.c.id)
    # Cut the page on index columns first, then read only that page's documents: sorting
    # whole rows read every matching document (a sequential scan among 1,000,000).
    page = sa.select(t.c.seller_id, t.c.id).where(*where).order_by(*order).limit(b("limit"))
    cut = page.subquery("page")
    on = sa.and_(t.c.seller_id == cut.c.seller_id, t.c.id == cut.c.id)
    return sa.select(t).join(cut, on).order_by(*order)


def find_statement(
    seller_id: str, query: InvoiceQuery, anchor: sa.Row[Any] | None
) -> tuple[sa.Select[Any], dict[str, Any]]:
    """``matches()`` and ``after`` paging of memory.py as SQL, with its bound values.

    ``anchor`` is the ``FIND_ANCHOR`` row of ``query.after`` (None: start at the top).
    """
    after = ""
    params: dict[str, Any] = {"seller_id": seller_id, "limit": max(query.limit, 0)}
    if anchor is not None:
        draft = anchor.status == str(Status.DRAFT) or anchor.issue_date is None
        after = "draft" if draft else "issued"
        params.update(after_id=query.after, after_date=None if draft else anchor.issue_date)
    if query.statuses is not None:
        params["statuses"] = sorted(str(s) for s in query.statuses)
    params.update(
        customer_id=query.customer_id,
        due_from=query.due_from,
        due_to=query.due_to,
        overdue_on=query.overdue_on,
    )
    statement = _find_statement(
        statuses=query.statuses is not None,
        customer=query.customer_id is not None,
        due_from=query.due_from is not None,
        due_to=query.due_to is not None,
        overdue=query.overdue_on is not None,
        after=after,
    )
    return statement, {k: v for k, v in params.items() if v is not None}
