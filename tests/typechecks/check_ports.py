"""Static conformance: each adapter satisfies its port (checked by mypy --strict, never run)."""

from __future__ import annotations

from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.ports import Storage


def _memory_storage(s: MemoryStorage) -> Storage:
    return s


def _sqlite_storage(s: SqliteStorage) -> Storage:
    return s


def _sqlalchemy_storage(s: SqlAlchemyStorage) -> Storage:
    return s
