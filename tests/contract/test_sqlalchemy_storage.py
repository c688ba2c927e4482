"""The storage contract on ``SqlAlchemyStorage``: PostgreSQL schemas and SQLite files.

PostgreSQL: each store is an empty schema of the session's test database,
migrated once and reused after a ``TRUNCATE`` when the store is closed
(``pg.SchemaPool``), so a store costs milliseconds, not a migration (the
differential run makes one per hypothesis example). ``reopen`` opens a new
instance on the store's engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.ports import Storage
from invoicekit.testing.contracts import Reopen, StorageContract, StorageFactory
from pg import SchemaPool, pg_url  # noqa: F401


class _Pooled(SqlAlchemyStorage):
    """A store on a pooled schema: closing it empties the schema and hands it back."""

    def __init__(self, pool: SchemaPool) -> None:
        self._pool = pool
        self._schema_url = pool.take()
        super().__init__(self._schema_url, migrate=False, converter=pool.converter)

    def close(self) -> None:
        already = self._closed
        super().close()
        if not already:
            self._pool.release(self._schema_url)


def _reopen(store: Storage) -> Storage:
    """A new instance on the same data, sharing the store's engine (its connection pool).

    Nothing observable lives in a pooled connection or in the converter, so sharing
    them keeps the check honest (every read goes to the database) while saving a
    connection, the engine's statement cache and a converter per reopening.
    """
    assert isinstance(store, SqlAlchemyStorage)
    return SqlAlchemyStorage(store.engine, migrate=False, converter=store._converter)


@pytest.fixture(scope="session")
def schema_pool(pg_url: str) -> Iterator[SchemaPool]:  # noqa: F811
    pool = SchemaPool(pg_url)
    yield pool
    pool.close()


@pytest.fixture
def schemas(schema_pool: SchemaPool) -> Iterator[SchemaPool]:
    """The pool; a schema still taken when the test ends is emptied and freed."""
    yield schema_pool
    schema_pool.release_all()


class TestSqlAlchemyPostgres(StorageContract):
    @pytest.fixture
    def storage(self, schemas: SchemaPool) -> Iterator[Storage]:
        store = _Pooled(schemas)
        yield store
        store.close()

    @pytest.fixture
    def make_storage(self, schemas: SchemaPool) -> StorageFactory:
        return lambda: _Pooled(schemas)

    @pytest.fixture
    def reopen(self) -> Reopen:
        return _reopen


class TestSqlAlchemySqlite(StorageContract):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> Iterator[Storage]:
        store = SqlAlchemyStorage(f"sqlite:///{tmp_path / 'db.sqlite'}")
        yield store
        store.close()

    @pytest.fixture
    def make_storage(self, tmp_path_factory: pytest.TempPathFactory) -> StorageFactory:
        return lambda: SqlAlchemyStorage(f"sqlite:///{tmp_path_factory.mktemp('db') / 'db.sqlite'}")

    @pytest.fixture
    def reopen(self) -> Reopen:
        return _reopen
