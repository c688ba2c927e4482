"""The SQLite side of ``SqliteStorage``: the schema, its migrations, and the driver boundary.

``meta.schema_version`` says which migrations a file has had; each migration
runs in its own transaction, so a crash leaves the old or the new schema, never
half of one. ``Session`` is the only code that calls ``sqlite3``, and
``translate`` the one place a ``sqlite3`` exception becomes an invoicekit error
(``ConcurrencyError``, ``DuplicateError`` or ``StorageError``), so none escapes.

The driver boundary (``Session``, ``connect``, ``translate``) is in sqlite_session
and the first eight versions' statements in sqlite_schema_v1_v8; both are
re-exported or listed here, where a new schema version is added.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Final

from invoicekit.adapters.storage.sqlite_reports import ENTRIES_SCHEMA, backfill_entries
from invoicekit.adapters.storage.sqlite_schema_v1_v8 import (
    _V1,
    _V2,
    _V3,
    _V4,
    _V5,
    _V6,
    _V7,
    _V8,
)
from invoicekit.adapters.storage.sqlite_session import (
    DECODE_ERRORS,
    Row,
    Session,
    connect,
    translate,
)
from invoicekit.adapters.storage.sqlite_summaries import backfill_summaries
from invoicekit.errors import StorageError

__all__ = [
    "DECODE_ERRORS",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Row",
    "Session",
    "check_version",
    "connect",
    "migrate",
    "read_version",
    "translate",
]


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
