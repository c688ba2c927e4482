"""Alembic revision 0008: credit_notes.invoice_id may be NULL; stored credit notes stay.

On PostgreSQL and SQLite: a credit note row written at 0007 is kept by the upgrade, and
a credit note of no invoice (issue 18's standalone credit note) can be stored after it.
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
from pg import pg_url  # noqa: F401

_ROW = (
    "INSERT INTO credit_notes (seller_id, id, invoice_id, number, issued_at, doc) "
    "VALUES ('s-1', 'cn-old', 'i-1', 'CN-1', '2026-03-01T09:00:00+00:00', '{}')"
)
_NULL = (
    "INSERT INTO credit_notes (seller_id, id, invoice_id, number, issued_at, doc) "
    "VALUES ('s-1', 'cn-new', NULL, 'CN-2', '2026-03-02T09:00:00+00:00', '{}')"
)


def test_a_database_at_0007_keeps_its_credit_notes_and_takes_standalone_ones(
    empty_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    url = empty_url
    at_revision(url, "0007", _ROW)
    engine = sa.create_engine(url)
    try:
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(sa.text(_NULL))  # refused before the upgrade
        with pytest.raises(StorageError, match=r"revision 0007.*needs revision 0012"):
            SqlAlchemyStorage(url, migrate=False)
        SqlAlchemyStorage(url).close()
        with engine.begin() as conn:
            conn.execute(sa.text(_NULL))
            rows = conn.execute(
                sa.text("SELECT id, invoice_id FROM credit_notes ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [("cn-new", None), ("cn-old", "i-1")]
