"""PostgreSQL for the tests: a throw-away database per session, and helpers around it.

Import the fixture into a test module (``tests`` is on ``sys.path``)::

    from pg import pg_url  # noqa: F401

``pg_url`` connects to ``postgresql://postgres@127.0.0.1:5432/test`` (then as
``root``; ``INVOICEKIT_PG_ADMIN_URL`` overrides both), creates
``invoicekit_test_<pid>_<random>`` and drops it when the session ends. When no
server answers, the test FAILS, in CI always; elsewhere
``INVOICEKIT_ALLOW_NO_PG=1`` turns the failure into a skip that says why.

``SchemaPool`` hands out empty, migrated schemas of that database fast (for the
contract suite); ``take_numbers`` is the worker process of the T12 numbering test.
"""

from __future__ import annotations

import os
import random
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

import pytest

__all__ = [
    "ADMIN_URL_ENV",
    "ALLOW_NO_PG_ENV",
    "SchemaPool",
    "admin_connect",
    "pg_url",
    "schema_url",
    "take_numbers",
    "truncate_all",
    "with_password",
]

ADMIN_URL_ENV: Final = "INVOICEKIT_PG_ADMIN_URL"
ALLOW_NO_PG_ENV: Final = "INVOICEKIT_ALLOW_NO_PG"
_CANDIDATES: Final = (
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
)
_TABLES: Final = (
    "sellers, customers, invoices, credit_notes, sequences, outbox, idempotency, messages, inbox, "
    "provider_events, checkout_sessions, pay_tokens, recurring_templates, event_cursors, "
    "plans, coupons, subscriptions, usage_records, "
    "report_entries, summary_clients, summary_days, summary_parts, customer_coupons"
)


def _no_server(reason: str) -> None:
    """Fail (always in CI), or skip when the developer allowed running without PostgreSQL."""
    if os.environ.get("CI"):
        pytest.fail(
            f"PostgreSQL is required in CI and none answered: {reason}. Start PostgreSQL 15 "
            f"on 127.0.0.1:5432 (trust auth, database 'test') or set {ADMIN_URL_ENV}.",
            pytrace=False,
        )
    if os.environ.get(ALLOW_NO_PG_ENV) == "1":
        pytest.skip(f"no PostgreSQL server ({reason}); {ALLOW_NO_PG_ENV}=1 allows skipping")
    pytest.fail(
        f"no PostgreSQL server answered: {reason}. Start one on 127.0.0.1:5432 (trust auth, "
        f"database 'test'), set {ADMIN_URL_ENV}, or set {ALLOW_NO_PG_ENV}=1 to skip these tests.",
        pytrace=False,
    )


def admin_connect(url: str) -> Any:
    """An autocommit psycopg connection to the database of SQLAlchemy URL ``url``."""
    import psycopg
    import sqlalchemy as sa

    parsed = sa.make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        dbname=parsed.database,
        autocommit=True,
        connect_timeout=5,
    )


