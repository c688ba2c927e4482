"""The storage contract on ``SqlAlchemyStorage``: PostgreSQL schemas and SQLite files.

PostgreSQL: each store is an empty schema of the session's test database,
migrated once and reused after a ``TRUNCATE`` (``pg.SchemaPool``), so a test
costs milliseconds, not a migration. ``reopen`` opens a new instance with its
own engine (new connections) on the same schema or file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.ports import Storage
from invoicekit.testing.contracts import Reopen, StorageContract, StorageFactory
from pg import SchemaPool, pg_url  # noqa: F401


def _reopen(store: Storage) -> Storage:
    assert isinstance(store, SqlAlchemyStorage)
    # engine.url keeps the password (store.url hides it) and the search_path option.
    return SqlAlchemyStorage(store.engine.url, migrate=False)


@pytest.fixture(scope="session")
def schema_pool(pg_url: str) -> Iterator[SchemaPool]:  # noqa: F811
    pool = SchemaPool(pg_url)
    yield pool
    pool.close()


@pytest.fixture
def schemas(schema_pool: SchemaPool) -> Iterator[SchemaPool]:
    """The pool; every schema taken during the test is emptied and freed after it."""
    yield schema_pool
    schema_pool.release_all()


class TestSqlAlchemyPostgres(StorageContract):
    @pytest.fixture
    def storage(self, schemas: SchemaPool) -> Iterator[Storage]:
        store = SqlAlchemyStorage(schemas.take(), migrate=False)
        yield store
        store.close()

    @pytest.fixture
    def make_storage(self, schemas: SchemaPool) -> StorageFactory:
        return lambda: SqlAlchemyStorage(schemas.take(), migrate=False)

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
