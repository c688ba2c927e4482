"""The driver boundary of ``SqliteStorage``: connections, ``Session`` and the error translation.

``Session`` is the only code that calls ``sqlite3``, and ``translate`` the one
place a ``sqlite3`` exception becomes an invoicekit error (``ConcurrencyError``,
``DuplicateError`` or ``StorageError``), so none escapes. Re-exported by
:mod:`invoicekit.adapters.storage.sqlite_schema`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import cattrs

from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.errors import (
    ConcurrencyError,
    DuplicateError,
    IntegrityError,
    InvoiceKitError,
    StorageError,
)
from invoicekit.serialization import load_value, value_text

__all__ = [
    "DECODE_ERRORS",
    "Row",
    "Session",
    "connect",
    "translate",
]

T = TypeVar("T")
Row = tuple[Any, ...]
#: What reading a stored document back may raise when it was changed or is of another version.
DECODE_ERRORS: Final = (
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    cattrs.BaseValidationError,
)

_UNIQUE: Final = frozenset({sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY})


_ADVICE: Final = {
    sqlite3.SQLITE_FULL: "the disk or the database's size limit is full; free space or raise "
    "the limit, then retry",
    sqlite3.SQLITE_READONLY: "the database is read-only; open it writable (not read_only=True, "
    "with write permission on the file and its folder)",
    sqlite3.SQLITE_CORRUPT: "the file is corrupt; restore it from a backup",
    sqlite3.SQLITE_NOTADB: "the file is not an SQLite database; pass the right path",
    sqlite3.SQLITE_CANTOPEN: "the file cannot be opened; check that its folder exists and is "
    "readable and writable",
    sqlite3.SQLITE_IOERR: "disk I/O error; check the disk, then retry",
}


def translate(
    exc: sqlite3.Error, *, operation: str, path: str, busy_timeout_ms: int
) -> StorageError | ConcurrencyError | DuplicateError:
    """The invoicekit error for a ``sqlite3`` exception raised while doing ``operation``.

    Locked past the busy timeout → ConcurrencyError (retry); a unique key taken →
    DuplicateError; everything else (disk full, read-only, corrupt or unreachable
    file) → StorageError naming the operation and the path.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    primary = None if code is None else code & 0xFF
    text = str(exc)
    where = f"could not {operation} in {path}"
    if primary in {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED} or "database is locked" in text:
        return ConcurrencyError(
            f"{where}: the database stayed locked by another connection past the busy "
            f"timeout ({busy_timeout_ms} ms); retry the transaction"
        )
    if code in _UNIQUE or (isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in text):
        return DuplicateError(f"{where}: the key is already taken ({text})")
    advice = _ADVICE.get(primary or 0)
    if advice is not None:
        return StorageError(f"{where}: {advice} ({text})")
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    return StorageError(f"{where}: {name}: {text}")


