"""Alembic revision 0009: plans, coupons, subscriptions and usage_records; old rows stay.

On PostgreSQL and SQLite: a recurring template written at 0008 is kept by the
upgrade, and subscriptions and usage can be stored after it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa

from integration.test_sqlalchemy_migration_v2 import (  # noqa: F401 - fixtures by name
    at_revision,
    empty_url,
    pg_schema,
)
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.domain.usage import Aggregation, Usage, UsageRecord
from invoicekit.errors import StorageError
from invoicekit.ports import UsageQuery
from invoicekit.testing.contracts.storage_subscriptions import subscription_record
from pg import pg_url  # noqa: F401

_ROW = (
    "INSERT INTO recurring_templates (seller_id, id, customer_id, status, version, last_index, "
    "to_issue, created_at, doc) VALUES ('s-1', 't-old', 'c-1', 'active', 3, 2, '[]', "
    "'2026-03-01T09:00:00.000000+00:00', '{}')"
)
_AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_a_database_at_0008_keeps_its_rows_and_takes_subscriptions(
    empty_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    url = empty_url
    at_revision(url, "0008", _ROW)
    with pytest.raises(StorageError, match=r"revision 0008.*needs revision 0012"):
        SqlAlchemyStorage(url, migrate=False)
    storage = SqlAlchemyStorage(url)
    record = subscription_record("sub-1")
    usage = UsageRecord.create(
        seller_id="s-1",
        subscription_id="sub-1",
        meter="api_calls",
        key="k-1",
        quantity="2.5",
        at=_AT,
        received_at=_AT,
    )
    query = UsageQuery(
        seller_id="s-1",
        subscription_id="sub-1",
        meter="api_calls",
        start=_AT,
        end=datetime(2026, 4, 1, tzinfo=UTC),
    )
    try:
        with storage.transaction() as tx:
            tx.subscriptions.add(record)
            assert tx.usage.add_many([usage, usage]) == [True, False]
        with storage.transaction(write=False) as tx:
            assert tx.subscriptions.get("s-1", "sub-1") == record
            assert tx.usage.aggregate(query, Aggregation.SUM) == Usage(Decimal("2.5"), 1)
        with storage.engine.connect() as conn:
            kept = conn.execute(sa.text("SELECT id, version FROM recurring_templates")).all()
    finally:
        storage.close()
    assert [tuple(r) for r in kept] == [("t-old", 3)]
