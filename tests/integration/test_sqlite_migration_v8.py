"""Schema version 8: plans, coupons, subscriptions and usage_records are added; old rows stay."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.adapters.storage.sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from invoicekit.domain.usage import Aggregation, Usage, UsageRecord
from invoicekit.ports import UsageQuery
from invoicekit.testing.contracts.storage_subscriptions import subscription_record
from invoicekit.testing.subscription_values import rich_plan

_ROW = (
    "INSERT INTO recurring_templates (seller_id, id, customer_id, status, version, last_index, "
    "to_issue, created_at, doc) VALUES ('s-1', 't-old', 'c-1', 'active', 3, 2, '[]', "
    "'2026-03-01T09:00:00.000000+00:00', '{}')"
)
_AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


def _version_seven_file(path: Path) -> None:
    """A file as invoicekit with schema version 7 left it, with one template row in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for migration in MIGRATIONS[:7]:
            for statement in migration:
                conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '7')")
        conn.execute(_ROW)
    finally:
        conn.close()


def test_version_eight_adds_the_subscription_tables() -> None:
    assert SCHEMA_VERSION >= 8
    created = " ".join(MIGRATIONS[7])
    for table in ("plans", "coupons", "subscriptions", "usage_records"):
        assert f"CREATE TABLE {table} " in created


def test_a_version_seven_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v7.db"
    _version_seven_file(path)
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
    storage = SqliteStorage.open(path)
    try:
        with storage.transaction() as tx:
            tx.catalog.add_plan("s-1", rich_plan())
            tx.subscriptions.add(record)
            assert tx.usage.add_many([usage]) == [True]
        with storage.transaction(write=False) as tx:
            assert tx.subscriptions.get("s-1", "sub-1") == record
            assert tx.catalog.get_plan("s-1", "pro") == rich_plan()
            query = UsageQuery(
                seller_id="s-1",
                subscription_id="sub-1",
                meter="api_calls",
                start=_AT,
                end=datetime(2026, 4, 1, tzinfo=UTC),
            )
            assert tx.usage.aggregate(query, Aggregation.SUM) == Usage(Decimal("2.5"), 1)
    finally:
        storage.close()
    conn = sqlite3.connect(path)
    try:
        kept = conn.execute("SELECT id, version FROM recurring_templates").fetchall()
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        indexes = {row[1] for row in conn.execute("PRAGMA index_list(usage_records)")}
        stored = conn.execute("SELECT quantity, at FROM usage_records").fetchall()
    finally:
        conn.close()
    assert kept == [("t-old", 3)]
    assert version == (str(SCHEMA_VERSION),)
    assert {"usage_records_period", "usage_records_received"} <= indexes
    assert stored == [(2_500_000, 1_772_355_600_000_000)]  # scaled by 10**6; microseconds UTC
