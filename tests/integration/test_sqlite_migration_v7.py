"""Schema version 7: credit_notes.invoice_id may be NULL (the table is rebuilt); rows stay."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.adapters.storage.sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from invoicekit.domain.line import Line
from invoicekit.domain.standalone_credit import standalone_credit_note
from invoicekit.domain.tax import Vat
from invoicekit.testing.contracts import storage_builders as b

_ROW = (
    "INSERT INTO credit_notes (seller_id, id, invoice_id, number, issued_at, doc) "
    "VALUES ('s-1', 'cn-old', 'i-1', 'CN-1', '2026-03-01T09:00:00+00:00', '{}')"
)


def _version_six_file(path: Path) -> None:
    """A file as invoicekit with schema version 6 left it, with one credit note row in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for migration in MIGRATIONS[:6]:
            for statement in migration:
                conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '6')")
        conn.execute(_ROW)
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(_ROW.replace("'i-1'", "NULL").replace("cn-old", "cn-x"))
    finally:
        conn.close()


def test_version_seven_makes_the_invoice_of_a_credit_note_optional() -> None:
    assert SCHEMA_VERSION >= 7
    assert "invoice_id TEXT," in " ".join(MIGRATIONS[6])


def test_a_version_six_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v6.db"
    _version_six_file(path)
    seller, customer = b.seller("s-1"), b.customer("s-1", "c-1")
    note = standalone_credit_note(
        id="cn-new",
        number="CN-2",
        seller=seller,
        customer=customer,
        lines=[Line("Goodwill", quantity="1", unit_price="10.00", tax=Vat("19"))],
        issue_date=date(2026, 3, 2),
        issued_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )
    storage = SqliteStorage.open(path)
    try:
        with storage.transaction() as tx:
            tx.credit_notes.add(note)
        with storage.transaction(write=False) as tx:
            assert tx.credit_notes.get("s-1", "cn-new") == note
    finally:
        storage.close()
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT id, invoice_id FROM credit_notes ORDER BY id").fetchall()
        indexes = conn.execute("PRAGMA index_list(credit_notes)").fetchall()
    finally:
        conn.close()
    assert rows == [("cn-new", None), ("cn-old", "i-1")]
    assert "credit_notes_invoice" in {row[1] for row in indexes}
