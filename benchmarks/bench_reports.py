"""The "as of" receivables reports against hand-written SQL for the same figures, same run.

Each row times one ``books.reports`` call (public API, through ``Billing``) over N
invoices of C clients, and the same figures computed by one hand-written SQL query
over the same table (``report_entries``) on the same connection kind. Goal: at most
2x the hand-written SQL (issue 17).

Loading: the report entries (what ``reports.ledger`` writes for each invoice: issued,
then paid in full, in part, or overpaid, in EUR and USD) and the customers are
bulk-loaded directly (SQLite ``executemany``, PostgreSQL ``COPY``), not issued through
the API: issuing 1,000,000 invoices would take an hour and time nothing the reports
do. The seller row is created through the API. The filled databases are kept under
``benchmarks/.data`` (SQLite) and as ``invoicekit_bench_reports_<n>_<clients>_r<Alembic head>`` (PostgreSQL,
``loaders.py``).

Usage: ``python benchmarks/bench_reports.py [--quick] [--n 1000000] [--clients 50000]
[--sqlite-only | --postgres-only] [--json]``.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any, Final

import common
import loaders

import invoicekit as ik
from invoicekit.adapters.storage.report_sql import ENTRY_COLUMNS
from invoicekit.adapters.storage.times import utc_text
from invoicekit.serialization import value_text

AS_OF: Final = date(2026, 3, 1)
CUT: Final = utc_text(datetime.combine(AS_OF + timedelta(days=1), day_time(0), UTC))
TODAY: Final = AS_OF.isoformat()
#: Shares of the invoices paid in full (72 %), in part (12 %) and overpaid (3 %); the rest open.
PAID: Final = 0.72
PARTLY: Final = 0.84
OVERPAID: Final = 0.87


def entries(n: int, clients: int) -> Iterator[tuple[Any, ...]]:
    """The entry rows of ``n`` invoices (deterministic), in ENTRY_COLUMNS order."""
    rng = random.Random(7)  # noqa: S311 - test data
    start = datetime(2024, 3, 1, 9, tzinfo=UTC)
    for k in range(n):
        customer = f"c{k % clients}"
        currency = "USD" if k % 10 == 0 else "EUR"
        issued = start + timedelta(days=rng.randrange(730), minutes=rng.randrange(600))
        due = (issued.date() + timedelta(days=30)).isoformat()
        total = rng.randrange(10_000, 5_000_000)
        invoice = f"i{k:07d}"
        number = f"INV-{k:07d}"
        base = ("s1", invoice)
        yield (*base, 0, customer, currency, "issued", utc_text(issued), issued.date().isoformat(), due, number, total, total, 0, 0, None)  # fmt: skip
        luck = rng.random()
        paid_at = issued + timedelta(days=rng.randrange(5, 70))
        day = paid_at.date().isoformat()
        if luck < PAID:
            yield (*base, 1, customer, currency, "paid", utc_text(paid_at), day, due, number, total, -total, 0, total, None)  # fmt: skip
        elif luck < PARTLY:
            part = total // 2
            yield (*base, 1, customer, currency, "paid", utc_text(paid_at), day, due, number, part, -part, 0, part, None)  # fmt: skip
        elif luck < OVERPAID:
            over = total + 1_000
            yield (*base, 1, customer, currency, "paid", utc_text(paid_at), day, due, number, over, -total, 1_000, over, None)  # fmt: skip


def customers(clients: int) -> Iterator[tuple[str, str, int, str]]:
    """(seller_id, id, archived, doc) of each client, documents as the library writes them."""
    for k in range(clients):
        customer = ik.Customer(
            id=f"c{k}", seller_id="s1", name=f"Client {k:05d}", email=f"ap{k}@c.example"
        )
        yield "s1", customer.id, 0, value_text(customer)


_INSERT_SQLITE: Final = (
    f"INSERT INTO report_entries ({', '.join(ENTRY_COLUMNS)}) "  # noqa: S608 - constants only
    f"VALUES ({', '.join('?' for _ in ENTRY_COLUMNS)})"
)


def make_seller(billing: ik.Billing) -> None:
    billing.sellers.create(
        name="Northwind Studio", country="DE", currency="EUR", timezone="UTC", id="s1"
    )


def sqlite_store(n: int, clients: int) -> Path:
    """The SQLite file of ``n`` invoices, filled once and kept."""
    common.DATA.mkdir(parents=True, exist_ok=True)
    path = common.DATA / f"reports_{n}_{clients}.sqlite"
    if path.exists():
        return path
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    with ik.Billing.sqlite(partial) as billing:
        make_seller(billing)
    conn = sqlite3.connect(partial)
    with conn:
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?)", customers(clients))
        conn.executemany(_INSERT_SQLITE, entries(n, clients))
    conn.execute("ANALYZE")
    conn.close()
    partial.rename(path)
    print(f"  (filled {path.name} in {time.perf_counter() - started:.0f} s)", flush=True)
    return path


def pg_store(n: int, clients: int) -> str:
    """The PostgreSQL database of ``n`` invoices (its URL), filled once (COPY) and kept."""
    return loaders.pg_bulk_store(
        "reports", n, clients, customers(clients), entries(n, clients), make_seller
    )


# --------------------------------------------------------------------------- the floors
#
# Hand-written SQL for the same figures, each one statement over report_entries (the
# client page also reads the names from the customers' documents, as the report does).

_AGING = f"""
    SELECT currency,
        SUM(CASE WHEN due_date >= '{TODAY}' THEN open_amount ELSE 0 END),
        SUM(CASE WHEN due_date < '{TODAY}' AND due_date >= '{AS_OF - timedelta(days=30)}'
            THEN open_amount ELSE 0 END),
        SUM(CASE WHEN due_date < '{AS_OF - timedelta(days=30)}'
            AND due_date >= '{AS_OF - timedelta(days=60)}' THEN open_amount ELSE 0 END),
        SUM(CASE WHEN due_date < '{AS_OF - timedelta(days=60)}'
            AND due_date >= '{AS_OF - timedelta(days=90)}' THEN open_amount ELSE 0 END),
        SUM(CASE WHEN due_date < '{AS_OF - timedelta(days=90)}' THEN open_amount ELSE 0 END)
    FROM report_entries WHERE seller_id = 's1' AND at < '{CUT}' GROUP BY currency
