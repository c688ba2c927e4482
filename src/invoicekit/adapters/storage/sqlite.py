"""``SqliteStorage``: the embedded default Storage adapter, one SQLite file in WAL mode.

It behaves like ``MemoryStorage`` (the reference) and adds what a file can
promise: write transactions start with ``BEGIN IMMEDIATE``, so number allocation
serializes across threads and processes; an issued invoice's content hash is
checked on every read; no ``sqlite3`` exception reaches the caller (the schema
module's ``Session`` translates them). One connection per thread, opened lazily.

The repositories live in one module each: sqlite_parties (sellers, customers),
sqlite_invoices (invoices) and sqlite_records (credit notes, number counters,
outbox, idempotency), besides the older sqlite_* modules; this module wires them
into one transaction per session and keeps ``SqliteStorage``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import attrs
import cattrs

from invoicekit.adapters.storage.sqlite_events import SqliteEventFeed
from invoicekit.adapters.storage.sqlite_invoices import _Invoices
from invoicekit.adapters.storage.sqlite_messages import SqliteInbox, SqliteMessages
from invoicekit.adapters.storage.sqlite_parties import _Customers, _Sellers
from invoicekit.adapters.storage.sqlite_payments import (
    SqliteCheckouts,
    SqlitePayTokens,
    SqliteProviderEvents,
)
from invoicekit.adapters.storage.sqlite_records import (
    _CreditNotes,
    _Idempotency,
    _Outbox,
    _Sequences,
)
from invoicekit.adapters.storage.sqlite_recurring import SqliteRecurring
from invoicekit.adapters.storage.sqlite_reports import SqliteReports
from invoicekit.adapters.storage.sqlite_schema import (
    Session,
    check_version,
    connect,
    migrate,
    translate,
)
from invoicekit.adapters.storage.sqlite_subscriptions import SqliteCatalog, SqliteSubscriptions
from invoicekit.adapters.storage.sqlite_summaries import SqliteSummaries
from invoicekit.adapters.storage.sqlite_usage import SqliteUsage
from invoicekit.errors import ConfigurationError, InvoiceKitError, StorageError
from invoicekit.ports import Transaction
from invoicekit.serialization import make_converter

__all__ = ["SqliteStorage"]


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
