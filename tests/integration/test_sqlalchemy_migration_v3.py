"""Alembic revision 0003: message keys unique per seller; a database at 0002 keeps its messages.

On PostgreSQL and SQLite (where the table is copied, AUTOINCREMENT kept).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

import pytest
import sqlalchemy as sa

from integration.test_sqlalchemy_migration_v2 import (  # noqa: F401 - fixtures by name
    at_revision,
    empty_url,
    pg_schema,
)
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.errors import StorageError
from invoicekit.ports import MessageStatus
from invoicekit.testing.contracts.storage_messages import message
from pg import pg_url  # noqa: F401

AT: Final = datetime(2026, 3, 1, 9, tzinfo=UTC)
KEY: Final = "order-1042:invoice:1:email"
_AT: Final = AT.isoformat(timespec="microseconds")
#: Two messages of seller s-1 as revision 0002 stored them: one queued, one sent.
_ROWS: Final = tuple(
    "INSERT INTO messages (key, seller_id, customer_id, invoice_id, kind, step, channel, "  # noqa: S608 - constants only
    f"recipient, status, attempts, created_at, next_attempt_at, sent_at) VALUES ('{key}', "
    f"'s-1', 'c-1', 'order-1042', 'invoice', '1', 'email', 'r', '{status}', {attempts}, "
    f"'{_AT}', '{_AT}', {sent_at})"
    for key, status, attempts, sent_at in (
        (KEY, "queued", 0, "NULL"),
        ("order-1042:invoice:2:email", "sent", 1, f"'{_AT}'"),
    )
)


def _rows(engine: sa.Engine) -> list[tuple[object, ...]]:
    """Every stored message row, every column, in position order."""
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT * FROM messages ORDER BY position")).all()
    return [tuple(row) for row in found]


def test_a_database_at_0002_keeps_its_messages_and_takes_a_key_under_another_seller(
    empty_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    url = empty_url
    at_revision(url, "0002", *_ROWS)
    with pytest.raises(StorageError, match=r"revision 0002.*needs revision 0012"):
        SqlAlchemyStorage(url, migrate=False)
    engine = sa.create_engine(url)
    try:
        before = _rows(engine)
    finally:
        engine.dispose()
    assert len(before) == len(_ROWS)

    storage = SqlAlchemyStorage(url)
    try:
        assert _rows(storage.engine) == before
        with storage.engine.connect() as conn:
            revision = conn.execute(
                sa.text("SELECT version_num FROM invoicekit_alembic_version")
            ).scalar_one()
            if url.startswith("sqlite"):
                created = conn.execute(
                    sa.text("SELECT sql FROM sqlite_master WHERE name = 'messages'")
                ).scalar_one()
                assert "AUTOINCREMENT" in created
        assert revision == "0012"
        with storage.transaction() as tx:
            added = tx.messages.enqueue(
                [
                    message("s-2", KEY, invoice_id="order-1042"),
                    message("s-1", KEY, invoice_id="order-1042"),
                ]
            )
        assert [(m.seller_id, m.key) for m in added] == [("s-2", KEY)]
        assert (added[0].position or 0) > len(before)
        with storage.transaction(write=False) as tx:
            assert [(m.key, m.status) for m in tx.messages.list("s-1")] == [
                (KEY, MessageStatus.QUEUED),
                ("order-1042:invoice:2:email", MessageStatus.SENT),
            ]
            assert tx.messages.get("s-2", KEY).recipient == "ap@globex.example"
    finally:
        storage.close()
