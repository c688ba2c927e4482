"""Schema version 3: message keys unique per seller; a version-2 file keeps every message."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import pytest

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.adapters.storage.sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from invoicekit.errors import StorageError
from invoicekit.ports import MessageStatus
from invoicekit.testing.contracts.storage_messages import message

AT: Final = datetime(2026, 3, 1, 9, tzinfo=UTC)
KEY: Final = "order-1042:invoice:1:email"
#: (key, status, attempts, sent_at) of the messages the version-2 file holds, all seller s-1's.
STORED: Final = (
    (KEY, "queued", 0, None),
    ("order-7:reminder:2026-03-01:sms", "sent", 1, "2026-03-01T09:00:05.000000+00:00"),
    ("order-7:invoice:1:webhook", "failed", 8, None),
)


def _version_two_file(path: Path) -> None:
    """A file as invoicekit with schema version 2 left it: three messages and an inbox item."""
    conn = sqlite3.connect(path, isolation_level=None)
    at = AT.isoformat(timespec="microseconds")
    try:
        for statement in (*MIGRATIONS[0], *MIGRATIONS[1]):
            conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '2')")
        for key, status, attempts, sent_at in STORED:
            invoice_id, _, _, channel = key.split(":")
            conn.execute(
                "INSERT INTO messages (key, seller_id, customer_id, invoice_id, kind, step, "
                "channel, recipient, status, attempts, created_at, next_attempt_at, sent_at) "
                "VALUES (?, 's-1', 'c-1', ?, 'invoice', '1', ?, 'r', ?, ?, ?, ?, ?)",
                (key, invoice_id, channel, status, attempts, at, at, sent_at),
            )
        conn.execute(
            "INSERT INTO inbox (seller_id, key, customer_id, kind, title, text, created_at) "
            "VALUES ('s-1', 'order-1042:invoice:1:in_app', 'c-1', 'invoice', 't', 'x', ?)",
            (at,),
        )
    finally:
        conn.close()


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _unique_indexes(path: Path) -> list[list[str]]:
    """The columns of each unique index of the messages table."""
    conn = sqlite3.connect(path)
    try:
        names = [row[1] for row in conn.execute("PRAGMA index_list(messages)") if row[2]]
        return sorted(
            [row[2] for row in conn.execute(f"PRAGMA index_info({name!r})")] for name in names
        )
    finally:
        conn.close()


def test_version_three_is_the_latest() -> None:
    assert SCHEMA_VERSION >= 3
    assert any("UNIQUE (seller_id, key)" in statement for statement in MIGRATIONS[2])


def test_a_version_two_file_is_refused_until_opened(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    _version_two_file(path)
    unmigrated = SqliteStorage(path)
    try:
        with (
            pytest.raises(
                StorageError,
                match=rf"schema version 2 .* needs {SCHEMA_VERSION}.*SqliteStorage\.open",
            ),
            unmigrated.transaction(write=False) as tx,
        ):
            tx.messages.list("s-1")
    finally:
        unmigrated.close()
    assert _unique_indexes(path) == [["key"]]


def test_a_version_two_file_keeps_its_messages_and_takes_a_key_under_another_seller(
    tmp_path: Path,
) -> None:
    path = tmp_path / "v2.db"
    _version_two_file(path)
    before = _query(path, "SELECT * FROM messages ORDER BY position")
    inbox_before = _query(path, "SELECT * FROM inbox")

    storage = SqliteStorage.open(path)
    try:
        assert _query(path, "SELECT * FROM messages ORDER BY position") == before
        assert _query(path, "SELECT * FROM inbox") == inbox_before
        assert _query(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
            (str(SCHEMA_VERSION),)
        ]
        assert _unique_indexes(path) == [["seller_id", "key"]]
        with storage.transaction(write=False) as tx:
            stored = tx.messages.list("s-1")
        assert [(m.key, m.status.value, m.attempts) for m in stored] == [
            (key, status, attempts) for key, status, attempts, _ in STORED
        ]
        assert [m.position for m in stored] == [1, 2, 3]

        with storage.transaction() as tx:
            added = tx.messages.enqueue(
                [
                    message("s-2", KEY, invoice_id="order-1042"),
                    message("s-1", KEY, invoice_id="order-1042"),
                ]
            )
        assert [(m.seller_id, m.key, m.position) for m in added] == [("s-2", KEY, 4)]
        with storage.transaction(write=False) as tx:
            assert tx.messages.get("s-1", KEY).recipient == "r"
            assert tx.messages.get("s-2", KEY).status is MessageStatus.QUEUED
            assert tx.inbox.unread_count("s-1", "c-1") == 1
    finally:
        storage.close()
