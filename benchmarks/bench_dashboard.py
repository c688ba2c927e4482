"""The live dashboard page over 1,000,000 invoices and 50,000 clients on PostgreSQL (goal < 300 ms).

Loading: the same invoices as ``bench_reports.py`` (its deterministic report entries and
customers, bulk-loaded with ``COPY``), then the live summaries those invoices make,
computed from the entries in SQL (what the stores keep row by row as invoices are saved;
``tests/integration/test_summaries.py`` checks the two agree). Issuing 1,000,000 invoices
through the API would take an hour and time nothing the page does. The database is kept
as ``invoicekit_bench_dashboard_<n>_<clients>_r<Alembic head>`` (``loaders.py``).

Timed: whole HTTP requests through the real app (Starlette TestClient, ``dashboard_app``
over ``Billing.from_url``): the overview (headline figures, aging, months, MRR and the
attention list), the clients table sorted by open amount, by name, by overdue (past due
at "now", computed in the query), page 500, and a search; and the "as of" clients table
sorted by overdue (computed from the report entries, not the summaries; the 300 ms
goal is the live page's, so that row has none). Median and worst of ``--repeat`` requests after one warm-up.

Usage: ``python benchmarks/bench_dashboard.py [--quick] [--n 1000000] [--clients 50000]
[--repeat 20] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import UTC, datetime
from typing import Any, Final

import bench_postgres as bp
import loaders
from bench_reports import customers, entries, make_seller

import invoicekit as ik
from invoicekit.testing import FixedClock

#: The benchmark's "now": the day after bench_reports' as-of date.
NOW: Final = datetime(2026, 3, 1, 12, tzinfo=UTC)
#: The "as of" date of the as-of clients table (bench_reports' as-of date).
AS_OF: Final = "2026-02-28"
GOAL_MS: Final = 300.0
OK: Final = 200
#: Invoices issued through the API (overdue at NOW; some with a failed collection), so the
#: attention list has real rows to read: the bulk-loaded history has no invoice documents.
ATTENTION_INVOICES: Final = 60
#: Minor units (cents) to the summaries' millionths.
_SCALE: Final = 10_000

# The summaries the stores would have kept for those invoices, from their entries.
_FILL: Final = (
    f"""INSERT INTO summary_clients (seller_id, customer_id, currency, name, search, open,
        credit, invoiced, invoices, open_invoices)
    SELECT e.seller_id, e.customer_id, e.currency, 'Client ' || lpad(substr(e.customer_id, 2), 5, '0'),
        lower('Client ' || lpad(substr(e.customer_id, 2), 5, '0') || chr(10) || e.customer_id),
        SUM(e.open_amount) * {_SCALE}, SUM(e.credit_amount) * {_SCALE},
        SUM(CASE WHEN e.kind = 'issued' THEN e.amount ELSE 0 END) * {_SCALE},
        COUNT(DISTINCT e.invoice_id), 0
    FROM report_entries e GROUP BY e.seller_id, e.customer_id, e.currency""",  # noqa: S608 - constants only
    f"""INSERT INTO summary_days (seller_id, customer_id, currency, kind, day, amount)
    SELECT seller_id, '', currency, 'due', due_date, SUM(open_amount) * {_SCALE}
    FROM report_entries GROUP BY seller_id, currency, due_date HAVING SUM(open_amount) <> 0
    UNION ALL
    SELECT seller_id, customer_id, currency, 'due', due_date, SUM(open_amount) * {_SCALE}
    FROM report_entries GROUP BY seller_id, customer_id, currency, due_date
    HAVING SUM(open_amount) <> 0
    UNION ALL
    SELECT seller_id, '', currency, 'invoiced', day, SUM(amount) * {_SCALE}
    FROM report_entries WHERE kind = 'issued' GROUP BY seller_id, currency, day
    UNION ALL
    SELECT seller_id, '', currency, 'fell_due', due_date, SUM(amount) * {_SCALE}
    FROM report_entries WHERE kind = 'issued' GROUP BY seller_id, currency, due_date
    UNION ALL
    SELECT seller_id, '', currency, 'credit', day, SUM(credit_amount) * {_SCALE}
    FROM report_entries WHERE credit_amount <> 0 GROUP BY seller_id, currency, day
    UNION ALL
    SELECT seller_id, '', currency, 'collected', day, SUM(cash_amount) * {_SCALE}
    FROM report_entries WHERE cash_amount <> 0 GROUP BY seller_id, currency, day""",  # noqa: S608 - constants only
    """UPDATE summary_clients c SET open_invoices = o.n FROM (
        SELECT seller_id, customer_id, currency, COUNT(*) AS n FROM (
            SELECT seller_id, customer_id, currency, invoice_id FROM report_entries
            GROUP BY seller_id, customer_id, currency, invoice_id HAVING SUM(open_amount) <> 0
        ) open_ones GROUP BY seller_id, customer_id, currency
    ) o WHERE c.seller_id = o.seller_id AND c.customer_id = o.customer_id
        AND c.currency = o.currency""",
)


def pg_store(n: int, clients: int) -> str:
    """The database of ``n`` invoices with their summaries (its URL), filled once and kept."""
    return loaders.pg_bulk_store(
        "dashboard", n, clients, customers(clients), entries(n, clients), make_seller, _FILL
    )


def ensure_attention(url: str) -> None:
    """Issue ``ATTENTION_INVOICES`` overdue invoices through the API, once per database."""
    clock = FixedClock(datetime(2025, 12, 1, 9, tzinfo=UTC))
    with ik.Billing.from_url(url, clock=clock) as billing:
        books = billing.seller("s1")
        if books.invoices.list(limit=1):
            return
        for k in range(ATTENTION_INVOICES):
            line = ik.Line("Retainer", quantity="1", unit_price="250.00", tax=ik.Vat("19"))
            draft = books.invoices.draft(f"c{k}", lines=[line])
            invoice = books.invoices.issue(draft.id)
            if k % 6 == 0:
                books.payments.record_failure(invoice.id, reason="card declined")


def run(n: int, clients: int, repeat: int) -> list[dict[str, str]]:
    """Time each page ``repeat`` times; one row per page."""
    from starlette.testclient import TestClient

    from invoicekit.web import dashboard_app

    url = bp.library_url(pg_store(n, clients))
    ensure_attention(url)
    rows: list[dict[str, str]] = []
    with ik.Billing.from_url(url, clock=FixedClock(NOW)) as billing:
        app = dashboard_app(
            billing,
            authorize=lambda _r: "s1",
            secret_key="b" * 40,
            actions={"remind", "mark_paid", "void"},
        )
        client = TestClient(app)
        pages = {
            "overview": "/",
            "clients by open": "/clients",
            "clients by name": "/clients?sort=name&dir=asc",
            "clients by overdue": "/clients?sort=overdue",
            "clients as of, by overdue": f"/clients?sort=overdue&as_of={AS_OF}",
            "clients page 500": "/clients?page=500",
            "client search": "/clients?q=client%200421",
        }
        for case, path in pages.items():
            first = client.get(path)
            assert first.status_code == OK, (path, first.status_code)  # noqa: S101 - a benchmark's check
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
                assert response.status_code == OK  # noqa: S101
            median = statistics.median(times) * 1000
            rows.append(
                {
                    "case": f"{case} ({n:,} invoices, {clients:,} clients)",
                    "median ms": f"{median:.1f}",
                    "worst ms": f"{max(times) * 1000:.1f}",
                    "goal": "none: as of a date, computed on demand"
                    if "as_of=" in path
                    else f"< {GOAL_MS:.0f} ms: {'met' if median < GOAL_MS else 'MISSED'}",
                }
            )
    return rows


def main(argv: list[str] | None = None) -> list[dict[str, str]]:
    """Parse the options, run, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 invoices, 1,000 clients")
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    n, clients = (10_000, 1_000) if args.quick else (args.n, args.clients)
    rows = run(n, clients, args.repeat)
    if args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print(
                f"  {row['case']:<58} median {row['median ms']:>7} ms  worst {row['worst ms']:>7} ms  {row['goal']}"
            )
    return rows


def rows_for(quick: bool) -> Any:
    """What benchmarks/run.py calls."""
    return main(["--quick"] if quick else [])


if __name__ == "__main__":
    main()