"""  # noqa: S608 - constants only

_CLIENTS = """
    SELECT e.customer_id, {name}, e.currency, SUM(e.open_amount) AS o,
        SUM(CASE WHEN e.due_date < '{today}' THEN e.open_amount ELSE 0 END),
        SUM(e.credit_amount), COUNT(DISTINCT CASE WHEN e.kind = 'issued' THEN e.invoice_id END)
    FROM report_entries e JOIN customers c ON c.seller_id = e.seller_id AND c.id = e.customer_id
    WHERE e.seller_id = 's1' AND e.at < '{cut}'
    GROUP BY e.customer_id, e.currency, c.doc
    HAVING SUM(e.open_amount) <> 0 OR SUM(e.credit_amount) <> 0
    ORDER BY o DESC, e.customer_id, e.currency LIMIT 50
"""

_MONTHLY = f"""
    SELECT currency, substr(day, 1, 7), SUM(CASE WHEN kind = 'issued' THEN amount ELSE 0 END),
        SUM(cash_amount), SUM(CASE WHEN kind = 'credited' THEN amount ELSE 0 END)
    FROM report_entries WHERE seller_id = 's1' AND at >= '{utc_text(datetime(2025, 4, 1, tzinfo=UTC))}'
        AND at < '{CUT}'
    GROUP BY currency, substr(day, 1, 7)
"""  # noqa: S608 - constants only

_DSO = f"""
    SELECT currency, SUM(open_amount),
        SUM(CASE WHEN kind = 'issued' AND at >= '{utc_text(datetime.combine(AS_OF - timedelta(days=89), day_time(0), UTC))}'
            THEN amount ELSE 0 END)
    FROM report_entries WHERE seller_id = 's1' AND at < '{CUT}' GROUP BY currency
