"""Schema version 6: the event handlers' cursors table is added in place; the outbox stays readable."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.adapters.storage.sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from invoicekit.ports import HandlerCursor


def _version_five_file(path: Path) -> None:
    """A file as invoicekit with schema version 5 left it, with one outbox record in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for migration in MIGRATIONS[:5]:
            for statement in migration:
                conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '5')")
        conn.execute(
            "INSERT INTO outbox (key, seller_id, invoice_id, kind, payload, created_at, attempts) "
            "VALUES ('k-old', 's-1', 'i-1', 'InvoicePaid', "
            """'{"type":"InvoicePaid","invoice_id":"i-1","at":"2026-03-01T09:00:00+00:00"}', """
            "'2026-03-01T09:00:00+00:00', 0)"
        )
    finally:
        conn.close()


def test_version_six_adds_the_event_cursors_table() -> None:
    assert SCHEMA_VERSION >= 6  # later versions add tables of their own
    assert "CREATE TABLE event_cursors" in " ".join(MIGRATIONS[5])


def test_a_version_five_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    _version_five_file(path)
    storage = SqliteStorage.open(path)
    try:
        with storage.transaction(write=False) as tx:
            assert [r.key for _, r in tx.event_feed.read(epoch=0, position=0, limit=10)] == [
                "k-old"
            ]
            assert tx.event_feed.end() == (0, 1)
        with storage.transaction() as tx:
            tx.event_feed.save_cursor(HandlerCursor(name="crm", position=1), expected_version=0)
        with storage.transaction(write=False) as tx:
            assert tx.event_feed.cursor("crm") == HandlerCursor(name="crm", position=1, version=1)
    finally:
        storage.close()
