"""The storage contract on ``SqliteStorage``: real files under tmp_path, reopened for durability."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.ports import Storage
from invoicekit.serialization import make_converter
from invoicekit.testing.contracts import Reopen, StorageContract, StorageFactory

# One converter for every instance the suite opens: building one (and its generated
# hooks) per instance would spend most of the differential run compiling code.
CONVERTER = make_converter()


def _reopen(store: Storage) -> Storage:
    assert isinstance(store, SqliteStorage)
    return SqliteStorage(store.path, converter=CONVERTER)


class TestSqliteStorage(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[Storage]:
        store = SqliteStorage.open(tmp_path / "db.sqlite", converter=CONVERTER)
        yield store
        store.close()

    @pytest.fixture
    def make_storage(self, tmp_path_factory: pytest.TempPathFactory) -> StorageFactory:
        return lambda: SqliteStorage.open(
            tmp_path_factory.mktemp("db") / "db.sqlite", converter=CONVERTER
        )

    @pytest.fixture
    def reopen(self) -> Reopen:
        # A new instance (new connections) on the same file: durability is really tested.
        return _reopen
