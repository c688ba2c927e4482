"""Alembic revision 0007: handler cursors and the outbox's transaction ids; stored rows stay readable.

On PostgreSQL and SQLite: an outbox record written at 0006 is in the event feed after
the upgrade (on PostgreSQL with the migration's transaction id), and cursors save.
"""

from __future__ import annotations

import time

import pytest

from integration.test_sqlalchemy_migration_v2 import (  # noqa: F401 - fixtures by name
    at_revision,
    empty_url,
    pg_schema,
)
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.errors import StorageError
from invoicekit.ports import HandlerCursor
from pg import pg_url  # noqa: F401

_ROW = (
    "INSERT INTO outbox (key, seller_id, invoice_id, kind, payload, created_at, attempts) "
    "VALUES ('k-old', 's-1', 'i-1', 'InvoicePaid', "
    """'{"type":"InvoicePaid","invoice_id":"i-1","at":"2026-03-01T09:00:00+00:00"}', """
    "'2026-03-01T09:00:00+00:00', 0)"
)
#: Longest wait for other clients' transactions to end (PostgreSQL's horizon is server-wide).
PATIENCE = 30.0


def test_a_database_at_0006_gets_cursors_and_keeps_its_outbox(
    empty_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    url = empty_url
    at_revision(url, "0006", _ROW)
    with pytest.raises(StorageError, match=r"revision 0006.*needs revision 0012"):
        SqlAlchemyStorage(url, migrate=False)
    storage = SqlAlchemyStorage(url)
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            with storage.transaction(write=False) as tx:
                found = tx.event_feed.read(epoch=0, position=0, limit=10)
            if found or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert [r.key for _, r in found] == ["k-old"]
        with storage.transaction() as tx:
            tx.event_feed.save_cursor(HandlerCursor(name="crm"), expected_version=0)
        with storage.transaction(write=False) as tx:
            assert [c.name for c in tx.event_feed.cursors()] == ["crm"]
    finally:
        storage.close()
