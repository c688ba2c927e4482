"""``invoicekit report`` as a user runs it: a real process on a SQLite file (issue 17).

Tables per seller, CSV and JSON exports with the same figures as ``books.reports``,
and bad input (unknown seller, a date in another format) as exit code 2 with a clear
message and no traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import invoicekit as ik

ISSUED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _command(*args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "invoicekit"
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [str(script), *args], capture_output=True, text=True, timeout=300, check=False, env=env
    )


def _store(path: Path) -> list[str]:
    """Two sellers, each with a client owing part of an invoice; their ids."""
    clock = ik.FixedClock(ISSUED)
    ids = []
    with ik.Billing.sqlite(path, clock=clock) as billing:
        for name, client in (("Northwind", '=HYPERLINK("http://x")'), ("Southwind", "Initech")):
            seller = billing.sellers.create(name=name, country="DE", currency="EUR")
            books = billing.seller(seller.id)
            customer = books.customers.create(client, email="ap@c.example")
            line = ik.Line("Design", quantity="1", unit_price="100.00", tax=ik.Vat("19"))
            invoice = books.invoices.issue(books.invoices.draft(customer.id, lines=[line]).id)
            books.payments.record(invoice.id, "19.00")
            ids.append(seller.id)
        clock.advance(timedelta(days=45))
    return ids


def test_one_table_set_per_seller(tmp_path: Path) -> None:
    db = tmp_path / "books.sqlite"
    first, second = _store(db)
    done = _command("report", "--db", str(db), "--as-of", "2026-04-20")
    assert done.returncode == 0, done.stderr
    assert f"seller {first}" in done.stdout
    assert f"seller {second}" in done.stdout
    assert "100.00" in done.stdout  # 119.00 - 19.00 open, overdue since 2026-04-01
    assert "Aging" in done.stdout
    only = _command("report", "--db", str(db), "--seller", second)
    assert only.returncode == 0, only.stderr
    assert first not in only.stdout


def test_csv_and_json_hold_the_reports_figures(tmp_path: Path) -> None:
    db = tmp_path / "books.sqlite"
    first, _ = _store(db)
    done = _command("report", "--db", str(db), "--seller", first, "--format", "csv")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["seller_id"], r["name"], r["open"], r["currency"]) for r in rows] == [
        (first, '\'=HYPERLINK("http://x")', "100.00", "EUR")  # T38: text, not a formula
    ]
    done = _command(
        "report", "--db", str(db), "--seller", first, "--format", "json", "--as-of", "2026-04-20"
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)[first]
    assert found["receivables"][0]["open"] == "100.00"
    assert found["aging"][0]["days_1_30"] == "100.00"
    with ik.Billing.sqlite(db) as billing:
        report = billing.seller(first).reports.receivables(as_of=date(2026, 4, 20))
    assert report.open == {"EUR": Decimal(found["receivables"][0]["open"])}


def test_bad_input_is_exit_code_2_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "books.sqlite"
    _store(db)
    unknown = _command("report", "--db", str(db), "--seller", "sel_nobody")
    assert unknown.returncode == 2
    assert "--seller 'sel_nobody': no such seller" in unknown.stdout
    bad_date = _command("report", "--db", str(db), "--as-of", "20.04.2026")
    assert bad_date.returncode == 2
    assert "YYYY-MM-DD" in bad_date.stdout
    bad_format = _command("report", "--db", str(db), "--format", "xlsx")
    assert bad_format.returncode == 2
    assert "table, csv or json" in bad_format.stdout
    for done in (unknown, bad_date, bad_format):
        assert "Traceback" not in done.stdout + done.stderr
