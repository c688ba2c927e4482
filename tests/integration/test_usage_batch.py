"""``run_due`` aggregates a page of subscriptions' usage in one statement (``aggregate_many``).

The same subscriptions and usage on memory and on a SQLite file bill the same lines;
on SQLite the page's SUMs are one SELECT over ``usage_records``, not one per subscription.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import invoicekit as ik
from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.ports import Storage
from invoicekit.testing import FixedClock
from subscription_fixtures import START, agency

_SUBS = 6


def _billed(
    storage: Storage, on_run: Callable[[], None] | None = None
) -> list[list[tuple[str, str, str]]]:
    """Each subscription's invoice lines (description, quantity, unit price) after two runs."""
    clock = FixedClock(START)
    billing = ik.Billing(storage=storage, clock=clock)
    a = agency(billing)
    subs = [a.books.subscriptions.create(a.customer_id, plan_id="api").id for _ in range(_SUBS)]
    billing.run_due()
    clock.advance(days=25)
    for n, sub_id in enumerate(subs[1:], start=1):  # the first has no usage
        for j in range(n):
            at = START + timedelta(days=j + 1)
            a.books.usage.record(sub_id, "api_calls", 1700 * n + j, key=f"{sub_id}-{j}", at=at)
    clock.advance(days=6, hours=1)  # past February's bill and its grace
    if on_run is not None:
        on_run()
    billing.run_due()
    found = []
    for sub_id in subs:
        mine = [
            i for i in a.books.invoices.list(limit=100) if i.metadata.get("subscription") == sub_id
        ]
        found.append(
            [
                (line.description, str(line.quantity), str(line.unit_price))
                for inv in sorted(mine, key=lambda i: int(i.metadata["period"]))
                for line in inv.lines
            ]
        )
    return found


def test_a_page_of_subscriptions_is_aggregated_in_one_statement(tmp_path: Path) -> None:
    storage = SqliteStorage.open(tmp_path / "batch.db")
    statements: list[str] = []

    def trace() -> None:
        with storage.transaction():
            pass  # the thread's connection, which run_due's transactions reuse
        storage._session()[0].conn.set_trace_callback(statements.append)

    lines = _billed(storage, trace)
    aggregates = [s for s in statements if "usage_records" in s and "COUNT(" in s]
    assert len(aggregates) == 1, aggregates
    assert lines == _billed(MemoryStorage())
    # 4 records of 6800 + j: 27,206 calls in January's three tiers.
    assert [(d.split(" (1–31")[0], q, p) for d, q, p in lines[4][2:]] == [
        ("API calls (first 1,000)", "1000", "0"),
        ("API calls (units 1,001–10,000)", "9000", "0.01"),
        ("API calls (units 10,001 and up)", "17206", "0.005"),
    ]