def _find_admin() -> tuple[str, Any]:
    try:
        import psycopg  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as exc:
        _no_server(f"the postgres extra is not installed ({exc})")
    override = os.environ.get(ADMIN_URL_ENV)
    errors = []
    for url in (override,) if override else _CANDIDATES:
        try:
            return url, admin_connect(url)
        except Exception as exc:  # noqa: BLE001 - each failure is reported below
            errors.append(f"{url}: {str(exc).strip().splitlines()[0]}")
    _no_server("; ".join(errors))
    raise AssertionError("unreachable")  # _no_server always raises


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` set (for redaction tests)."""
    import sqlalchemy as sa

    return sa.make_url(url).set(password=password).render_as_string(hide_password=False)


def schema_url(url: str, schema: str) -> str:
    """``url`` with every connection's ``search_path`` set to ``schema``."""
    import sqlalchemy as sa

    parsed = sa.make_url(url).update_query_dict({"options": f"-c search_path={schema}"})
    return parsed.render_as_string(hide_password=False)


def _create_database(admin: Any, name: str) -> None:
    """CREATE DATABASE, retried while another session copies template1 (ObjectInUse).

    PostgreSQL refuses to copy a template someone else is connected to; several test or
    benchmark processes creating databases at once hit that for a few milliseconds.
    """
    import psycopg
    from psycopg import sql

    for attempt in range(20):
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            return
        except psycopg.errors.ObjectInUse:
            time.sleep(0.05 * (attempt + 1))
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """The SQLAlchemy URL of a new, empty PostgreSQL database, dropped after the session."""
    import sqlalchemy as sa
    from psycopg import sql

    admin_url, admin = _find_admin()
    name = f"invoicekit_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin:
        _create_database(admin, name)
        try:
            yield sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


class SchemaPool:
    """Empty, migrated PostgreSQL schemas, reused between stores after a ``TRUNCATE``.

    ``take()`` returns the URL of a schema nobody uses (creating and migrating one
    only when every existing schema is taken); ``release(url)`` empties that
    schema and makes it available again; ``release_all()`` does so for every
    schema still taken.
    """

    def __init__(self, url: str) -> None:
        self._url = url
        self._free: list[str] = []
        self._used: dict[str, str] = {}
        self._count = 0
        self._admin = admin_connect(url)
        from invoicekit.serialization import make_converter

        #: One converter for every store of the pool (it holds no data).
        self.converter = make_converter()
        # A store left open in a transaction must not hang the suite on TRUNCATE.
        self._admin.execute("SET lock_timeout = '10s'")

    def take(self) -> str:
        """The URL of an empty schema with the invoicekit tables in it."""
        from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage

        if self._free:
            schema = self._free.pop()
        else:
            self._count += 1
            schema = f"contract_{self._count}"
            self._admin.execute(f"CREATE SCHEMA {schema}")
            SqlAlchemyStorage(schema_url(self._url, schema)).close()
        url = schema_url(self._url, schema)
        self._used[url] = schema
        return url

    def release(self, url: str) -> None:
        """Empty the schema at ``url`` (from ``take``) and make it free again."""
        schema = self._used.pop(url, None)
        if schema is not None:
            tables = ", ".join(f"{schema}.{t.strip()}" for t in _TABLES.split(","))
            self._admin.execute(f"TRUNCATE {tables} RESTART IDENTITY")
            self._free.append(schema)

    def release_all(self) -> None:
        """Release every schema still taken."""
        for url in list(self._used):
            self.release(url)

    def close(self) -> None:
        """Close the administrative connection."""
        self._admin.close()


def truncate_all(url: str) -> None:
    """Empty every invoicekit table of the database (or schema) at ``url``."""
    with admin_connect(url) as conn:
        conn.execute(f"TRUNCATE {_TABLES} RESTART IDENTITY")


# --------------------------------------------------------------------------- T12 worker


class _RollBackError(Exception):
    """Raised inside a transaction to roll it back on purpose, after the number was taken."""


def take_numbers(  # noqa: PLR0917 - a multiprocessing target takes positional arguments
    url: str, worker: int, count: int, isolation_level: str, barrier: Any, results: Any
) -> None:
    """T12 worker: ``count`` committed-or-rolled-back transactions, each taking one number.

    Each transaction takes the next value of one counter and records it in an
    outbox row (keyed per attempt, so a duplicate number would show as two rows);
    one in ten is then rolled back on purpose. A serialization failure under
    REPEATABLE READ (a ConcurrencyError) is retried and counted. Puts a dict of
    counts on ``results``.
    """
    from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
    from invoicekit.errors import ConcurrencyError
    from invoicekit.ports import OutboxRecord

    rng = random.Random(worker)  # noqa: S311 - test jitter, not security
    storage = SqlAlchemyStorage(url, migrate=False, isolation_level=isolation_level)
    committed = rolled_back = retries = 0
    barrier.wait()
    started = time.perf_counter()
    try:
        for i in range(count):
            attempt = 0
            while True:
                attempt += 1
                try:
                    with storage.transaction() as tx:
                        value = tx.sequences.next_value("s1", "INV", "2026")
                        time.sleep(rng.random() * 0.001)  # others queue on the row lock
                        tx.outbox.append(
                            [
                                OutboxRecord(
                                    key=f"w{worker}-{i}-{attempt}",
                                    seller_id="s1",
                                    kind="number",
                                    payload={"value": value, "worker": worker},
                                    created_at=datetime.now(UTC),
                                )
                            ]
                        )
                        if rng.random() < 0.1:
                            raise _RollBackError
                    committed += 1
                except _RollBackError:
                    rolled_back += 1
                except ConcurrencyError:
                    retries += 1
                    time.sleep(rng.random() * min(0.02, 0.001 * attempt))  # backoff
                    continue
                break
    finally:
        storage.close()
    results.put(
        {
            "worker": worker,
            "isolation_level": isolation_level,
            "committed": committed,
            "rolled_back": rolled_back,
            "retries": retries,
            "seconds": time.perf_counter() - started,
        }
    )
