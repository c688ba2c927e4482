"""Alembic revision 0006: recurring templates; a database at 0005 keeps its rows.

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
from invoicekit.testing.contracts.storage_recurring import template_record
from pg import pg_url  # noqa: F401

_ROW = "INSERT INTO sellers (id, doc) VALUES ('s-0', '{}')"


def test_a_database_at_0005_gets_the_recurring_table_and_keeps_its_rows(
    empty_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    url = empty_url
    at_revision(url, "0005", _ROW)
    with pytest.raises(StorageError, match=r"revision 0005.*needs revision 0012"):
        SqlAlchemyStorage(url, migrate=False)
    storage = SqlAlchemyStorage(url)
    try:
        with storage.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id FROM sellers")).all()
        assert [tuple(r) for r in rows] == [("s-0",)]
        with storage.transaction() as tx:
            tx.recurring.add(template_record("t-1"))
        with storage.transaction(write=False) as tx:
            assert tx.recurring.get("s-1", "t-1") == template_record("t-1")
    finally:
        storage.close()
