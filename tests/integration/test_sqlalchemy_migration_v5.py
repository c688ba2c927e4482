"""Alembic revision 0005: the status index covers find()'s order; a database at 0004 keeps its rows.

On PostgreSQL and SQLite. The overdue page then comes from the index alone on
PostgreSQL (an index-only scan, no sequential scan of the documents).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from integration.test_sqlalchemy_migration_v2 import (  # noqa: F401 - fixtures by name
    at_revision,
    empty_url,
    pg_schema,
)
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.errors import StorageError
from invoicekit.ports import InvoiceQuery
from pg import pg_url  # noqa: F401

_ROW = (
    "INSERT INTO invoices (seller_id, id, customer_id, status, series, number, issue_date, "
    "due_date, version, content_hash, doc) VALUES ('s-1', 'i-1', 'c-1', 'pending', 'invoice', "
    "'INV-1', '2026-01-05', '2026-02-04', 2, 'h', '{}')"
)


def _index_columns(engine: sa.Engine) -> list[str | None]:
    found = sa.inspect(engine).get_indexes("invoices")
    [index] = [i for i in found if i["name"] == "invoices_status_due"]
    return list(index["column_names"])


def test_a_database_at_0004_gets_the_wide_index_and_keeps_its_invoices(
    empty_url: str,  # noqa: F811 - the fixture imported above
) -> None:
    url = empty_url
    at_revision(url, "0004", _ROW)
    engine = sa.create_engine(url)
    try:
        assert _index_columns(engine) == ["seller_id", "status", "due_date"]
    finally:
        engine.dispose()
    with pytest.raises(StorageError, match=r"revision 0004.*needs revision 0012"):
        SqlAlchemyStorage(url, migrate=False)
    storage = SqlAlchemyStorage(url)
    try:
        wide = ["seller_id", "status", "due_date", "issue_date", "id"]
        assert _index_columns(storage.engine) == wide
        with storage.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT seller_id, id, number FROM invoices")).all()
        assert [tuple(r) for r in rows] == [("s-1", "i-1", "INV-1")]
    finally:
        storage.close()


def test_the_overdue_page_is_cut_on_the_index_on_postgresql(pg_schema: str) -> None:  # noqa: F811
    storage = SqlAlchemyStorage(pg_schema)
    sent: list[tuple[str, Any]] = []

    def keep(*args: Any) -> None:
        sent.append((args[2], args[3]))  # the statement and parameters as the driver gets them

    sa.event.listen(storage.engine, "before_cursor_execute", keep)
    try:
        with storage.transaction(write=False) as tx:
            tx.invoices.find("s-1", InvoiceQuery(overdue_on=date(2026, 3, 1)))
        [(statement, parameters)] = [s for s in sent if "LIMIT" in s[0]]
        with storage.engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
            conn.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
            cursor = conn.connection.cursor()
            cursor.execute(f"EXPLAIN {statement}", parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
    finally:
        storage.close()
    assert "Index Only Scan using invoices_status_due" in plan, plan
