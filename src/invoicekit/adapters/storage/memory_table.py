"""``_Table``: one table of ``MemoryStorage``, its committed rows plus the open transaction's changes.

Split from memory.py so that each module has one job: every repository of the
reference store (memory_parties, memory_invoices, memory_records and the older
memory_* modules) keeps its rows in a ``_Table``, which ``MemoryStorage`` commits
or rolls back, all tables together, when a transaction ends.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import Any, Final, Generic, TypeVar

#: Shared by every repository of MemoryStorage (private to the adapter).
__all__ = ["_Table"]


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_DELETED: Final = object()


class _Table(Generic[K, V]):
    """Committed rows plus the current transaction's changes, applied only on commit."""

    def __init__(self) -> None:
        self.rows: dict[K, V] = {}
        self.changes: dict[K, Any] = {}

    def get(self, key: K) -> V | None:
        if key in self.changes:
            value = self.changes[key]
            return None if value is _DELETED else value
        return self.rows.get(key)

    def put(self, key: K, value: V) -> None:
        self.changes[key] = value

    def delete(self, key: K) -> None:
        self.changes[key] = _DELETED

    def values(self) -> Iterator[V]:
        for key, value in self.rows.items():
            if key not in self.changes:
                yield value
        for value in self.changes.values():
            if value is not _DELETED:
                yield value

    def commit(self) -> None:
        for key, value in self.changes.items():
            if value is _DELETED:
                self.rows.pop(key, None)
            else:
                self.rows[key] = value
        self.changes.clear()

    def rollback(self) -> None:
        self.changes.clear()
