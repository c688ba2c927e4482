"""``billing.run_due`` over many subscriptions with usage, against ``issue_many`` (issue 16).

One store, one run: ``n`` monthly subscriptions (a platform fee and graduated API
calls, 100 customers) billed once already, each with ``USAGE`` usage records in the
period just closed, and ``n`` drafts of 10-line invoices. ``run_due`` after the bills'
usage grace is timed first (it aggregates every subscription's usage in the store,
prices the tiers, drafts and issues each invoice), then ``issue_many`` over the drafts
(500 per transaction): the ratio is run_due's invoices per second to issue_many's
(goal: at least 1/4).

SQLite (a file, ``synchronous=NORMAL``); ``--postgres`` adds the row of a throw-away
database on the server of bench_postgres.py. Usage:
``python benchmarks/bench_subscriptions.py [--postgres] [--n 10000] [--quick] [--json]``.
"""

from __future__ import annotations

import argparse
from datetime import timedelta
from typing import Any

import bench_run_due
import common

import invoicekit as ik

CUSTOMERS = 100
#: Usage records per subscription in the billed period.
USAGE = 10
#: The goal of issue 16: run_due's rate at least a quarter of issue_many's.
GOAL = 1 / 4
#: The subscriptions start a month before ``common.AT``: their second bill is at AT.
START = common.AT - timedelta(days=28)
_BATCH = 5_000


def _plan(books: Any) -> None:
    vat = ik.Vat("19")
    books.plans.create(
        "API",
        frequency="monthly",
        id="api",
        prices=[
            {
                "id": "platform",
                "description": "Platform fee",
                "currency": "EUR",
                "kind": "fixed",
                "unit_amount": "20.00",
                "tax": vat,
            },
            {
                "id": "calls",
                "description": "API calls",
                "currency": "EUR",
                "kind": "metered",
                "model": "graduated",
                "meter": "api_calls",
                "tax": vat,
                "tiers": [
                    {"up_to": 1000, "unit_amount": "0"},
                    {"up_to": 10000, "unit_amount": "0.01"},
                    {"up_to": None, "unit_amount": "0.005"},
                ],
            },
        ],
    )


def fill(billing: ik.Billing, clock: Any, n: int) -> tuple[Any, list[str]]:
    """``n`` subscriptions billed once, with usage in the period due at AT; ``n`` drafts."""
    clock.set(START)
    books, first = common.books_of(billing)
    customers = [first] + [
        books.customers.create(f"Client {k}", email=f"ap{k}@example.com", id=f"c{k}").id
        for k in range(2, CUSTOMERS + 1)
    ]
    _plan(books)
    ids = [
        books.subscriptions.create(customers[k % CUSTOMERS], plan_id="api", id=f"sub{k:06d}").id
        for k in range(n)
    ]
    billing.subscriptions_due(START)  # the first bills: fees in advance, no usage yet
    clock.set(common.AT - timedelta(minutes=1))
    records = [
        {
            "subscription_id": sub_id,
            "meter": "api_calls",
            "quantity": 100 * (j + 1) + k % 7,
            "key": f"{sub_id}-{j}",
            "at": START + timedelta(days=j + 1),
        }
        for k, sub_id in enumerate(ids)
        for j in range(USAGE)
    ]
    for start in range(0, len(records), _BATCH):
        books.usage.record_many(records[start : start + _BATCH])
    drafts = common.draft_all(books, first, n)
    clock.set(common.AT + billing.sellers.get(books.seller_id).usage_grace)
    return books, drafts


def measure(billing: ik.Billing, clock: Any, n: int, store: str) -> common.Row:
    """Time run_due then issue_many on the same store; one row with the ratio of rates."""
    books, drafts = fill(billing, clock, n)
    now = common.AT + billing.sellers.get(books.seller_id).usage_grace
    report: list[Any] = []
    lib = common.timed(lambda: report.append(billing.run_due(now)))
    made = sum(1 for e in report[0].entries if e.action == "generate" and e.outcome == "done")
    lib_cpu = common.last_cpu()
    counted: list[int] = []
    floor = common.timed(lambda: counted.append(common.issue_many(books, drafts)))
    floor_cpu = common.last_cpu()
    if made != n or counted != [n]:
        raise RuntimeError(
            f"run_due generated {made}, issue_many {counted} of {n}: the benchmark compares nothing"
        )
    row = common.rate_row(
        f"run_due subscriptions {store}", n, lib, floor, f">= {GOAL:.2f}x issue_many", None
    )
    rate = floor / lib  # run_due's rate as a share of issue_many's
    row = {**row, "ratio": rate, "met": rate >= GOAL, "note": f"{rate:.2f}x issue_many's rate"}
    return common.with_cpu(row, floor_cpu, lib_cpu)


def run(*, n: int = 10_000, postgres: bool = False, quick: bool = False) -> list[common.Row]:
    """SQLite's row, and PostgreSQL's with ``postgres``; ``quick``: a tiny size (a smoke test)."""
    if quick:
        n = 30
    with bench_run_due.sqlite_store() as billing:
        rows = [measure(billing, billing.clock, n, "SQLite")]
    if postgres:
        with bench_run_due.postgres_store() as billing:
            rows.append(measure(billing, billing.clock, n, "PostgreSQL"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000, help="subscriptions due (and drafts)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL's row too")
    parser.add_argument("--quick", action="store_true", help="tiny size, for a smoke test")
    parser.add_argument("--json", action="store_true", help="one JSON list of rows")
    args = parser.parse_args()
    common.emit(run(n=args.n, postgres=args.postgres, quick=args.quick), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
