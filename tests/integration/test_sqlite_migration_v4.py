"""Schema version 4: the payment tables are added in place; a version-3 file keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.adapters.storage.sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from invoicekit.testing.contracts.storage_builders import seller
from invoicekit.testing.contracts.storage_payments import event_record, token_record


def _version_three_file(path: Path) -> None:
    """A file as invoicekit with schema version 3 left it, with one seller in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in (*MIGRATIONS[0], *MIGRATIONS[1], *MIGRATIONS[2]):
            conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '3')")
        conn.execute("INSERT INTO sellers (id, doc) VALUES ('s-0', '{}')")
    finally:
        conn.close()


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_version_four_adds_the_payment_tables() -> None:
    assert SCHEMA_VERSION >= 4
    created = " ".join(MIGRATIONS[3])
    for table in ("provider_events", "checkout_sessions", "pay_tokens"):
        assert f"CREATE TABLE {table}" in created
    assert "UNIQUE (provider, event_id)" in created


def test_a_version_three_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v3.db"
    _version_three_file(path)
    before = _query(path, "SELECT * FROM sellers")
    storage = SqliteStorage.open(path)
    try:
        assert _query(path, "SELECT * FROM sellers") == before
        assert _query(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
            (str(SCHEMA_VERSION),)
        ]
        with storage.transaction() as tx:
            tx.sellers.add(seller("s-1"))
            assert tx.provider_events.add(event_record("evt-1")) is True
            tx.pay_tokens.add(token_record("a" * 64))
        with storage.transaction(write=False) as tx:
            assert [e.event_id for e in tx.provider_events.list("s-1")] == ["evt-1"]
            assert tx.pay_tokens.get("a" * 64) == token_record("a" * 64)
    finally:
        storage.close()
