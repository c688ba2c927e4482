"""The driver boundary of ``SqlAlchemyStorage``: ``translate`` and the ``Context`` every statement runs through.

``translate`` is the one place a SQLAlchemy, psycopg or ``sqlite3`` exception
becomes an invoicekit error; every statement of a transaction runs through
``Context.run``, which calls it. Re-exported by
:mod:`invoicekit.adapters.storage.sqlalchemy_tables`.
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
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    InvoiceKitError,
    StorageError,
    ValidationError,
)
from invoicekit.serialization import load_value, value_text

__all__ = [
    "DECODE_ERRORS",
    "Context",
    "translate",
]

T = TypeVar("T")


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
