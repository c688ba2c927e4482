"""The storage contract on ``MemoryStorage``, the reference adapter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.errors import StorageError
from invoicekit.ports import Storage
from invoicekit.testing.contracts import Reopen, StorageContract, StorageFactory


class TestMemoryStorage(StorageContract):
    @pytest.fixture
    def storage(self) -> Iterator[Storage]:
        store = MemoryStorage()
        yield store
        store.close()

    @pytest.fixture
    def make_storage(self) -> StorageFactory:
        return MemoryStorage

    @pytest.fixture
    def reopen(self) -> Reopen:
        # The data lives in the object: the "fresh instance" is the object itself.
        return lambda store: store


def test_a_closed_memory_storage_refuses_transactions() -> None:
    store = MemoryStorage()
    store.close()
    with pytest.raises(StorageError, match="closed"), store.transaction():
        pass
