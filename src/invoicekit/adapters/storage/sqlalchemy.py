"""``SqlAlchemyStorage``: the Storage adapter for PostgreSQL (and SQLite) through SQLAlchemy Core.

Install ``invoicekit[postgres]`` (SQLAlchemy, Alembic, psycopg 3) or, for
another SQLAlchemy URL, ``invoicekit[sqlalchemy]``. Nothing of them is imported
until a ``SqlAlchemyStorage`` is made, so ``import invoicekit`` needs neither::

    storage = SqlAlchemyStorage("postgresql://app@db.example/billing")
    with storage.transaction() as tx:
        tx.sellers.add(seller)

The schema is created and upgraded by the Alembic revisions shipped in
``migrations/`` (``migrate=True``, the default), under a lock, so several
processes may open a new database at once. Alembic's bookkeeping lives in its
own table, ``invoicekit_alembic_version``, beside any history of the host
application. PostgreSQL (through psycopg 3) and SQLite are supported; every
driver exception is translated into an invoicekit error at this boundary.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

import cattrs

from invoicekit._extras import require
from invoicekit.errors import ConfigurationError, StorageError
from invoicekit.serialization import make_converter

if TYPE_CHECKING:
    import sqlalchemy as sa
    from alembic.config import Config

    from invoicekit.ports import Transaction

__all__ = ["MIGRATIONS", "SqlAlchemyStorage"]

#: The Alembic script directory shipped inside the package.
MIGRATIONS: Final = Path(__file__).with_name("migrations")
#: The isolation levels a PostgreSQL transaction may run at (SQLite is always serializable).
ISOLATION_LEVELS: Final = frozenset({"READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE"})
_FEATURE: Final = "SqlAlchemyStorage"
#: pg_advisory_xact_lock key that serializes concurrent migrations of one database.
_MIGRATION_LOCK: Final = 0x1A70_1CE5
#: How long an SQLite writer waits for the write lock before ConcurrencyError, in seconds.
_SQLITE_BUSY_TIMEOUT: Final = 10.0


def _extra_for(url_or_engine: object) -> str:
    """The extra that provides what ``url_or_engine`` needs: ``postgres`` or ``sqlalchemy``."""
    dialect = getattr(url_or_engine, "dialect", None)
    name = str(getattr(dialect, "name", url_or_engine))
    return "postgres" if name.startswith("postgres") else "sqlalchemy"


class SqlAlchemyStorage:
    """Storage in PostgreSQL (or SQLite) through SQLAlchemy Core; one connection per transaction.

    Args:
        url_or_engine: a database URL (``postgresql://user@host/db``, which uses
            psycopg 3, or ``sqlite:///path/to/file.db``) or a SQLAlchemy ``Engine``
            (not disposed by ``close()``; on SQLite its connections get their
            transaction control taken over, see ``transaction``).
        migrate: create or upgrade the schema to this version's head. With False,
            a database whose schema is not at the head is refused.
        isolation_level: ``READ COMMITTED`` (default), ``REPEATABLE READ`` or
            ``SERIALIZABLE``, for PostgreSQL; SQLite is always serializable.
        converter: a converter from ``make_converter()`` to share (building one
            costs milliseconds); by default one is made at the first transaction.

    Raises:
        MissingExtraError: SQLAlchemy, Alembic or psycopg is not installed; names
            the extra (``postgres`` for a PostgreSQL URL, ``sqlalchemy`` otherwise).
        ConfigurationError: a malformed URL, an unsupported database or isolation level.
        StorageError: the database cannot be reached, or its schema revision is
            unknown to this version of invoicekit (a newer one wrote it).
    """

    def __init__(
        self,
        url_or_engine: str | sa.URL | sa.Engine,
        *,
        migrate: bool = True,
        isolation_level: str = "READ COMMITTED",
        converter: cattrs.Converter | None = None,
    ) -> None:
        extra = _extra_for(url_or_engine)
        sa_ = require("sqlalchemy", extra=extra, feature=_FEATURE)
        require("alembic", extra=extra, feature=_FEATURE)
        if isolation_level not in ISOLATION_LEVELS:
            raise ConfigurationError(
                f"isolation_level {isolation_level!r} is not supported; use one of "
                f"{', '.join(sorted(ISOLATION_LEVELS))}"
            )
        self._sa = sa_
        self._owns_engine = not isinstance(url_or_engine, sa_.Engine)
        self._engine: sa.Engine
        if self._owns_engine:
            self._engine = _create_engine(sa_, url_or_engine, isolation_level, extra)
        else:
            self._engine = cast("sa.Engine", url_or_engine)
            if self._engine.dialect.name == "postgresql":
                self._engine = self._engine.execution_options(isolation_level=isolation_level)
        dialect = self._engine.dialect.name
        if dialect not in {"postgresql", "sqlite"}:
            raise ConfigurationError(
                f"{_FEATURE} supports PostgreSQL and SQLite; got a {dialect!r} database"
            )
        from invoicekit.adapters.storage import sqlalchemy_repos, sqlalchemy_tables

        self._repos = sqlalchemy_repos
        self._tables = sqlalchemy_tables
        self._postgres = dialect == "postgresql"
        #: What the boundary catches: SQLAlchemy's errors and, should one ever come
        #: through unwrapped, the driver's own (psycopg.Error, sqlite3.Error).
        self._errors: tuple[type[BaseException], ...] = (
            sa_.exc.SQLAlchemyError,
            self._engine.dialect.loaded_dbapi.Error,
        )
        self._url: str = self._engine.url.render_as_string(hide_password=True)
        self._converter = converter
        self._local = threading.local()
        self._closed = False
        try:
            self._prepare_schema(migrate=migrate)
        except BaseException:
            self.close()
            raise

    @classmethod
    def from_url(
        cls, url: str, *, migrate: bool = True, isolation_level: str = "READ COMMITTED"
    ) -> SqlAlchemyStorage:
        """The storage at ``url`` (``postgresql://...`` or ``sqlite:///...``)."""
        return cls(url, migrate=migrate, isolation_level=isolation_level)

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for sharing its pool or inspecting the schema)."""
        return self._engine

    @property
    def url(self) -> str:
        """The database URL with its password hidden (as error messages show it)."""
        return self._url

    def __repr__(self) -> str:
        return f"SqlAlchemyStorage({self._url!r})"

    # ------------------------------------------------------------------ transactions

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """A unit of work on one pooled connection: commits when the block ends, else rolls back.

        PostgreSQL runs it at the storage's isolation level, ``READ ONLY`` when
        ``write=False``. SQLite starts it with ``BEGIN IMMEDIATE`` (the write lock
        up front, so two writers never deadlock) or, for ``write=False``, a plain
        ``BEGIN`` with ``PRAGMA query_only``. Transactions do not nest.
        """
        if self._closed:
            raise StorageError(f"this SqlAlchemyStorage ({self._url}) is closed")
        if getattr(self._local, "active", False):
            raise StorageError("transactions do not nest; finish the open one first")
        self._local.active = True
        try:
            conn = self._guarded("open a transaction", self._engine.connect)
            try:
                self._guarded("open a transaction", lambda: self._begin(conn, write=write))
                if self._converter is None:
                    self._converter = make_converter()
                tx = self._repos.SqlTransaction.on(
                    conn,
                    converter=self._converter,
                    url=self._url,
                    postgres=self._postgres,
                    write=write,
                    errors=self._errors,
                )
                try:
                    yield tx
                except BaseException:
                    self._quietly(conn.rollback)
                    raise
                self._guarded("commit the transaction", conn.commit)
            finally:
                if not (write or self._postgres):
                    self._end_query_only(conn)
                self._quietly(conn.close)
        finally:
            self._local.active = False

    def _begin(self, conn: sa.Connection, *, write: bool) -> None:
        if self._postgres:
            if not write:
                conn.execution_options(postgresql_readonly=True)
            conn.begin()
            return
        dbapi: Any = conn.connection.dbapi_connection
        if dbapi.isolation_level is not None:
            # Take transaction control from the sqlite3 module (its legacy mode
            # starts transactions late): we emit BEGIN, SQLAlchemy commits.
            dbapi.isolation_level = None
        if write:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:  # switched off again when the transaction ends (_end_query_only)
            conn.exec_driver_sql("PRAGMA query_only = ON")
            conn.exec_driver_sql("BEGIN")

    def _end_query_only(self, conn: sa.Connection) -> None:
        """Hand the SQLite connection back to the pool writable, or never hand it back."""
        try:
            conn.exec_driver_sql("PRAGMA query_only = OFF")
            conn.commit()
        except self._errors:
            self._quietly(conn.invalidate)

    def _guarded(self, operation: str, action: Any) -> Any:
        """Run ``action()``; a SQLAlchemy or driver error becomes an invoicekit error."""
        try:
            return action()
        except self._errors as exc:
            raise self._tables.translate(exc, operation=operation, url=self._url) from exc

    def _quietly(self, action: Any) -> None:
        """Run a clean-up step whose failure must not hide the error being raised."""
        with suppress(*self._errors):
            action()

    def close(self) -> None:
        """Release the pooled connections (an engine passed in stays open); refuse further use."""
        self._closed = True
        if self._owns_engine:
            self._engine.dispose()

    # ------------------------------------------------------------------ schema

    def _prepare_schema(self, *, migrate: bool) -> None:
        """Check the schema revision and, with ``migrate``, upgrade it to the head.

        The common case, a database at the head, costs one query; anything else
        goes through Alembic under a lock (``pg_advisory_xact_lock`` on PostgreSQL,
        ``BEGIN IMMEDIATE`` on SQLite), so concurrent openers migrate once.
        """
        from alembic import command
        from alembic.runtime.migration import MigrationContext
        from alembic.util import CommandError

        head, known = _revisions()
        sa_ = self._sa
        try:
            if self._at_revision(head):
                return
            with self._engine.connect() as conn:
                self._begin(conn, write=True)
                if self._postgres:
                    lock = sa_.text("SELECT pg_advisory_xact_lock(:key)")
                    conn.execute(lock, {"key": _MIGRATION_LOCK})
                opts = {"version_table": self._tables.VERSION_TABLE}
                found = MigrationContext.configure(conn, opts=opts).get_current_heads()
                self._check_revision(conn, found, head, known, migrate=migrate)
                if migrate and found != (head,):
                    config = _alembic_config()
                    config.attributes["connection"] = conn
                    command.upgrade(config, "head")
                conn.commit()
        except self._errors as exc:
            raise self._tables.translate(
                exc, operation="prepare the schema", url=self._url
            ) from exc
        except CommandError as exc:
            raise StorageError(f"could not migrate the schema of {self._url}: {exc}") from exc

    def _at_revision(self, head: str | None) -> bool:
        """Whether the version table exists and holds exactly ``head`` (one query)."""
        sa_ = self._sa
        versions = sa_.table(self._tables.VERSION_TABLE, sa_.column("version_num"))
        with self._engine.connect() as conn:
            try:
                found = conn.execute(sa_.select(versions.c.version_num)).all()
            except self._sa.exc.DBAPIError:
                return False  # no table yet, or worse: the careful path will tell
            finally:
                conn.rollback()
        return [row[0] for row in found] == [head]

    def _check_revision(
        self,
        conn: sa.Connection,
        found: tuple[str, ...],
        head: str | None,
        known: frozenset[str],
        *,
        migrate: bool,
    ) -> None:
        unknown = sorted(set(found) - known)
        if unknown:
            raise StorageError(
                f"{self._url} has schema revision {', '.join(unknown)}, unknown to this "
                f"invoicekit (it knows revisions up to {head}); a newer invoicekit wrote it: "
                "upgrade invoicekit to open it (never open it with an older version)"
            )
        if not found and self._sa.inspect(conn).has_table("sellers"):
            raise StorageError(
                f"{self._url} has invoicekit-like tables but no {self._tables.VERSION_TABLE} "
                "table; it was not created by SqlAlchemyStorage (an SQLite file made by "
                "SqliteStorage opens with SqliteStorage) — pass another database"
            )
        if not migrate and found != (head,):
            state = f"revision {', '.join(found)}" if found else "no invoicekit schema"
            raise StorageError(
                f"{self._url} has {state} and this invoicekit needs revision {head}; "
                "open it once with SqlAlchemyStorage(url, migrate=True) to create or upgrade it"
            )


def _alembic_config() -> Config:
    """An Alembic configuration pointing at the migrations shipped in the package."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def _revisions() -> tuple[str | None, frozenset[str]]:
    """The head and every revision of the shipped migrations (read once per process)."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config())
    return script.get_current_head(), frozenset(r.revision for r in script.walk_revisions())


def _create_engine(sa_: Any, url_or_text: Any, isolation_level: str, extra: str) -> sa.Engine:
    """An engine for ``url_or_text``: psycopg 3 for a PostgreSQL URL, a busy timeout for SQLite."""
    try:
        url = sa_.make_url(url_or_text)
    except (sa_.exc.ArgumentError, ValueError, TypeError) as exc:
        raise ConfigurationError(f"{_FEATURE} needs a database URL; got {exc}") from exc
    if url.drivername in {"postgres", "postgresql"}:
        url = url.set(drivername="postgresql+psycopg")
    options: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        if url.get_driver_name() == "psycopg":
            require("psycopg", extra="postgres", feature=_FEATURE)
        options = {"isolation_level": isolation_level, "pool_pre_ping": True}
    elif url.get_backend_name() == "sqlite":
        options = {"connect_args": {"timeout": _SQLITE_BUSY_TIMEOUT}}
    try:
        engine: sa.Engine = sa_.create_engine(url, **options)
    except ImportError as exc:
        raise ConfigurationError(
            f"{_FEATURE} cannot load the driver for {url.drivername!r} ({exc}); install it, "
            f"or use postgresql:// with pip install 'invoicekit[{extra}]'"
        ) from exc
    except sa_.exc.SQLAlchemyError as exc:
        raise ConfigurationError(f"{_FEATURE} cannot use {url.drivername!r}: {exc}") from exc
    if url.get_backend_name() == "sqlite" and url.database not in {None, "", ":memory:"}:
        sa_.event.listen(engine, "connect", _sqlite_wal)
    return engine


def _sqlite_wal(dbapi_connection: Any, _record: Any) -> None:
    """Put a file database in WAL mode: readers never block the writer.

    A file that cannot switch (read-only) keeps its journal mode; its first write
    then fails with a StorageError that says why.
    """
    with suppress(sqlite3.Error):
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
