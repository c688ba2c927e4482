"""Documents stored before format 2 still load, equal, with their hash, and keep it when saved.

tests/fixtures/stored_v1.sqlite was written by the format-1 (cattrs) codec of main at
371b622 (tests/fixtures/make_stored_v1.py); stored_v1.json records each row's content
hash and the document that code stored and read back. Every row must load through
today's code to the value the old code loaded, its hash must verify, and a payment on an
issued one must keep the hash recorded at issue (T32: issued-document hashes unchanged).
The PostgreSQL twin inserts the same rows raw into a PostgreSQL database.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import pytest

import invoicekit as ik
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.domain import lifecycle
from invoicekit.domain.invoice import CreditNote, Invoice
from invoicekit.domain.parties import Customer, Seller
from invoicekit.domain.status import Status
from invoicekit.ports import Storage
from invoicekit.serialization import content_hash, from_document, make_converter, to_document
from invoicekit.testing import FixedClock
from pg import admin_connect, pg_url, schema_url  # noqa: F401
from stored_fixture import at_fixture_time

FIXTURES: Final = Path(__file__).resolve().parents[1] / "fixtures"
RECORD: Final = json.loads((FIXTURES / "stored_v1.json").read_text(encoding="utf-8"))
INVOICES: Final[list[dict[str, Any]]] = RECORD["invoices"]
CONVERTER: Final = make_converter()
LATER: Final = datetime(2026, 3, 10, 12, tzinfo=UTC)
OPEN: Final = ("pending", "partially_paid", "overdue", "failed", "uncollectible")

Opener = Callable[[], Storage]


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [f"{row['seller_id']}/{row['id']}" for row in rows]


@pytest.fixture
def v1_file(tmp_path: Path) -> Path:
    path = tmp_path / "stored_v1.sqlite"
    shutil.copyfile(FIXTURES / "stored_v1.sqlite", path)
    return path


def _raw_hash(path: Path, seller_id: str, invoice_id: str) -> tuple[str | None, str]:
    with closing(sqlite3.connect(path)) as raw:
        row: tuple[str | None, str] = raw.execute(
            "SELECT content_hash, doc FROM invoices WHERE seller_id = ? AND id = ?",
            (seller_id, invoice_id),
        ).fetchone()
    return row


def test_the_fixture_is_what_the_record_says() -> None:
    statuses = {row["status"] for row in INVOICES}
    assert statuses >= {"draft", "pending", "partially_paid", "paid", "void", "overdue"}
    assert RECORD["credit_notes"]
    assert len(RECORD["sellers"]) == 4
    for row in INVOICES:
        if row["content_hash"] is not None:
            assert content_hash(row["document"]) == row["content_hash"]
        assert "v" not in row["document"]  # format 1 has no marker


def _check_every_row(storage: Storage) -> None:
    with storage.transaction(write=False) as tx:
        for row in INVOICES:
            loaded = tx.invoices.get(row["seller_id"], row["id"])
            assert at_fixture_time(to_document(CONVERTER, loaded)) == row["document"], row["id"]
            assert loaded == from_document(CONVERTER, row["document"], Invoice)
            if row["number"] is not None:
                assert tx.invoices.get_by_number(row["seller_id"], row["number"]) == loaded
        for document in RECORD["credit_notes"]:
            note = tx.credit_notes.get(document["seller_id"], document["id"])
            assert at_fixture_time(to_document(CONVERTER, note)) == document
        for document in RECORD["sellers"]:
            assert (
                at_fixture_time(to_document(CONVERTER, tx.sellers.get(document["id"]))) == document
            )
        for document in RECORD["customers"]:
            customer = tx.customers.get(document["seller_id"], document["id"])
            assert at_fixture_time(to_document(CONVERTER, customer)) == document


def test_every_stored_row_loads_equal_to_what_the_old_code_loaded(v1_file: Path) -> None:
    storage = SqliteStorage.open(v1_file)
    try:
        _check_every_row(storage)
    finally:
        storage.close()


def _pay_open_invoices(storage: Storage) -> dict[str, Invoice]:
    """Save a payment (or a status change) on every issued invoice still open; return them."""
    saved: dict[str, Invoice] = {}
    with storage.transaction() as tx:
        for row in INVOICES:
            if row["status"] not in OPEN:
                continue
            before = tx.invoices.get(row["seller_id"], row["id"])
            command = lifecycle.RecordPayment(f"later-{row['id']}", "1.00", method="bank")
            after, _ = lifecycle.apply(before, command, at=LATER)
            tx.invoices.save(after, expected_version=before.version)
            saved[row["id"]] = after
    return saved


def test_saving_an_invoice_issued_in_format_1_keeps_its_hash(v1_file: Path) -> None:
    storage = SqliteStorage.open(v1_file)
    try:
        saved = _pay_open_invoices(storage)
        assert len(saved) >= 5
        with storage.transaction(write=False) as tx:
            for row in INVOICES:
                digest, doc = _raw_hash(v1_file, row["seller_id"], row["id"])
                assert digest == row["content_hash"], row["id"]
                if row["id"] in saved:
                    assert tx.invoices.get(row["seller_id"], row["id"]) == saved[row["id"]]
                    assert not doc.startswith('{"v":')  # still format 1, so the hash holds
    finally:
        storage.close()


def test_the_facade_works_on_the_old_rows(v1_file: Path) -> None:
    clock = FixedClock(LATER)
    with ik.Billing.sqlite(v1_file, clock=clock, dispatch="worker") as billing:
        books = billing.seller("sel_de")
        paid = books.payments.record("inv_pending", "10.00", payment_id="pay_later")
        assert paid.payments[-1].id == "pay_later"
        assert paid.status in {Status.PARTIALLY_PAID, Status.OVERDUE}
        issued = books.invoices.issue("inv_draft_rich")  # a format-1 draft, issued now
        credited = books.invoices.credit(
            "inv_overdue",
            lines=[ik.Line("Goodwill", quantity=1, unit_price="5.00", tax=ik.Vat("19"))],
        )
        assert books.customers.get("cus_full").name == "Globex GmbH – Einkauf"
    pending = next(row for row in INVOICES if row["id"] == "inv_pending")
    digest, _ = _raw_hash(v1_file, "sel_de", "inv_pending")
    assert digest == pending["content_hash"]
    digest, doc = _raw_hash(v1_file, "sel_de", "inv_draft_rich")
    assert digest is not None
    assert doc.startswith('{"v":2,')
    with ik.Billing.sqlite(v1_file, clock=clock) as billing:
        books = billing.seller("sel_de")
        assert books.invoices.get("inv_draft_rich") == issued
        assert books.invoices.get("inv_pending") == paid
        assert books.invoices.get("inv_overdue").credits[-1].credit_note_id == credited.id


def test_a_raw_edit_of_an_old_row_is_still_caught(v1_file: Path) -> None:
    with closing(sqlite3.connect(v1_file)) as raw, raw:
        raw.execute(
            "UPDATE invoices SET doc = replace(doc, '\"Hosting\"', '\"Hostinq\"') "
            "WHERE id = 'inv_pending'"
        )
    storage = SqliteStorage.open(v1_file)
    try:
        with pytest.raises(ik.IntegrityError), storage.transaction(write=False) as tx:
            tx.invoices.get("sel_de", "inv_pending")
    finally:
        storage.close()


# --------------------------------------------------------------------------- PostgreSQL


def _columns(table: str) -> list[str]:
    with closing(sqlite3.connect(FIXTURES / "stored_v1.sqlite")) as raw:
        return [r[1] for r in raw.execute(f"PRAGMA table_info({table})")]


def _rows(table: str) -> list[dict[str, Any]]:
    columns = _columns(table)
    with closing(sqlite3.connect(FIXTURES / "stored_v1.sqlite")) as raw:
        rows = raw.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()  # noqa: S608
    out = [dict(zip(columns, row, strict=True)) for row in rows]
    for row in out:
        for name in ("issue_date", "due_date"):
            if row.get(name) is not None:
                row[name] = date.fromisoformat(row[name])
        if "archived" in row:
            row["archived"] = bool(row["archived"])
    return out


@pytest.fixture
def pg_v1(pg_url: str) -> Iterator[Any]:  # noqa: F811
    """A PostgreSQL schema holding the fixture's rows, inserted raw (the old documents as is)."""
    import sqlalchemy as sa

    from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage

    schema = "stored_v1"
    with admin_connect(pg_url) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.execute(f"CREATE SCHEMA {schema}")
    url = schema_url(pg_url, schema)
    storage = SqlAlchemyStorage(url)
    with storage.transaction(write=False):
        pass  # creates the tables
    with storage.engine.begin() as conn:
        for table in ("sellers", "customers", "invoices", "credit_notes", "sequences"):
            rows = _rows(table)
            columns = list(rows[0])
            statement = sa.text(
                f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608 - fixture tables
                f"VALUES ({', '.join(':' + c for c in columns)})"
            )
            conn.execute(statement, rows)
    yield storage
    storage.close()
    with admin_connect(pg_url) as admin:
        admin.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def test_the_postgresql_twin_loads_and_keeps_its_hashes(pg_v1: Any) -> None:
    import sqlalchemy as sa

    _check_every_row(pg_v1)
    saved = _pay_open_invoices(pg_v1)
    with pg_v1.engine.connect() as conn:
        stored = dict(conn.execute(sa.text("SELECT id, content_hash FROM invoices")).all())
    assert stored == {row["id"]: row["content_hash"] for row in INVOICES}
    with pg_v1.transaction(write=False) as tx:
        for invoice_id, invoice in saved.items():
            assert tx.invoices.get(invoice.seller_id, invoice_id) == invoice


def test_the_record_covers_every_kind_of_stored_value() -> None:
    # Each class the fixture stores appears in the record with what exercises it.
    documents = [row["document"] for row in INVOICES]
    assert any(d["payments"] and d["payments"][0]["refunds"] for d in documents)
    assert any(d["credit_transfers"] for d in documents)
    assert any(d["failures"] for d in documents)
    assert any(d["credits"] for d in documents)
    assert any(d["buyer_reference"] and d["order_reference"] for d in documents)
    assert any(len(line["taxes"]) > 1 for d in documents for line in d["lines"])
    assert {d["terms"]["type"] for d in documents} == {"net_days", "fixed_date", "end_of_month"}
    assert any(s.get("reminder_minimum") for s in RECORD["sellers"])
    assert isinstance(from_document(CONVERTER, RECORD["credit_notes"][0], CreditNote), CreditNote)
    assert all(isinstance(from_document(CONVERTER, s, Seller), Seller) for s in RECORD["sellers"])
    assert all(
        isinstance(from_document(CONVERTER, c, Customer), Customer) for c in RECORD["customers"]
    )
    assert Decimal(documents[0]["totals"]["payable"]) > 0
