"""T31 ``storage_faults`` on PostgreSQL: killed connections, conflicts, an unreachable server.

Each fault gives a typed invoicekit error whose message names the operation (a
SQLAlchemy or psycopg exception never reaches the caller; it is only chained as
the cause), stores nothing of the failed transaction, and the same work
succeeds once the fault is gone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import attrs
import pytest
import sqlalchemy as sa

import factories as f
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.adapters.storage.sqlalchemy_tables import translate
from invoicekit.errors import ConcurrencyError, DuplicateError, InvoiceKitError, StorageError
from invoicekit.ports import Transaction
from pg import admin_connect, pg_url, truncate_all, with_password  # noqa: F401

pytestmark = pytest.mark.slow


@pytest.fixture
def url(pg_url: str) -> str:  # noqa: F811
    SqlAlchemyStorage(pg_url).close()
    truncate_all(pg_url)
    return pg_url


@pytest.fixture
def storage(url: str) -> Iterator[SqlAlchemyStorage]:
    store = SqlAlchemyStorage(url)
    with store.transaction() as tx:
        tx.sellers.add(f.seller())
        tx.customers.add(f.customer())
        tx.invoices.add(f.draft())
    yield store
    store.close()


def _pid(tx: Transaction) -> int:
    """The backend process id of the connection ``tx`` runs on (white box)."""
    conn = tx.invoices._c.conn  # type: ignore[attr-defined]
    return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


def _terminate(url: str, pid: int) -> None:
    with admin_connect(url) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)


def _counts(url: str) -> tuple[int, int, int]:
    with admin_connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM invoices), (SELECT count(*) FROM outbox), "
            "(SELECT coalesce(max(next_value), 0) FROM sequences)"
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def _issue_next(tx: Transaction, invoice_id: str) -> None:
    value = tx.sequences.next_value("s1", "INV", "2026")
    tx.invoices.add(f.issue(f.draft(id=invoice_id), number=f"INV-2026-{value:05d}"))


def _no_driver_error(exc: BaseException) -> None:
    assert isinstance(exc, InvoiceKitError)
    assert not type(exc).__module__.startswith(("sqlalchemy", "psycopg"))


# --------------------------------------------------------------------------- killed connections


def test_a_connection_killed_mid_transaction(storage: SqlAlchemyStorage, url: str) -> None:
    before = _counts(url)

    def killed_midway() -> None:
        with storage.transaction() as tx:
            _issue_next(tx, "killed")
            _terminate(url, _pid(tx))
            tx.invoices.add(f.draft(id="after-the-kill"))

    with pytest.raises(StorageError) as caught:
        killed_midway()
    _no_driver_error(caught.value)
    message = str(caught.value)
    assert "could not add invoice" in message
    assert "connection" in message
    assert storage.url in message
    assert _counts(url) == before
    with storage.transaction() as tx:  # the pool dropped the dead connection: a retry works
        _issue_next(tx, "retried")
    with storage.transaction(write=False) as tx:
        assert tx.invoices.get("s1", "retried").number == "INV-2026-00001"


def test_a_connection_killed_before_commit(storage: SqlAlchemyStorage, url: str) -> None:
    before = _counts(url)

    def killed_before_commit() -> None:
        with storage.transaction() as tx:
            _issue_next(tx, "killed")
            _terminate(url, _pid(tx))

    with pytest.raises(StorageError, match="could not commit the transaction"):
        killed_before_commit()
    assert _counts(url) == before
    with storage.transaction() as tx:
        _issue_next(tx, "retried")
    assert _counts(url)[0] == before[0] + 1


def test_an_idle_pooled_connection_killed_in_between_is_replaced(
    storage: SqlAlchemyStorage, url: str
) -> None:
    with storage.transaction() as tx:
        pid = _pid(tx)
    _terminate(url, pid)
    with storage.transaction() as tx:  # pool_pre_ping: no error at all
        assert _pid(tx) != pid
        assert tx.sellers.get("s1") == f.seller()


# --------------------------------------------------------------------------- conflicts


def test_a_serialization_failure_under_repeatable_read(
    url: str, storage: SqlAlchemyStorage
) -> None:
    first = SqlAlchemyStorage(url, isolation_level="REPEATABLE READ")
    second = SqlAlchemyStorage(url, isolation_level="REPEATABLE READ")

    def overtaken() -> None:
        with first.transaction() as tx1:
            draft = tx1.invoices.get("s1", "i1")  # the snapshot is taken here
            with second.transaction() as tx2:
                tx2.invoices.save(attrs.evolve(draft, memo="theirs", version=2), expected_version=1)
            tx1.invoices.save(attrs.evolve(draft, memo="mine", version=2), expected_version=1)

    try:
        with pytest.raises(ConcurrencyError, match="serialization") as caught:
            overtaken()
        assert caught.value.retryable
        _no_driver_error(caught.value)
        assert "could not save invoice" in str(caught.value)
        with first.transaction() as tx:  # the retry reads the new version and wins
            current = tx.invoices.get("s1", "i1")
            tx.invoices.save(attrs.evolve(current, memo="mine", version=3), expected_version=2)
        with storage.transaction(write=False) as tx:
            assert tx.invoices.get("s1", "i1").memo == "mine"
    finally:
        first.close()
        second.close()


def test_a_serialization_failure_under_serializable(url: str, storage: SqlAlchemyStorage) -> None:
    """Write skew: each reads the other's counter, then writes its own; one must fail."""
    first = SqlAlchemyStorage(url, isolation_level="SERIALIZABLE")
    second = SqlAlchemyStorage(url, isolation_level="SERIALIZABLE")

    def write_skew() -> None:
        with first.transaction() as tx1:
            tx1.sequences.peek("s1", "B", "p")
            with second.transaction() as tx2:
                tx2.sequences.peek("s1", "A", "p")
                tx2.sequences.next_value("s1", "B", "p")
            tx1.sequences.next_value("s1", "A", "p")

    try:
        with pytest.raises(ConcurrencyError) as caught:
            write_skew()
        _no_driver_error(caught.value)
        with first.transaction(write=False) as tx:
            assert tx.sequences.peek("s1", "A", "p") == 1
            assert tx.sequences.peek("s1", "B", "p") == 2
    finally:
        first.close()
        second.close()


