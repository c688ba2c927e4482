"""Schema version 2 (messages, inbox): a version-1 file migrates on open and keeps its data."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.adapters.storage.sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from invoicekit.errors import StorageError
from invoicekit.ports import InboxItem, MessageRecord, MessageStatus

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _version_one_file(path: Path) -> None:
    """A file as invoicekit with schema version 1 left it, with a seller in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
        conn.execute("INSERT INTO sellers (id, doc) VALUES ('s-raw', '{}')")
    finally:
        conn.close()


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {row[0] for row in rows}
    finally:
        conn.close()


def test_version_two_adds_messages_and_inbox() -> None:
    created = " ".join(MIGRATIONS[1])
    assert "CREATE TABLE messages" in created
    assert "CREATE TABLE inbox" in created


def test_a_version_one_file_is_refused_until_opened_then_migrated(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    _version_one_file(path)
    unmigrated = SqliteStorage(path)
    with (
        pytest.raises(
            StorageError, match=rf"schema version 1 .* needs {SCHEMA_VERSION}.*SqliteStorage\.open"
        ),
        unmigrated.transaction(write=False) as tx,
    ):
        tx.sellers.list()
    unmigrated.close()
    assert "messages" not in _tables(path)

    storage = SqliteStorage.open(path)
    try:
        assert {"messages", "inbox"} <= _tables(path)
        with storage.transaction() as tx:
            added = tx.messages.enqueue(
                [
                    MessageRecord(
                        key="i-1:invoice:1:email",
                        seller_id="s-raw",
                        customer_id="c-1",
                        kind="invoice",
                        step="1",
                        channel="email",
                        recipient="ap@example.org",
                        created_at=AT,
                        next_attempt_at=AT,
                    )
                ]
            )
            assert tx.inbox.put(
                InboxItem(
                    key="i-1:invoice:1:in_app",
                    seller_id="s-raw",
                    customer_id="c-1",
                    kind="invoice",
                    title="Invoice",
                    text="Due soon.",
                    created_at=AT,
                )
            )
        assert added[0].position == 1
    finally:
        storage.close()

    conn = sqlite3.connect(path)
    try:
        assert conn.execute("SELECT id FROM sellers").fetchall() == [("s-raw",)]
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(SCHEMA_VERSION),)
    finally:
        conn.close()
    again = SqliteStorage.open(path)  # already at the latest version: nothing to do, nothing lost
    try:
        with again.transaction(write=False) as tx:
            message = tx.messages.get("s-raw", "i-1:invoice:1:email")
            assert message.status is MessageStatus.QUEUED
            assert tx.inbox.unread_count("s-raw", "c-1") == 1
    finally:
        again.close()
