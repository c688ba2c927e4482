"""PostgreSQL under concurrency: subscriptions claimed with SKIP LOCKED, usage keys raced.

Two storages on one schema stand for two workers. A subscription one transaction
holds is left out of another's ``claim_many``; a usage key another transaction is
inserting at the same moment counts once, and with other content it refuses the
second batch whole (the batch's savepoint is rolled back).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.domain.usage import Aggregation, Usage, UsageRecord
from invoicekit.errors import DuplicateError
from invoicekit.ports import UsageQuery
from invoicekit.testing.contracts.storage_subscriptions import subscription_record
from pg import admin_connect, pg_url, schema_url  # noqa: F401

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def stores(pg_url: str) -> Iterator[tuple[SqlAlchemyStorage, SqlAlchemyStorage]]:  # noqa: F811
    with admin_connect(pg_url) as admin:
        admin.execute("CREATE SCHEMA subscription_workers")
    url = schema_url(pg_url, "subscription_workers")
    first = SqlAlchemyStorage(url)
    second = SqlAlchemyStorage(url, migrate=False)
    yield first, second
    first.close()
    second.close()
    with admin_connect(pg_url) as admin:
        admin.execute("DROP SCHEMA subscription_workers CASCADE")


def _usage(key: str, quantity: int) -> UsageRecord:
    return UsageRecord.create(
        seller_id="s-1",
        subscription_id="sub-1",
        meter="api_calls",
        key=key,
        quantity=quantity,
        at=AT,
        received_at=AT,
    )


def test_a_held_subscription_is_skipped_by_another_worker(
    stores: tuple[SqlAlchemyStorage, SqlAlchemyStorage],
) -> None:
    first, second = stores
    with first.transaction() as tx:
        for n in (1, 2, 3):
            tx.subscriptions.add(subscription_record(f"sub-{n}"))
    with first.transaction() as held:
        assert [r.subscription.id for r in held.subscriptions.claim_many("s-1", ["sub-2"])] == [
            "sub-2"
        ]
        with second.transaction() as other:
            claimed = other.subscriptions.claim_many("s-1", ["sub-1", "sub-2", "sub-3"])
            assert [r.subscription.id for r in claimed] == ["sub-1", "sub-3"]


@pytest.mark.parametrize(("quantity", "outcome"), [(1, [False, True]), (2, "refused")])
def test_a_key_inserted_at_the_same_moment_counts_once(
    stores: tuple[SqlAlchemyStorage, SqlAlchemyStorage], quantity: int, outcome: object
) -> None:
    first, second = stores
    results: list[object] = []

    def other_worker() -> None:
        try:
            with second.transaction() as tx:
                results.append(tx.usage.add_many([_usage("k-1", quantity), _usage("k-2", 5)]))
        except DuplicateError:
            results.append("refused")

    with first.transaction() as tx:
        assert tx.usage.add_many([_usage("k-1", 1)]) == [True]
        worker = threading.Thread(target=other_worker)
        worker.start()
        time.sleep(0.5)  # the other batch now waits on k-1's row
        assert worker.is_alive()
    worker.join(timeout=30)
    assert results == [outcome]
    query = UsageQuery(
        seller_id="s-1",
        subscription_id="sub-1",
        meter="api_calls",
        start=AT,
        end=datetime(2026, 4, 1, tzinfo=UTC),
    )
    with first.transaction(write=False) as tx:
        total = tx.usage.aggregate(query, Aggregation.SUM)
    assert total == (Usage(Decimal(6), 2) if quantity == 1 else Usage(Decimal(1), 1))