def test_a_lock_timeout(url: str, storage: SqlAlchemyStorage) -> None:
    engine = sa.create_engine(url, connect_args={"options": "-c lock_timeout=200"})
    impatient = SqlAlchemyStorage(engine)

    def lock_it() -> None:
        with impatient.transaction() as tx:
            tx.invoices.get("s1", "i1", for_update=True)

    try:
        with storage.transaction() as holder:
            holder.invoices.get("s1", "i1", for_update=True)
            started = time.monotonic()
            with pytest.raises(ConcurrencyError, match="lock timeout") as caught:
                lock_it()
            assert time.monotonic() - started < 5
        _no_driver_error(caught.value)
        with impatient.transaction() as tx:
            tx.invoices.get("s1", "i1", for_update=True)
    finally:
        impatient.close()
        engine.dispose()


def test_for_update_makes_the_second_locker_wait(url: str, storage: SqlAlchemyStorage) -> None:
    other = SqlAlchemyStorage(url)
    seen: list[int] = []

    def second() -> None:
        with other.transaction() as tx:
            seen.append(tx.invoices.get("s1", "i1", for_update=True).version)

    try:
        with storage.transaction() as tx:
            draft = tx.invoices.get("s1", "i1", for_update=True)
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.3)
            assert seen == []  # still waiting on the row lock
            tx.invoices.save(attrs.evolve(draft, version=2), expected_version=1)
        thread.join(timeout=10)
        assert seen == [2]  # it read the committed version after the lock was released
    finally:
        other.close()


