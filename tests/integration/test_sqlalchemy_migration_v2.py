"""Alembic revision 0002 (messages, inbox): a database at 0001 is upgraded on open, data kept.

It is upgraded to the head (0007).

After the upgrade the schema agrees with the tables the code uses, on PostgreSQL and SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage, _alembic_config
from invoicekit.adapters.storage.sqlalchemy_tables import METADATA, VERSION_TABLE
from invoicekit.errors import StorageError
from invoicekit.ports import InboxItem, MessageRecord
from pg import admin_connect, pg_url, schema_url  # noqa: F401

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture
def pg_schema(pg_url: str) -> Iterator[str]:  # noqa: F811
    """The URL of a new, empty PostgreSQL schema (dropped afterwards)."""
    with admin_connect(pg_url) as admin:
        admin.execute("CREATE SCHEMA migration_v2")
    yield schema_url(pg_url, "migration_v2")
    with admin_connect(pg_url) as admin:
        admin.execute("DROP SCHEMA migration_v2 CASCADE")


def at_revision(url: str, revision: str, *statements: str) -> None:
    """Create the schema up to ``revision`` only, then run ``statements`` (to put data in)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            config = _alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database: a new PostgreSQL schema, or a new SQLite file."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("pg_schema")
        return url
    return f"sqlite:///{tmp_path}/m.db"


def test_a_database_at_0001_is_upgraded_to_0002_on_open(empty_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    url = empty_url
    at_revision(url, "0001", "INSERT INTO sellers (id, doc) VALUES ('s-raw', '{}')")
    with pytest.raises(StorageError, match=r"revision 0001.*needs revision 0012"):
        SqlAlchemyStorage(url, migrate=False)
    storage = SqlAlchemyStorage(url)
    try:
        with storage.engine.connect() as conn:
            revision = conn.execute(
                sa.text("SELECT version_num FROM invoicekit_alembic_version")
            ).all()
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, METADATA)
            seller_ids = conn.execute(sa.text("SELECT id FROM sellers")).scalars().all()
        assert revision == [("0012",)]
        assert [d for d in diff if VERSION_TABLE not in repr(d)] == []
        assert seller_ids == ["s-raw"]
        with storage.transaction() as tx:
            message = MessageRecord(
                key="i-1:invoice:1:email",
                seller_id="s-raw",
                customer_id="c-1",
                kind="invoice",
                step="1",
                channel="email",
                recipient="ap@example.org",
                created_at=AT,
                next_attempt_at=AT,
            )
            assert [m.key for m in tx.messages.enqueue([message])] == [message.key]
            item = InboxItem(
                key="k",
                seller_id="s-raw",
                customer_id="c-1",
                kind="invoice",
                title="t",
                text="x",
                created_at=AT,
            )
            assert tx.inbox.put(item)
        with storage.transaction(write=False) as tx:
            assert tx.messages.get("s-raw", message.key).next_attempt_at == AT
            assert tx.inbox.list("s-raw", "c-1") == [item]
    finally:
        storage.close()


def test_0002_downgrades_to_0001(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/d.db"
    SqlAlchemyStorage(url).close()
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            config = _alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0001")
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert "messages" not in tables
    assert "inbox" not in tables
    assert "sellers" in tables