"""  # noqa: S608 - constants only

_CASH_IN = f"""
    SELECT currency, {{week}}, SUM(open_amount)
    FROM report_entries WHERE seller_id = 's1' AND at < '{CUT}' AND open_amount <> 0
        AND due_date < '{AS_OF + timedelta(weeks=8)}'
    GROUP BY currency, {{week}}
"""  # noqa: S608 - constants only


def floors(postgres: bool) -> dict[str, str]:
    """The hand-written statements of one dialect."""
    name = "(c.doc::json ->> 'name')" if postgres else "json_extract(c.doc, '$.name')"
    week = (
        f"GREATEST(0, (due_date::date - DATE '{TODAY}') / 7)"
        if postgres
        else f"MAX(0, CAST((julianday(due_date) - julianday('{TODAY}')) / 7 AS INTEGER))"
    )
    return {
        "aging": _AGING,
        "client page": _CLIENTS.format(name=name, today=TODAY, cut=CUT),
        "monthly": _MONTHLY,
        "dso": _DSO,
        "cash_in": _CASH_IN.format(week=week),
    }


def library_calls(books: Any) -> dict[str, Callable[[], object]]:
    """The ``books.reports`` call of each row."""
    return {
        "aging": lambda: books.reports.aging(as_of=AS_OF),
        "client page": lambda: books.reports.client_balances(as_of=AS_OF, limit=50),
        "monthly": lambda: books.reports.monthly(as_of=AS_OF, months=12),
        "dso": lambda: books.reports.dso(as_of=AS_OF),
        "cash_in": lambda: books.reports.cash_in(as_of=AS_OF),
    }


def _rows(
    label: str,
    n: int,
    books: Any,
    run_floor: Callable[[str], object],
    *,
    postgres: bool,
    repeat: int,
) -> list[common.Row]:
    found = []
    calls = library_calls(books)
    for case, statement in floors(postgres).items():
        calls[case]()  # warm the caches of both
        run_floor(statement)
        lib = common.best(calls[case], repeat)
        floor = common.best(lambda s=statement: run_floor(s), repeat)  # type: ignore[misc]
        row = common.ratio_goal(f"{label} {case}", n, lib, floor, 2)
        found.append({**row, "unit": "ms", "library": lib * 1000, "floor": floor * 1000})
        print(
            f"  ({label} {case}: {lib * 1000:.0f} ms, floor {floor * 1000:.0f} ms)",
            file=sys.stderr,
            flush=True,
        )
    return found


def bench_sqlite(n: int, clients: int, repeat: int) -> list[common.Row]:
    path = sqlite_store(n, clients)
    conn = sqlite3.connect(path)
    with ik.Billing.sqlite(path) as billing:
        books = billing.seller("s1")
        return _rows(
            "SQLite", n, books, lambda s: conn.execute(s).fetchall(), postgres=False, repeat=repeat
        )


def bench_postgres(n: int, clients: int, repeat: int) -> list[common.Row]:
    import bench_postgres as bp
    import psycopg

    url = pg_store(n, clients)
    with (
        psycopg.connect(**bp.conninfo(url), autocommit=True) as conn,
        ik.Billing.from_url(bp.library_url(url)) as billing,
    ):
        books = billing.seller("s1")
        return _rows(
            "PG", n, books, lambda s: conn.execute(s).fetchall(), postgres=True, repeat=repeat
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="2,000 invoices, for a smoke test")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--postgres-only", action="store_true")
    parser.add_argument("--json", action="store_true", help="one JSON list of rows")
    args = parser.parse_args()
    n, clients, repeat = (2_000, 100, 2) if args.quick else (args.n, args.clients, 3)
    rows: list[common.Row] = []
    if not args.postgres_only:
        rows += bench_sqlite(n, clients, repeat)
    if not args.sqlite_only:
        rows += bench_postgres(n, clients, repeat)
    common.emit(rows, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