def test_a_deadlock(url: str, storage: SqlAlchemyStorage) -> None:
    with storage.transaction() as tx:
        tx.invoices.add(f.draft(id="i2"))
    other = SqlAlchemyStorage(url)
    errors: list[BaseException] = []
    both_locked = threading.Barrier(2)

    def lock(store: SqlAlchemyStorage, first: str, then: str) -> None:
        try:
            with store.transaction() as tx:
                tx.invoices.get("s1", first, for_update=True)
                both_locked.wait(timeout=10)
                tx.invoices.get("s1", then, for_update=True)
        except InvoiceKitError as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=lock, args=(storage, "i1", "i2")),
        threading.Thread(target=lock, args=(other, "i2", "i1")),
    ]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        other.close()
    assert len(errors) == 1
    assert isinstance(errors[0], ConcurrencyError)
    assert "deadlock" in str(errors[0])


def test_a_number_race_between_two_saves_is_a_duplicate(
    url: str, storage: SqlAlchemyStorage
) -> None:
    """The number check cannot see an uncommitted save: the unique key catches the race."""
    with storage.transaction() as tx:
        tx.invoices.add(f.draft(id="i2"))
    other = SqlAlchemyStorage(url)
    errors: list[BaseException] = []

    def save_i2() -> None:
        try:
            with other.transaction() as tx:
                tx.invoices.save(f.issue(f.draft(id="i2"), number="N-1"), expected_version=1)
        except InvoiceKitError as exc:
            errors.append(exc)

    try:
        with storage.transaction() as tx:
            tx.invoices.save(f.issue(f.draft(id="i1"), number="N-1"), expected_version=1)
            thread = threading.Thread(target=save_i2)
            thread.start()
            time.sleep(0.3)  # i2's UPDATE waits on the unique index entry of i1's
        thread.join(timeout=10)
    finally:
        other.close()
    assert len(errors) == 1
    assert isinstance(errors[0], DuplicateError)
    _no_driver_error(errors[0])
    with storage.transaction(write=False) as tx:
        assert tx.invoices.get_by_number("s1", "N-1").id == "i1"
        assert tx.invoices.get("s1", "i2").number is None


# --------------------------------------------------------------------------- unreachable


def test_an_unreachable_server_is_a_storage_error_with_the_password_hidden() -> None:
    bad = with_password("postgresql://invoicekit@127.0.0.1:1/test", "s3cret-pw")
    with pytest.raises(StorageError) as caught:
        SqlAlchemyStorage(bad)
    message = str(caught.value)
    _no_driver_error(caught.value)
    assert "s3cret-pw" not in message
    assert "postgresql+psycopg://invoicekit:***@127.0.0.1:1/test" in message
    assert "connection" in message
    assert "could not prepare the schema" in message


def test_a_missing_database_says_create_it(pg_url: str) -> None:  # noqa: F811
    missing = sa.make_url(pg_url).set(database=f"{sa.make_url(pg_url).database}_missing")
    with pytest.raises(StorageError) as caught:
        SqlAlchemyStorage(missing.render_as_string(hide_password=False))
    message = str(caught.value)
    _no_driver_error(caught.value)
    assert f"the database {missing.database} does not exist" in message
    assert f"create it (`createdb {missing.database}`" in message
    assert "check the server" not in message


# --------------------------------------------------------------------------- the boundary itself


@pytest.mark.parametrize(
    ("sql", "expected", "words"),
    [
        ("SELECT 1/0", StorageError, "DivisionByZero"),
        ("SELECT * FROM no_such_table", StorageError, "UndefinedTable"),
        (
            "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40001'; END $$",
            ConcurrencyError,
            "serialization",
        ),
        (
            "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40P01'; END $$",
            ConcurrencyError,
            "deadlock",
        ),
        ("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '55P03'; END $$", ConcurrencyError, "lock"),
        ("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '23505'; END $$", DuplicateError, "taken"),
        ("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '25006'; END $$", StorageError, "read-only"),
        ("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '3D000'; END $$", StorageError, "create it"),
    ],
)
def test_every_driver_error_is_translated(
    url: str, sql: str, expected: type[InvoiceKitError], words: str
) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn, pytest.raises(sa.exc.SQLAlchemyError) as raw:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()
    error = translate(raw.value, operation="do the thing", url="postgresql://u:***@h/db")
    assert type(error) is expected
    assert words in str(error)
    assert "could not do the thing in postgresql://u:***@h/db" in str(error)
    assert "[SQL:" not in str(error)  # never the statement or its parameters
