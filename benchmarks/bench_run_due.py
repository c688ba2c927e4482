"""``billing.run_due`` over many recurring templates due in one period, against ``issue_many``.

One store, one run: ``n`` monthly templates (10-line invoices, 100 customers) whose
first period is due at the benchmark's instant, and ``n`` drafts of the same
invoices. ``run_due(now)`` is timed first (it drafts, issues and plans every
template's invoice), then ``issue_many`` over the drafts (500 per transaction):
the ratio is run_due's invoices per second to issue_many's (goal: at least 1/3).

SQLite (a file, ``synchronous=NORMAL``); ``--postgres`` adds the row of a throw-away
database on the server of bench_postgres.py. Usage:
``python benchmarks/bench_run_due.py [--postgres] [--n 10000] [--quick] [--json]``.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import common

import invoicekit as ik

CUSTOMERS = 100
#: The goal of issue 15: run_due's rate at least a third of issue_many's.
GOAL = 1 / 3


def fill(billing: ik.Billing, n: int) -> tuple[Any, list[str]]:
    """``n`` templates due at ``common.AT`` and ``n`` drafts of the same invoices; the drafts' ids."""
    books, first = common.books_of(billing)
    customers = [first] + [
        books.customers.create(f"Client {k}", email=f"ap{k}@example.com", id=f"c{k}").id
        for k in range(2, CUSTOMERS + 1)
    ]
    schedule = ik.Schedule.monthly(date(2026, 3, 1), "Europe/Berlin")
    for k in range(n):
        books.recurring.create(
            customers[k % CUSTOMERS],
            schedule=schedule,
            lines=common.ten_lines(k),
            terms=ik.NetDays(14),
            service_periods=False,
            id=f"rec{k:06d}",
        )
    return books, common.draft_all(books, first, n)


def measure(billing: ik.Billing, n: int, store: str) -> common.Row:
    """Time run_due then issue_many on the same store; one row with the ratio of rates."""
    books, drafts = fill(billing, n)
    report: list[Any] = []
    lib = common.timed(lambda: report.append(billing.run_due(common.AT)))
    made = sum(1 for e in report[0].entries if e.action == "generate" and e.outcome == "done")
    lib_cpu = common.last_cpu()
    counted: list[int] = []
    floor = common.timed(lambda: counted.append(common.issue_many(books, drafts)))
    floor_cpu = common.last_cpu()
    if made != n or counted != [n]:
        raise RuntimeError(
            f"run_due generated {made}, issue_many {counted} of {n}: the benchmark compares nothing"
        )
    row = common.rate_row(f"run_due {store}", n, lib, floor, f">= {GOAL:.2f}x issue_many", None)
    rate = floor / lib  # run_due's rate as a share of issue_many's
    row = {**row, "ratio": rate, "met": rate >= GOAL, "note": f"{rate:.2f}x issue_many's rate"}
    return common.with_cpu(row, floor_cpu, lib_cpu)


@contextmanager
def sqlite_store() -> Iterator[ik.Billing]:
    with tempfile.TemporaryDirectory() as tmp:
        billing = common.sqlite_billing(Path(tmp) / "due.sqlite", "NORMAL")
        try:
            yield billing
        finally:
            billing.close()


@contextmanager
def postgres_store() -> Iterator[ik.Billing]:
    import bench_postgres

    with bench_postgres.scratch_database() as url:
        billing = ik.Billing.from_url(bench_postgres.library_url(url), clock=common.clock())
        try:
            yield billing
        finally:
            billing.close()


def run(*, n: int = 10_000, postgres: bool = False, quick: bool = False) -> list[common.Row]:
    """SQLite's row, and PostgreSQL's with ``postgres``; ``quick``: a tiny size (a smoke test)."""
    if quick:
        n = 30
    with sqlite_store() as billing:
        rows = [measure(billing, n, "SQLite")]
    if postgres:
        with postgres_store() as billing:
            rows.append(measure(billing, n, "PostgreSQL"))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=10_000, help="templates due (and drafts)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL's row too")
    parser.add_argument("--quick", action="store_true", help="tiny size, for a smoke test")
    parser.add_argument("--json", action="store_true", help="one JSON list of rows")
    args = parser.parse_args()
    common.emit(run(n=args.n, postgres=args.postgres, quick=args.quick), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
