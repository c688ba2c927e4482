"""Static conformance: each adapter satisfies its port (checked by mypy --strict, never run)."""

from __future__ import annotations

from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.ports import Storage


def _memory_storage(s: MemoryStorage) -> Storage:
    return s
