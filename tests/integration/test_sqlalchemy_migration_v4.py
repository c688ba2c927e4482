"""Alembic revision 0004: the payment tables are added in place; a database at 0003 keeps its data.

On PostgreSQL and SQLite.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from integration.test_sqlalchemy_migration_v2 import (  # noqa: F401 - fixtures by name
    at_revision,
    empty_url,
    pg_schema,
)
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.errors import StorageError
from invoicekit.testing.contracts.storage_payments import event_record, token_record
from pg import pg_url  # noqa: F401


def test_a_database_at_0003_is_upgraded_in_place(
    empty_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    url = empty_url
    at_revision(url, "0003", "INSERT INTO sellers (id, doc) VALUES ('s-0', '{}')")
    with pytest.raises(StorageError, match=r"revision 0003.*needs revision 0012"):
        SqlAlchemyStorage(url, migrate=False)
    storage = SqlAlchemyStorage(url)
    try:
        with storage.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT id FROM sellers")).all() == [("s-0",)]
            revision = conn.execute(
                sa.text("SELECT version_num FROM invoicekit_alembic_version")
            ).scalar_one()
        assert revision == "0012"
        with storage.transaction() as tx:
            assert tx.provider_events.add(event_record("evt-1")) is True
            assert tx.provider_events.add(event_record("evt-1")) is False
            tx.pay_tokens.add(token_record("a" * 64))
        with storage.transaction(write=False) as tx:
            assert [e.event_id for e in tx.provider_events.list("s-1")] == ["evt-1"]
            assert tx.pay_tokens.get("a" * 64) == token_record("a" * 64)
    finally:
        storage.close()
