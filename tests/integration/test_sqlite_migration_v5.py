"""Schema version 5: the recurring templates table is added in place; a version-4 file keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.adapters.storage.sqlite_schema import MIGRATIONS, SCHEMA_VERSION
from invoicekit.testing.contracts.storage_builders import seller
from invoicekit.testing.contracts.storage_recurring import template_record


def _version_four_file(path: Path) -> None:
    """A file as invoicekit with schema version 4 left it, with one seller in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for migration in MIGRATIONS[:4]:
            for statement in migration:
                conn.execute(statement)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '4')")
        conn.execute("INSERT INTO sellers (id, doc) VALUES ('s-0', '{}')")
    finally:
        conn.close()


def _query(path: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_version_five_adds_the_recurring_templates_table() -> None:
    assert SCHEMA_VERSION >= 5  # later versions add tables of their own
    created = " ".join(MIGRATIONS[4])
    assert "CREATE TABLE recurring_templates" in created
    assert "PRIMARY KEY (seller_id, id)" in created


def test_a_version_four_file_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    _version_four_file(path)
    before = _query(path, "SELECT * FROM sellers")
    storage = SqliteStorage.open(path)
    try:
        assert _query(path, "SELECT * FROM sellers") == before
        assert _query(path, "SELECT value FROM meta WHERE key = 'schema_version'") == [
            (str(SCHEMA_VERSION),)
        ]
        with storage.transaction() as tx:
            tx.sellers.add(seller("s-1"))
            tx.recurring.add(template_record("t-1"))
        with storage.transaction(write=False) as tx:
            assert tx.recurring.get("s-1", "t-1") == template_record("t-1")
    finally:
        storage.close()
