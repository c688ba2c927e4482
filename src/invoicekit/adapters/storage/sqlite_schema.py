"""The SQLite schema of ``SqliteStorage``: its tables, its migrations and the driver boundary.

``meta.schema_version`` says which migrations a file has had; each migration
runs in its own transaction, so a crash leaves the old or the new schema, never
half of one. ``translate`` is the one place a ``sqlite3`` exception becomes an
invoicekit error (``ConcurrencyError``, ``DuplicateError`` or ``StorageError``).
"""

from __future__ import annotations

import sqlite3
from typing import Final

from invoicekit.errors import ConcurrencyError, DuplicateError, StorageError

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "check_version", "migrate", "read_version", "translate"]

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
    "CREATE INDEX invoices_status_due ON invoices (seller_id, status, due_date)",
    "CREATE INDEX invoices_customer ON invoices (seller_id, customer_id)",
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

#: Every migration in order: ``MIGRATIONS[n]`` takes a file from version n to n + 1.
MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (_V1,)
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
    if primary == sqlite3.SQLITE_FULL:
        return StorageError(
            f"{where}: the disk or the database's size limit is full ({text}); "
            "free space or raise the limit, then retry"
        )
    if primary == sqlite3.SQLITE_READONLY:
        return StorageError(
            f"{where}: the database is read-only ({text}); open it writable "
            "(not read_only=True, with write permission on the file and its folder)"
        )
    if primary in {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}:
        return StorageError(
            f"{where}: the file is corrupt or not an SQLite database ({text}); "
            "restore it from a backup or pass the right path"
        )
    if primary == sqlite3.SQLITE_CANTOPEN:
        return StorageError(
            f"{where}: the file cannot be opened ({text}); check that its folder exists "
            "and is readable and writable"
        )
    if primary == sqlite3.SQLITE_IOERR:
        return StorageError(f"{where}: disk I/O error ({text}); check the disk, then retry")
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    return StorageError(f"{where}: {name}: {text}")
