"""The tables of ``SqlAlchemyStorage`` and its driver boundary (needs the ``sqlalchemy`` extra).

The same schema, in meaning, as ``SqliteStorage``'s: each domain value is kept
whole as canonical JSON text in ``doc``, beside the few columns that queries,
keys and locks need. Times are ISO 8601 text, so a stored value reads back with
the offset it was written with. Alembic revision ``0001`` creates these tables;
``tests/integration/test_sqlalchemy_storage.py`` checks the two agree.

Invoice numbers come from ``sequences``, a plain table whose counter is
incremented under a row lock in the issuing transaction (gapless, RELIABILITY.md
T12): never a database sequence, which skips values on rollback. Only the
outbox's ``position``, an ordering key, is database-generated.

Key columns use the ``C`` collation on PostgreSQL so that ``ORDER BY id``
orders by code point, as Python's ``sorted`` does in ``MemoryStorage``.

``translate`` is the one place a SQLAlchemy, psycopg or ``sqlite3`` exception
becomes an invoicekit error.
"""

from __future__ import annotations

import sqlite3
from typing import Final

import sqlalchemy as sa

from invoicekit.errors import ConcurrencyError, DuplicateError, InvoiceKitError, StorageError

__all__ = [
    "CREDIT_NOTES",
    "CUSTOMERS",
    "IDEMPOTENCY",
    "INVOICES",
    "METADATA",
    "OUTBOX",
    "SELLERS",
    "SEQUENCES",
    "VERSION_TABLE",
    "key_type",
    "translate",
]

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
    sa.Index("invoices_status_due", "seller_id", "status", "due_date"),
    sa.Index("invoices_customer", "seller_id", "customer_id"),
)

CREDIT_NOTES: Final = sa.Table(
    "credit_notes",
    METADATA,
    sa.Column("seller_id", key_type(), primary_key=True),
    sa.Column("id", key_type(), primary_key=True),
    sa.Column("invoice_id", key_type(), nullable=False),
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
    sa.UniqueConstraint("key", name="outbox_key_key"),
    sa.Index("outbox_seller", "seller_id", "invoice_id"),
    sa.Index("outbox_pending", "delivered_at", "position"),
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
    everything else, a lost or refused connection included → StorageError. Each
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
    # libpq's own failures (refused, reset, terminated) carry no SQLSTATE.
    no_server_code = not code and sqlite_code is None and isinstance(exc, _connection_errors())
    if invalidated or code.startswith(_GONE) or no_server_code:
        return StorageError(
            f"{where}: the database connection failed or was lost ({text}); nothing of "
            "the open transaction was committed; check the server and retry"
        )
    return StorageError(f"{where}: {type(orig).__name__}: {text}")


def _connection_errors() -> tuple[type[BaseException], ...]:
    return (sa.exc.OperationalError, sa.exc.InterfaceError)
