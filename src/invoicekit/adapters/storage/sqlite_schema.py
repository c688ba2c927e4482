"""The SQLite side of ``SqliteStorage``: the schema, its migrations, and the driver boundary.

``meta.schema_version`` says which migrations a file has had; each migration
runs in its own transaction, so a crash leaves the old or the new schema, never
half of one. ``Session`` is the only code that calls ``sqlite3``, and
``translate`` the one place a ``sqlite3`` exception becomes an invoicekit error
(``ConcurrencyError``, ``DuplicateError`` or ``StorageError``), so none escapes.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

import cattrs

from invoicekit.adapters.storage.sqlite_reports import ENTRIES_SCHEMA, backfill_entries
from invoicekit.adapters.storage.sqlite_summaries import backfill_summaries
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
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Session",
    "check_version",
    "connect",
    "migrate",
    "read_version",
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

_V1: Final = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE sellers (id TEXT PRIMARY KEY, doc TEXT NOT NULL)",
    """CREATE TABLE customers (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, archived INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id))""",
    """CREATE TABLE invoices (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, customer_id TEXT NOT NULL,
        status TEXT NOT NULL, series TEXT NOT NULL, number TEXT, issue_date TEXT,
        due_date TEXT, version INTEGER NOT NULL, content_hash TEXT, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id), UNIQUE (seller_id, number))""",
    # Both end with the order of find() (issue date, id), so a page is sorted from the
    # index alone and only its rows' documents are read (15x faster on 100k invoices).
    "CREATE INDEX invoices_status_due ON invoices (seller_id, status, due_date, issue_date, id)",
    """CREATE INDEX invoices_customer
        ON invoices (seller_id, customer_id, status, due_date, issue_date, id)""",
    """CREATE TABLE credit_notes (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, invoice_id TEXT NOT NULL,
        number TEXT NOT NULL, issued_at TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id), UNIQUE (seller_id, number))""",
    "CREATE INDEX credit_notes_invoice ON credit_notes (seller_id, invoice_id)",
    """CREATE TABLE sequences (
        seller_id TEXT NOT NULL, series TEXT NOT NULL, period TEXT NOT NULL,
        next_value INTEGER NOT NULL, PRIMARY KEY (seller_id, series, period))""",
    """CREATE TABLE outbox (
        position INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
        seller_id TEXT NOT NULL, invoice_id TEXT, kind TEXT NOT NULL, payload TEXT NOT NULL,
        created_at TEXT NOT NULL, delivered_at TEXT, attempts INTEGER NOT NULL,
        last_error TEXT)""",
    "CREATE INDEX outbox_seller ON outbox (seller_id, invoice_id)",
    "CREATE INDEX outbox_pending ON outbox (delivered_at, position)",
    """CREATE TABLE idempotency (
        seller_id TEXT NOT NULL, key TEXT NOT NULL, fingerprint TEXT NOT NULL,
        operation TEXT NOT NULL, result TEXT NOT NULL, created_at TEXT NOT NULL,
        PRIMARY KEY (seller_id, key))""",
)

# Messages and in-app inboxes. The times claim compares (next_attempt_at,
# lease_expires_at) are UTC text of one fixed width, so text order is time order.
_V2: Final = (
    """CREATE TABLE messages (
        position INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
        seller_id TEXT NOT NULL, customer_id TEXT NOT NULL, invoice_id TEXT, subject_id TEXT,
        kind TEXT NOT NULL, step TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,
        created_at TEXT NOT NULL, next_attempt_at TEXT NOT NULL, lease_owner TEXT,
        lease_expires_at TEXT, sent_at TEXT, provider_id TEXT)""",
    # claim: queued and due, or sending with an expired lease; each read in time order.
    "CREATE INDEX messages_due ON messages (status, next_attempt_at)",
    "CREATE INDEX messages_lease ON messages (status, lease_expires_at)",
    "CREATE INDEX messages_seller ON messages (seller_id, position)",
    "CREATE INDEX messages_invoice ON messages (seller_id, invoice_id, position)",
    # ``position`` breaks ties between items of one time: the later put comes first.
    """CREATE TABLE inbox (
        position INTEGER PRIMARY KEY AUTOINCREMENT, seller_id TEXT NOT NULL,
        key TEXT NOT NULL, customer_id TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,
        text TEXT NOT NULL, html TEXT, url TEXT, invoice_id TEXT, created_at TEXT NOT NULL,
        read_at TEXT, UNIQUE (seller_id, key))""",
    # Newest first per customer, and the unread count, from the index alone.
    "CREATE INDEX inbox_customer ON inbox (seller_id, customer_id, created_at, position)",
    "CREATE INDEX inbox_unread ON inbox (seller_id, customer_id, read_at)",
)

_MESSAGE_COLUMNS: Final = (
    "position, key, seller_id, customer_id, invoice_id, subject_id, kind, step, channel, "
    "recipient, status, attempts, last_error, created_at, next_attempt_at, lease_owner, "
    "lease_expires_at, sent_at, provider_id"
)

# Message keys are unique per seller, not per file: two sellers may have an invoice with
# the same id. SQLite cannot drop a constraint, so the table is copied into a new one
# (rows, positions and keys unchanged); messages are never deleted, so AUTOINCREMENT
# carries on after the largest position copied.
_V3: Final = (
    """CREATE TABLE messages_v3 (
        position INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL,
        seller_id TEXT NOT NULL, customer_id TEXT NOT NULL, invoice_id TEXT, subject_id TEXT,
        kind TEXT NOT NULL, step TEXT NOT NULL, channel TEXT NOT NULL, recipient TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,
        created_at TEXT NOT NULL, next_attempt_at TEXT NOT NULL, lease_owner TEXT,
        lease_expires_at TEXT, sent_at TEXT, provider_id TEXT, UNIQUE (seller_id, key))""",
    f"INSERT INTO messages_v3 ({_MESSAGE_COLUMNS}) SELECT {_MESSAGE_COLUMNS} FROM messages",  # noqa: S608 - constants only
    "DROP TABLE messages",
    "ALTER TABLE messages_v3 RENAME TO messages",
    *(s for s in _V2 if s.startswith("CREATE INDEX messages_")),
)

# Getting paid (issue 14): providers' notifications (the webhook dedupe, T17), checkout
# sessions and pay-link tokens (stored hashed, T36). Amounts are decimal text; times
# are UTC text of one fixed width, as in messages. New tables only: an in-place upgrade.
_V4: Final = (
    """CREATE TABLE provider_events (
        position INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL,
        event_id TEXT NOT NULL, seller_id TEXT NOT NULL, invoice_id TEXT, payment_ref TEXT,
        kind TEXT NOT NULL, type TEXT NOT NULL, amount TEXT, currency TEXT, reason TEXT,
        code TEXT, refund_ref TEXT, occurred_at TEXT, received_at TEXT NOT NULL,
        outcome TEXT NOT NULL, raw BLOB NOT NULL, UNIQUE (provider, event_id))""",
    """CREATE INDEX provider_events_payment
        ON provider_events (seller_id, provider, payment_ref, position)""",
    "CREATE INDEX provider_events_invoice ON provider_events (seller_id, invoice_id, position)",
    """CREATE TABLE checkout_sessions (
        position INTEGER PRIMARY KEY AUTOINCREMENT, provider TEXT NOT NULL, ref TEXT NOT NULL,
        seller_id TEXT NOT NULL, invoice_id TEXT NOT NULL, key TEXT NOT NULL,
        amount TEXT NOT NULL, currency TEXT NOT NULL, url TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT, state TEXT NOT NULL,
        UNIQUE (provider, ref))""",
    "CREATE INDEX checkout_sessions_invoice ON checkout_sessions (seller_id, invoice_id, state)",
    "CREATE INDEX checkout_sessions_key ON checkout_sessions (seller_id, key, position)",
    """CREATE TABLE pay_tokens (
        token_hash TEXT PRIMARY KEY, seller_id TEXT NOT NULL, invoice_id TEXT NOT NULL,
        customer_id TEXT NOT NULL, message_key TEXT, created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL)""",
)

# Recurring invoices (issue 15): templates as documents, with how far each has billed.
# The invoices each period generates carry ids derived from (seller, template, period
# index), so the invoices' primary key makes generation exactly once. A new table only.
_V5: Final = (
    """CREATE TABLE recurring_templates (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, customer_id TEXT NOT NULL,
        status TEXT NOT NULL, version INTEGER NOT NULL, last_index INTEGER,
        to_issue TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id))""",
    "CREATE INDEX recurring_templates_customer ON recurring_templates (seller_id, customer_id)",
)

# Event handlers (issue 15): how far each in-process handler got through the outbox.
# The outbox's position is commit order here (one writer), so the epoch stays 0.
_V6: Final = (
    """CREATE TABLE event_cursors (
        name TEXT PRIMARY KEY, epoch INTEGER NOT NULL, position INTEGER NOT NULL,
        attempts INTEGER NOT NULL, next_attempt_at TEXT, parked_at TEXT, last_error TEXT,
        version INTEGER NOT NULL)""",
)

# Standalone credit notes (issue 18): a credit note may credit no stored invoice, so
# credit_notes.invoice_id may be NULL. SQLite cannot drop NOT NULL: the table is rebuilt.
_V7: Final = (
    """CREATE TABLE credit_notes_v7 (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, invoice_id TEXT,
        number TEXT NOT NULL, issued_at TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id), UNIQUE (seller_id, number))""",
    """INSERT INTO credit_notes_v7
        SELECT seller_id, id, invoice_id, number, issued_at, doc FROM credit_notes""",
    "DROP TABLE credit_notes",
    "ALTER TABLE credit_notes_v7 RENAME TO credit_notes",
    "CREATE INDEX credit_notes_invoice ON credit_notes (seller_id, invoice_id)",
)

# Subscriptions and usage (issue 16): plans and coupons as documents; subscriptions as
# documents with their billing progress in columns; usage records append-only, built for
# volume: quantity INTEGER scaled by 10**6 (exact sums), times INTEGER microseconds UTC,
# properties JSON text (NULL without any). New tables only: an in-place upgrade.
_V8: Final = (
    """CREATE TABLE plans (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (seller_id, id))""",
    """CREATE TABLE coupons (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (seller_id, id))""",
    """CREATE TABLE subscriptions (
        seller_id TEXT NOT NULL, id TEXT NOT NULL, customer_id TEXT NOT NULL,
        status TEXT NOT NULL, version INTEGER NOT NULL, last_index INTEGER,
        to_issue TEXT NOT NULL, billed TEXT NOT NULL, usage_billed_until TEXT,
        finished INTEGER NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, id))""",
    "CREATE INDEX subscriptions_customer ON subscriptions (seller_id, customer_id)",
    "CREATE INDEX subscriptions_billing ON subscriptions (finished, seller_id, id)",
    """CREATE TABLE usage_records (
        seller_id TEXT NOT NULL, key TEXT NOT NULL, subscription_id TEXT NOT NULL,
        meter TEXT NOT NULL, quantity INTEGER NOT NULL, at INTEGER NOT NULL,
        received_at INTEGER NOT NULL, properties TEXT, UNIQUE (seller_id, key))""",
    """CREATE INDEX usage_records_period
        ON usage_records (seller_id, subscription_id, meter, at, key, quantity)""",
    """CREATE INDEX usage_records_received
        ON usage_records (seller_id, subscription_id, received_at)""",
)

# Receivables reports (issue 17): each issued invoice's dated entries (reports.ledger),
# written with the invoice; the existing invoices' entries are computed from their documents.
_V9: Final = (*ENTRIES_SCHEMA, backfill_entries)

# Live receivables summaries (issue 17, sqlite_summaries.py): per client and per day,
# kept by every invoice save; the invoices already stored are summed once here.
_V10: Final = (
    """CREATE TABLE summary_clients (
        seller_id TEXT NOT NULL, customer_id TEXT NOT NULL, currency TEXT NOT NULL,
        name TEXT NOT NULL, search TEXT NOT NULL, open INTEGER NOT NULL,
        credit INTEGER NOT NULL, invoiced INTEGER NOT NULL, invoices INTEGER NOT NULL,
        open_invoices INTEGER NOT NULL, PRIMARY KEY (seller_id, customer_id, currency))""",
    "CREATE INDEX summary_clients_open ON summary_clients (seller_id, open)",
    "CREATE INDEX summary_clients_search ON summary_clients (seller_id, search)",
    """CREATE TABLE summary_days (
        seller_id TEXT NOT NULL, customer_id TEXT NOT NULL, currency TEXT NOT NULL,
        kind TEXT NOT NULL, day TEXT NOT NULL, amount INTEGER NOT NULL,
        PRIMARY KEY (seller_id, customer_id, currency, kind, day)) WITHOUT ROWID""",
    """CREATE TABLE summary_parts (
        seller_id TEXT NOT NULL, invoice_id TEXT NOT NULL, parts TEXT NOT NULL,
        PRIMARY KEY (seller_id, invoice_id)) WITHOUT ROWID""",
    backfill_summaries,
)

# Customers' coupons (sqlite_customer_coupons.py): a new table, an in-place upgrade.
_V11: Final = (
    """CREATE TABLE customer_coupons (
        seller_id TEXT NOT NULL, customer_id TEXT NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (seller_id, customer_id))""",
)

#: Every migration in order: ``MIGRATIONS[n]`` takes a file from version n to n + 1; a step
#: is a statement or a function of the connection (a backfill computed in Python).
MIGRATIONS: Final[tuple[tuple[str | Callable[[sqlite3.Connection], None], ...], ...]] = (
    _V1,
    _V2,
    _V3,
    _V4,
    _V5,
    _V6,
    _V7,
    _V8,
    _V9,
    _V10,
    _V11,
)
#: The schema version this code writes and reads.
SCHEMA_VERSION: Final = len(MIGRATIONS)

_UNIQUE: Final = frozenset({sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY})


def read_version(conn: sqlite3.Connection, path: str) -> int | None:
    """The file's schema version; None for an empty database (nothing created yet).

    Raises StorageError when the file holds tables but is not an invoicekit database.
    """
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        return None
    row = None
    if "meta" in tables:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if row is None or not str(row[0]).isdigit():
        raise StorageError(
            f"{path} is an SQLite database but not an invoicekit one (it has no "
            "meta.schema_version); pass the path of an invoicekit database or of a new file"
        )
    return int(row[0])


def _too_new(path: str, found: int) -> StorageError:
    return StorageError(
        f"{path} has schema version {found}, but this invoicekit supports versions up to "
        f"{SCHEMA_VERSION}; upgrade invoicekit to open it (never open it with an older version)"
    )


def check_version(conn: sqlite3.Connection, path: str) -> None:
    """Refuse a file whose schema this code cannot use as it is (StorageError says what to do)."""
    found = read_version(conn, path)
    if found is None:
        raise StorageError(
            f"{path} has no invoicekit schema yet; create it with SqliteStorage.open({path!r})"
        )
    if found > SCHEMA_VERSION:
        raise _too_new(path, found)
    if found < SCHEMA_VERSION:
        raise StorageError(
            f"{path} has schema version {found} and this invoicekit needs {SCHEMA_VERSION}; "
            f"migrate it by opening it once with SqliteStorage.open({path!r})"
        )


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Create or upgrade the schema, one migration per transaction; return the final version.

    Safe when several processes open the same file at once: each migration starts
    with ``BEGIN IMMEDIATE`` and re-reads the version under the write lock.
    Raises StorageError for a newer or foreign file; ``sqlite3`` errors propagate
    (the caller translates them).
    """
    while True:
        conn.execute("BEGIN IMMEDIATE")
        try:
            found = read_version(conn, path) or 0
            if found > SCHEMA_VERSION:
                raise _too_new(path, found)
            if found == SCHEMA_VERSION:
                conn.execute("COMMIT")
                return found
            for statement in MIGRATIONS[found]:
                if callable(statement):
                    statement(conn)
                else:
                    conn.execute(statement)
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(found + 1),),
            )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise


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
