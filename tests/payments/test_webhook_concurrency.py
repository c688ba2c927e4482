"""T17 under concurrency: the same notices delivered at once from threads and processes,
on one SQLite file and on PostgreSQL, record each payment exactly once.

Sizes: ``INVOICEKIT_T17_EVENTS`` events (default 24), each delivered by every worker.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

import invoicekit as ik
from billing_fixtures import line
from invoicekit.errors import ConcurrencyError
from payments.notices import body_of
from payments.webhook_workers import deliver_all, open_billing, sandbox
from pg import admin_connect, pg_url, schema_url  # noqa: F401 - pg_url is a fixture

EVENTS = int(os.environ.get("INVOICEKIT_T17_EVENTS", "24"))
WORKERS = 4

Plain = list[tuple[str, dict[str, str]]]


def _prepare(billing: ik.Billing) -> Plain:
    """EVENTS/2 invoices, two partial-payment notices each, signed now."""
    billing.sellers.create(id="s1", name="Northwind Studio", country="DE", currency="EUR")
    books = billing.seller("s1")
    books.customers.create(id="c1", name="Globex", email="ap@globex.example")
    provider = sandbox()
    now = datetime.now(UTC)
    deliveries: Plain = []
    for n in range(EVENTS // 2):
        invoice = books.invoices.issue(books.invoices.draft(customer_id="c1", lines=[line()]).id)
        for half in (1, 2):
            event = body_of(
                f"evt_{n}_{half}",
                "payment.succeeded",
                invoice_id=invoice.id,
                payment_ref=f"pay_{n}_{half}",
                amount="59.50",
            )
            body, headers = provider.signed(event, at=now)
            deliveries.append((body.decode(), headers))
    return deliveries


def _check(billing: ik.Billing, outcomes: Counter[str]) -> None:
    assert outcomes["recorded"] == EVENTS, outcomes
    assert outcomes["duplicate"] == EVENTS * (WORKERS - 1), outcomes
    invoices = billing.seller("s1").invoices.list(limit=1000)
    assert len(invoices) == EVENTS // 2
    for invoice in invoices:
        assert invoice.status is ik.Status.PAID
        assert sorted(p.amount for p in invoice.payments) == [Decimal("59.50")] * 2


def _threads(make: Callable[[], ik.Billing], deliveries: Plain) -> Counter[str]:
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(WORKERS)

    def work(seed: int) -> None:
        mine = list(deliveries)
        random.Random(seed).shuffle(mine)  # noqa: S311 - a test's order
        with make() as billing:
            barrier.wait()
            for body, headers in mine:
                outcome = "busy"
                for _ in range(50):
                    try:
                        outcome = billing.webhooks.receive(
                            "sandbox", body.encode(), headers
                        ).outcome
                        break
                    except ConcurrencyError:
                        continue
                with lock:
                    outcomes[outcome] += 1

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(WORKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_t17_threads_on_one_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "t17.sqlite"
    with open_billing(path) as billing:
        deliveries = _prepare(billing)
    outcomes = _threads(lambda: open_billing(path), deliveries)
    with open_billing(path) as billing:
        _check(billing, outcomes)


def test_t17_processes_on_one_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "t17.sqlite"
    with open_billing(path) as billing:
        deliveries = _prepare(billing)
    orders = []
    for seed in range(WORKERS):
        mine = list(deliveries)
        random.Random(seed).shuffle(mine)  # noqa: S311 - a test's order
        orders.append(mine)
    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        results = pool.starmap(deliver_all, [(str(path), order) for order in orders])
    outcomes = Counter(outcome for result in results for outcome in result)
    with open_billing(path) as billing:
        _check(billing, outcomes)


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[str]:  # noqa: F811
    with admin_connect(pg_url) as admin:
        admin.execute("CREATE SCHEMA t17_webhooks")
    yield schema_url(pg_url, "t17_webhooks")
    with admin_connect(pg_url) as admin:
        admin.execute("DROP SCHEMA t17_webhooks CASCADE")


def test_t17_threads_on_postgresql(pg_store: str) -> None:
    def make() -> ik.Billing:
        return ik.Billing.from_url(pg_store, payments=sandbox())

    with make() as billing:
        deliveries = _prepare(billing)
    outcomes = _threads(make, deliveries)
    with make() as billing:
        _check(billing, outcomes)