def connect(
    path: str, *, read_only: bool, busy_timeout_ms: int, synchronous: str
) -> sqlite3.Connection:
    """A connection in autocommit mode (we BEGIN ourselves) with WAL, busy timeout and sync level.

    ``read_only`` opens the file through the URI ``mode=ro``. ``sqlite3`` errors propagate.
    """
    target = f"{Path(path).resolve().as_uri()}?mode=ro" if read_only else path
    conn = sqlite3.connect(
        target,
        uri=read_only,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,
        check_same_thread=False,  # close() may run on another thread; each thread has its own
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        if not read_only:
            conn.execute("PRAGMA journal_mode = WAL").fetchall()
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
    except BaseException:
        conn.close()
        raise
    return conn


class Session:
    """One thread's connection and its open transaction: the only code that calls ``sqlite3``.

    Repositories call ``run``/``rows``/``one``/``page``; every ``sqlite3`` error
    comes out translated. A session whose transaction SQLite rolled back on its
    own (disk full, I/O error) refuses further statements until the block ends.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        path: str,
        busy_timeout_ms: int,
        converter: cattrs.Converter,
    ) -> None:
        self.conn = conn
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self.converter = converter
        self.pid = os.getpid()
        self.active = False
        self.write = False
        self.broken = False
        self.closed = False
        #: (seller id, invoice id) -> (version, content hash) of the invoice rows read or
        #: written in the open write transaction, which holds the write lock: a save of
        #: such a row needs no second read of them. Emptied when a transaction begins.
        self.invoice_rows: dict[tuple[str, str], tuple[int, str | None]] = {}

    # ------------------------------------------------------------------ the driver boundary

    def error(self, exc: sqlite3.Error, operation: str) -> InvoiceKitError:
        """The translated error; marks the transaction broken if SQLite rolled it back."""
        if self.active and not self.conn.in_transaction:
            self.broken = True
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if self.active and not self.write and code == sqlite3.SQLITE_READONLY:
            return StorageError(
                f"could not {operation}: a read-only transaction tried to write; "
                "open it with write=True"
            )
        return translate(
            exc, operation=operation, path=self.path, busy_timeout_ms=self.busy_timeout_ms
        )

    def _check(self, operation: str) -> None:
        if not self.active:
            raise StorageError(
                f"could not {operation}: the transaction has ended; "
                "use the repositories only inside `with storage.transaction() as tx:`"
            )
        if self.broken:
            raise StorageError(
                f"could not {operation}: SQLite rolled this transaction back after an earlier "
                "error; leave the block and retry in a new transaction"
            )

    def run(self, operation: str, sql: str, params: Sequence[Any] = ()) -> int:
        """Execute a change; return the number of rows it touched."""
        self._check(operation)
        try:
            cursor = self.conn.execute(sql, params)
            count = cursor.rowcount
            cursor.close()
        except sqlite3.Error as exc:
            raise self.error(exc, operation) from exc
        return count

    def run_many(self, operation: str, sql: str, params: Sequence[Sequence[Any]]) -> int:
        """Execute a change once per parameter row (``executemany``); the rows touched in all."""
        self._check(operation)
        try:
            cursor = self.conn.executemany(sql, params)
            count = cursor.rowcount
            cursor.close()
        except sqlite3.Error as exc:
            raise self.error(exc, operation) from exc
        return count

    def rows(
        self, operation: str, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> list[Row]:
        """Every row of a query (also RETURNING rows, fetched to completion); named or not."""
        self._check(operation)
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self.error(exc, operation) from exc

    def one(
        self, operation: str, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> Row | None:
        """The first row of a query, or None."""
        found = self.rows(operation, sql, params)
        return found[0] if found else None

    def page(self, operation: str, sql: str, params: Sequence[Any], limit: int) -> list[Row]:
        """Rows of ``sql`` cut to ``limit`` exactly as a Python slice ``[:limit]`` would."""
        if limit >= 0:
            return self.rows(operation, f"{sql} LIMIT ?", (*params, limit))
        return self.rows(operation, sql, params)[:limit]

    # ------------------------------------------------------------------ documents

    def dump(self, value: Invoice | CreditNote | Seller | Customer) -> str:
        """The stored text of a domain value (serialization format 2)."""
        return value_text(value)

    def load(self, text: str | dict[str, Any], cls: type[T], what: str) -> T:
        """Rebuild a stored value; IntegrityError when the stored text cannot be read back."""
        try:
            return load_value(text, cls, self.converter)
        except DECODE_ERRORS as exc:
            raise self.unreadable(what, exc) from exc

    def unreadable(self, what: str, exc: BaseException) -> IntegrityError:
        """The error for a stored document that cannot be read back."""
        return IntegrityError(
            f"the stored {what} in {self.path} cannot be read back ({exc!s:.200}); it was "
            "changed outside invoicekit or written by another version: restore it from a backup"
        )

    # ------------------------------------------------------------------ transactions

    def begin(self, write: bool) -> None:
        """Open a transaction: BEGIN IMMEDIATE for writes, a plain BEGIN under query_only for reads."""
        operation = "begin a write transaction" if write else "begin a read transaction"
        try:
            if not write:
                self.conn.execute("PRAGMA query_only = ON")
            self.conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            self._reset(write)
            raise self.error(exc, operation) from exc
        self.active, self.write, self.broken = True, write, False
        self.invoice_rows.clear()

    def end(self, *, commit: bool) -> None:
        """Commit (or roll back) the open transaction; a failed commit rolls back and raises."""
        self.active = False
        try:
            if not commit:
                self.rollback()
            elif self.broken:
                self.rollback()
                raise StorageError(
                    f"nothing was committed to {self.path}: SQLite rolled the transaction back "
                    "after an error inside it; retry the whole transaction"
                )
            else:
                try:
                    self.conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    failure = self.error(exc, "commit the transaction")
                    self.rollback()
                    raise failure from exc
        finally:
            self._reset(self.write)

    def rollback(self) -> None:
        """Roll back quietly; a connection that cannot roll back is closed (the next one is new)."""
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.Error:
            self.close()

    def _reset(self, write: bool) -> None:
        if not write and not self.closed:
            try:
                self.conn.execute("PRAGMA query_only = OFF")
            except sqlite3.Error:
                self.close()

    def close(self) -> None:
        """Close the connection (SQLite rolls back whatever was open)."""
        self.closed = True
        with contextlib.suppress(sqlite3.Error):  # best effort: the file is consistent anyway
            self.conn.close()
