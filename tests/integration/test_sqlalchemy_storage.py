"""SqlAlchemyStorage on a real PostgreSQL database and on SQLite files through SQLAlchemy.

Round trips, ``find`` against the reference semantics (MemoryStorage), versions,
rollback, the schema migration and its refusals, integrity checks against raw
SQL edits, and the ``MissingExtraError`` path when the extras are missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest
import sqlalchemy as sa

import factories as f
from invoicekit.adapters.storage.memory import MemoryStorage
from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage
from invoicekit.domain.invoice import Invoice
from invoicekit.domain.status import Status
from invoicekit.errors import (
    ConcurrencyError,
    ConfigurationError,
    DuplicateError,
    IntegrityError,
    MissingExtraError,
    NotFoundError,
    StorageError,
)
from invoicekit.ports import IdempotencyRecord, InvoiceQuery, OutboxRecord, Storage, Transaction
from invoicekit.serialization import frozen_hash
from pg import admin_connect, pg_url, schema_url, truncate_all  # noqa: F401

AT = datetime(2026, 3, 1, 9, tzinfo=UTC)
Opener = Callable[[], SqlAlchemyStorage]


@pytest.fixture(params=["postgresql", "sqlite"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens (and closes at the end) instances on one empty database of each kind."""
    if request.param == "postgresql":
        url = request.getfixturevalue("pg_url")
        SqlAlchemyStorage(url).close()
        truncate_all(url)
    else:
        url = f"sqlite:///{tmp_path / 'store.db'}"
    opened: list[SqlAlchemyStorage] = []

    def open_one() -> SqlAlchemyStorage:
        opened.append(SqlAlchemyStorage(url))
        return opened[-1]

    yield open_one
    for storage in opened:
        storage.close()


@pytest.fixture
def storage(opener: Opener) -> SqlAlchemyStorage:
    return opener()


@pytest.fixture
def new_schema(pg_url: str) -> Iterator[str]:  # noqa: F811
    """The URL of a new, empty PostgreSQL schema (dropped afterwards)."""
    name = f"m_{threading.get_ident() % 10**8}_{id(object()) % 10**6}"
    with admin_connect(pg_url) as admin:
        admin.execute(f"CREATE SCHEMA {name}")
    yield schema_url(pg_url, name)
    with admin_connect(pg_url) as admin:
        admin.execute(f"DROP SCHEMA {name} CASCADE")


def _issued(number: str, *, id: str, day: int, customer: str = "c1") -> Invoice:
    s = f.seller()
    return f.issued(
        of=s, to=f.customer(s, id=customer), id=id, number=number, at=AT + timedelta(days=day)
    )


# --------------------------------------------------------------------------- round trips


def test_parties_round_trip_and_list_in_code_point_order(opener: Opener) -> None:
    storage = opener()
    s = f.seller()
    with storage.transaction() as tx:
        tx.sellers.add(s)
        tx.sellers.add(f.seller(id="B"))
        tx.sellers.add(f.seller(id="a"))
        for cid in ("c2", "C1", "c1", "é"):
            tx.customers.add(f.customer(s, id=cid, archived=cid == "c2"))
    with opener().transaction(write=False) as tx:
        assert tx.sellers.get("s1") == s
        assert [x.id for x in tx.sellers.list()] == ["B", "a", "s1"]
        assert [c.id for c in tx.customers.list("s1")] == ["C1", "c1", "é"]
        assert [c.id for c in tx.customers.list("s1", include_archived=True, after="C1")] == [
            "c1",
            "c2",
            "é",
        ]
        assert [c.id for c in tx.customers.list("s1", limit=1)] == ["C1"]
        with pytest.raises(NotFoundError):
            tx.customers.get("B", "c1")


def test_updates_and_duplicates(storage: SqlAlchemyStorage) -> None:
    s = f.seller()
    with storage.transaction() as tx:
        tx.sellers.add(s)
        tx.customers.add(f.customer(s))
        with pytest.raises(DuplicateError):
            tx.sellers.add(s)
        # A refused insert leaves the transaction usable, on PostgreSQL too.
        tx.sellers.update(attrs.evolve(s, name="Renamed"))
        tx.customers.update(attrs.evolve(f.customer(s), archived=True))
        with pytest.raises(NotFoundError):
            tx.sellers.update(f.seller(id="nobody"))
        with pytest.raises(NotFoundError):
            tx.customers.update(f.customer(s, id="nobody"))
    with storage.transaction(write=False) as tx:
        assert tx.sellers.get("s1").name == "Renamed"
        assert tx.customers.list("s1") == []
        assert tx.customers.get("s1", "c1").archived


def test_invoice_round_trips_with_its_hash_and_number(opener: Opener) -> None:
    storage = opener()
    draft = f.draft()
    with storage.transaction() as tx:
        tx.invoices.add(draft)
    issued = f.issue(draft)
    digest = frozen_hash(issued)
    with storage.transaction() as tx:
        tx.invoices.save(issued, expected_version=draft.version, freeze=True)
    with opener().transaction(write=False) as tx:
        assert tx.invoices.get("s1", "i1") == issued
        assert tx.invoices.get("s1", "i1", for_update=True) == issued
        assert tx.invoices.get_by_number("s1", "INV-2026-00001") == issued
        assert tx.invoices.content_hash("s1", "i1") == digest  # type: ignore[attr-defined]
        with pytest.raises(NotFoundError):
            tx.invoices.get_by_number("s1", "INV-2026-00002")
        with pytest.raises(NotFoundError):
            tx.invoices.get("other", "i1")


def test_versions_numbers_and_deletes(storage: SqlAlchemyStorage) -> None:
    a, b = f.draft(id="a"), f.draft(id="b")
    with storage.transaction() as tx:
        tx.invoices.add(a)
        tx.invoices.add(b)
        with pytest.raises(DuplicateError, match="already exists"):
            tx.invoices.add(a)
    issued_a = f.issue(a, number="N-1")
    with storage.transaction() as tx:
        tx.invoices.save(issued_a, expected_version=a.version)
        with pytest.raises(ConcurrencyError):
            tx.invoices.save(issued_a, expected_version=a.version)
        with pytest.raises(DuplicateError, match="N-1"):
            tx.invoices.save(f.issue(b, number="N-1"), expected_version=b.version)
        with pytest.raises(NotFoundError):
            tx.invoices.save(f.draft(id="zz"), expected_version=1)
        with pytest.raises(DuplicateError, match="N-1"):
            tx.invoices.add(f.issue(f.draft(id="c"), number="N-1"))
    with storage.transaction() as tx:
        with pytest.raises(ConcurrencyError):
            tx.invoices.delete("s1", "b", expected_version=b.version + 1)
        with pytest.raises(StorageError, match="never deleted"):
            tx.invoices.delete("s1", "a", expected_version=issued_a.version)
        with pytest.raises(NotFoundError):
            tx.invoices.delete("s1", "zz", expected_version=1)
        tx.invoices.delete("s1", "b", expected_version=b.version)
    with storage.transaction(write=False) as tx:
        assert tx.invoices.get("s1", "a") == issued_a
        with pytest.raises(NotFoundError):
            tx.invoices.get("s1", "b")


def test_a_rolled_back_transaction_leaves_nothing(opener: Opener) -> None:
    storage = opener()

    def fail_after_writing() -> None:
        with storage.transaction() as tx:
            tx.sellers.add(f.seller())
            tx.invoices.add(f.draft())
            assert tx.sequences.next_value("s1", "INV", "2026") == 1
            tx.outbox.append([_record("k1")])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        fail_after_writing()
    with opener().transaction(write=False) as tx:
        assert tx.sellers.list() == []
        assert tx.sequences.peek("s1", "INV", "2026") == 1
        assert tx.outbox.pending() == []
    with storage.transaction() as tx:
        assert tx.sequences.next_value("s1", "INV", "2026") == 1
        assert tx.sequences.next_value("s1", "INV", "2026") == 2
        assert tx.sequences.next_value("s1", "INV", "2027") == 1
        assert tx.sequences.peek("s1", "INV", "2026") == 3


def test_read_only_transactions_refuse_writes_and_nothing_nests(storage: SqlAlchemyStorage) -> None:
    with pytest.raises(StorageError, match="read-only"), storage.transaction(write=False) as tx:
        tx.sellers.add(f.seller())
    with storage.transaction() as tx:
        tx.sellers.add(f.seller())  # the connection went back to the pool writable
        with pytest.raises(StorageError, match="nest"), storage.transaction():
            pass
    storage.close()
    with pytest.raises(StorageError, match="closed"), storage.transaction():
        pass


def _record(key: str, *, invoice_id: str | None = None, seller_id: str = "s1") -> OutboxRecord:
    berlin = datetime(2026, 3, 1, 10, tzinfo=UTC).astimezone()
    return OutboxRecord(
        key=key,
        seller_id=seller_id,
        kind="invoice.issued",
        payload={"b": [1, "x"], "a": {"n": None}},
        created_at=berlin,
        invoice_id=invoice_id,
    )


def test_outbox_and_idempotency(opener: Opener) -> None:
    storage = opener()
    with storage.transaction() as tx:
        tx.outbox.append([_record("k1", invoice_id="i1"), _record("k2"), _record("k1")])
        tx.outbox.append([_record("k3", seller_id="s2"), _record("k2")])
        tx.idempotency.put(IdempotencyRecord("s1", "key", "fp", "issue", {"id": "i1"}, AT))
        with pytest.raises(DuplicateError):
            tx.idempotency.put(IdempotencyRecord("s1", "key", "fp2", "issue", {}, AT))
    with opener().transaction() as tx:
        assert [r.key for r in tx.outbox.pending()] == ["k1", "k2", "k3"]
        assert [r.key for r in tx.outbox.pending(seller_id="s1", limit=1)] == ["k1"]
        first = tx.outbox.pending()[0]
        assert first == attrs.evolve(_record("k1", invoice_id="i1"), position=first.position)
        assert first.payload == {"b": [1, "x"], "a": {"n": None}}
        tx.outbox.mark_delivered(["k1", "unknown"], at=AT)
        tx.outbox.mark_failed("k2", error="421 try later")
        tx.outbox.mark_failed("unknown", error="ignored")
        tx.outbox.mark_delivered([], at=AT)
    with opener().transaction(write=False) as tx:
        assert [r.key for r in tx.outbox.pending()] == ["k2", "k3"]
        listed = tx.outbox.list(seller_id="s1")
        assert [(r.key, r.delivered_at, r.attempts, r.last_error) for r in listed] == [
            ("k1", AT, 0, None),
            ("k2", None, 1, "421 try later"),
        ]
        assert [r.key for r in tx.outbox.list(seller_id="s1", invoice_id="i1")] == ["k1"]
        record = tx.idempotency.get("s1", "key")
        assert record == IdempotencyRecord("s1", "key", "fp", "issue", {}, AT)
        assert record is not None
        assert record.result == {"id": "i1"}
        assert tx.idempotency.get("s2", "key") is None


# --------------------------------------------------------------------------- find


def _fill(storage: Storage) -> None:
    s = f.seller()
    with storage.transaction() as tx:
        tx.sellers.add(s)
        for i in range(24):
            customer = f"c{i % 3}"
            if i % 4 == 0:
                inv = f.draft(of=s, to=f.customer(s, id=customer), id=f"d{i:02d}")
            else:
                inv = _issued(f"N-{i}", id=f"i{i:02d}", day=i % 5, customer=customer)
                status = [Status.PENDING, Status.PAID, Status.OVERDUE, Status.VOID][i % 4]
                inv = attrs.evolve(inv, status=status)
            tx.invoices.add(inv)
        tx.invoices.add(attrs.evolve(_issued("X-1", id="other", day=1), seller_id="s2"))


QUERIES = [
    InvoiceQuery(),
    InvoiceQuery(limit=5),
    InvoiceQuery(statuses=frozenset({Status.DRAFT})),
    InvoiceQuery(statuses=frozenset()),
    InvoiceQuery(statuses=frozenset({Status.PAID, Status.PENDING}), customer_id="c1"),
    InvoiceQuery(due_from=date(2026, 4, 1), due_to=date(2026, 4, 2)),
    InvoiceQuery(overdue_on=date(2026, 4, 3)),
    InvoiceQuery(overdue_on=date(2026, 4, 3), customer_id="c2", limit=2),
    InvoiceQuery(after="i05", limit=4),
    InvoiceQuery(after="d08"),
    InvoiceQuery(after="missing", limit=3),
    InvoiceQuery(statuses=frozenset({Status.DRAFT}), after="i05"),
]


@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_find_agrees_with_the_reference(storage: SqlAlchemyStorage, query: InvoiceQuery) -> None:
    memory = MemoryStorage()
    _fill(memory)
    _fill(storage)
    with memory.transaction(write=False) as tx:
        expected = tx.invoices.find("s1", query)
    with storage.transaction(write=False) as tx:
        assert [i.id for i in tx.invoices.find("s1", query)] == [i.id for i in expected]
        assert tx.invoices.find("s1", query) == expected


def test_find_pages_through_everything_once(storage: SqlAlchemyStorage) -> None:
    _fill(storage)
    seen: list[str] = []
    after = None
    with storage.transaction(write=False) as tx:
        while page := tx.invoices.find("s1", InvoiceQuery(limit=5, after=after)):
            seen.extend(i.id for i in page)
            after = page[-1].id
        everything = [i.id for i in tx.invoices.find("s1", InvoiceQuery(limit=1000))]
    assert seen == everything
    assert len(seen) == 24


# --------------------------------------------------------------------------- integrity


def _tamper(storage: SqlAlchemyStorage, sql: str) -> None:
    with storage.engine.begin() as conn:
        conn.execute(sa.text(sql))


def test_a_raw_sql_edit_of_an_issued_invoice_is_caught(storage: SqlAlchemyStorage) -> None:
    issued = _issued("N-1", id="i1", day=0)
    with storage.transaction() as tx:
        tx.invoices.add(f.draft(id="i1"))
        tx.invoices.save(issued, expected_version=1, freeze=True)
    with storage.engine.connect() as conn:
        doc = json.loads(conn.execute(sa.text("SELECT doc FROM invoices")).scalar_one())
    # The same content written by another tool (spaces, other key order) still reads.
    with storage.engine.begin() as conn:
        conn.execute(sa.text("UPDATE invoices SET doc = :doc"), {"doc": json.dumps(doc)})
    with storage.transaction(write=False) as tx:
        assert tx.invoices.get("s1", "i1") == issued
    doc["f"]["lines"][0]["description"] = "Something else"
    with storage.engine.begin() as conn:
        conn.execute(sa.text("UPDATE invoices SET doc = :doc"), {"doc": json.dumps(doc)})
    with storage.transaction(write=False) as tx:
        with pytest.raises(IntegrityError, match="content hash"):
            tx.invoices.get("s1", "i1")
        with pytest.raises(IntegrityError):
            tx.invoices.get_by_number("s1", "N-1")
        with pytest.raises(IntegrityError):
            tx.invoices.find("s1", InvoiceQuery())
    _tamper(storage, "UPDATE invoices SET doc = 'not json'")
    with pytest.raises(StorageError, match="cannot be read"), storage.transaction() as tx:
        tx.invoices.get("s1", "i1")
    _tamper(storage, "UPDATE invoices SET content_hash = NULL, doc = '{\"id\": 1}'")
    with pytest.raises(StorageError, match="cannot be read"), storage.transaction() as tx:
        tx.invoices.get("s1", "i1")


def test_corrupt_records_are_storage_errors(storage: SqlAlchemyStorage) -> None:
    with storage.transaction() as tx:
        tx.outbox.append([_record("k1")])
        tx.idempotency.put(IdempotencyRecord("s1", "key", "fp", "issue", {}, AT))
        tx.sellers.add(f.seller())
    _tamper(storage, "UPDATE outbox SET payload = '{not json'")
    _tamper(storage, "UPDATE idempotency SET created_at = 'yesterday'")
    _tamper(storage, "UPDATE sellers SET doc = '{}'")
    readers: list[Callable[[Transaction], object]] = [
        lambda tx: tx.outbox.pending(),
        lambda tx: tx.idempotency.get("s1", "key"),
        lambda tx: tx.sellers.get("s1"),
    ]
    for read in readers:
        with storage.transaction(write=False) as tx, pytest.raises(StorageError, match="read"):
            read(tx)


def test_a_read_only_sqlite_file_gives_storage_errors(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    SqlAlchemyStorage(f"sqlite:///{path}").close()
    # Opened read-only (chmod would not stop root): WAL cannot be switched on, reads work.
    storage = SqlAlchemyStorage(f"sqlite:///file:{path}?mode=ro&uri=true", migrate=False)
    try:
        with storage.transaction(write=False) as tx:
            assert tx.sellers.list() == []
        with pytest.raises(StorageError, match="read-only") as caught:
            _add_a_seller(storage)
        assert not type(caught.value).__module__.startswith(("sqlalchemy", "sqlite3"))
    finally:
        storage.close()


def _add_a_seller(storage: SqlAlchemyStorage) -> None:
    with storage.transaction() as tx:
        tx.sellers.add(f.seller())


# --------------------------------------------------------------------------- schema


def test_migration_creates_the_schema(new_schema: str) -> None:
    storage = SqlAlchemyStorage(new_schema)
    try:
        tables = set(sa.inspect(storage.engine).get_table_names())
        with storage.engine.connect() as conn:
            revision = conn.execute(
                sa.text("SELECT version_num FROM invoicekit_alembic_version")
            ).scalar_one()
    finally:
        storage.close()
    assert tables == {
        "sellers",
        "customers",
        "invoices",
        "credit_notes",
        "sequences",
        "outbox",
        "idempotency",
        "messages",
        "inbox",
        "invoicekit_alembic_version",
        "provider_events",
        "checkout_sessions",
        "pay_tokens",
        "recurring_templates",
        "event_cursors",
        "plans",
        "coupons",
        "subscriptions",
        "usage_records",
        "report_entries",
        "summary_clients",
        "summary_days",
        "summary_parts",
        "customer_coupons",
    }
    assert revision == "0012"


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_the_migration_matches_the_tables_the_code_uses(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from invoicekit.adapters.storage.sqlalchemy_tables import METADATA

    url = (
        request.getfixturevalue("new_schema")
        if kind == "postgresql"
        else f"sqlite:///{tmp_path}/m.db"
    )
    storage = SqlAlchemyStorage(url)
    try:
        with storage.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, METADATA)
    finally:
        storage.close()
    assert [d for d in diff if "invoicekit_alembic_version" not in repr(d)] == []


def test_an_unknown_revision_is_refused(new_schema: str) -> None:
    SqlAlchemyStorage(new_schema).close()
    engine = sa.create_engine(new_schema)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE invoicekit_alembic_version SET version_num = '0099'"))
    finally:
        engine.dispose()
    for migrate in (True, False):
        with pytest.raises(StorageError) as caught:
            SqlAlchemyStorage(new_schema, migrate=migrate)
        message = str(caught.value)
        assert "0099" in message
        assert "0012" in message
        assert "upgrade invoicekit" in message


def test_without_migrate_a_database_must_be_at_the_head(new_schema: str) -> None:
    with pytest.raises(StorageError, match=r"no invoicekit schema.*migrate=True"):
        SqlAlchemyStorage(new_schema, migrate=False)
    SqlAlchemyStorage(new_schema).close()
    SqlAlchemyStorage(new_schema, migrate=False).close()


def test_several_processes_may_create_the_schema_at_once(new_schema: str) -> None:
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            SqlAlchemyStorage(new_schema).close()
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_sqlite_file_works_and_survives_reopening(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'billing.db'}"
    storage = SqlAlchemyStorage.from_url(url)
    with storage.transaction() as tx:
        tx.sellers.add(f.seller())
        assert tx.sequences.next_value("s1", "INV", "2026") == 1
    storage.close()
    again = SqlAlchemyStorage(url, migrate=False)
    try:
        with again.transaction(write=False) as tx:
            assert tx.sellers.get("s1") == f.seller()
            assert tx.sequences.peek("s1", "INV", "2026") == 2
        with again.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
    finally:
        again.close()


def test_a_file_made_by_another_adapter_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "foreign.db"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE sellers (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
    engine.dispose()
    with pytest.raises(StorageError, match="no invoicekit_alembic_version"):
        SqlAlchemyStorage(f"sqlite:///{path}")


def test_an_engine_can_be_passed_in_and_stays_open(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'e.db'}")
    storage = SqlAlchemyStorage(engine)
    with storage.transaction() as tx:
        tx.sellers.add(f.seller())
    storage.close()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sellers").scalar_one() == 1
    engine.dispose()


def test_bad_settings_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="isolation_level"):
        SqlAlchemyStorage(f"sqlite:///{tmp_path}/x.db", isolation_level="CHAOS")
    with pytest.raises(ConfigurationError, match="URL"):
        SqlAlchemyStorage("not a url")
    with pytest.raises(ConfigurationError):
        SqlAlchemyStorage("nosuchdb://x/y")


# --------------------------------------------------------------------------- missing extras


@pytest.mark.parametrize(
    ("blocked", "url", "extra"),
    [
        ("sqlalchemy", "sqlite:///x.db", "sqlalchemy"),
        ("sqlalchemy", "postgresql://u@h/db", "postgres"),
        ("alembic", "sqlite:///x.db", "sqlalchemy"),
        ("psycopg", "postgresql://u@h/db", "postgres"),
    ],
)
def test_a_missing_extra_is_named(
    monkeypatch: pytest.MonkeyPatch, blocked: str, url: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, blocked, None)  # import raises ImportError
    with pytest.raises(MissingExtraError, match=rf"invoicekit\[{extra}\]") as caught:
        SqlAlchemyStorage(url)
    assert blocked in str(caught.value)


def test_invoicekit_imports_without_the_extras() -> None:
    code = (
        "import sys\n"
        "for name in ('sqlalchemy', 'alembic', 'psycopg'): sys.modules[name] = None\n"
        "import invoicekit\n"
        "from invoicekit.adapters.storage.sqlalchemy import SqlAlchemyStorage\n"
        "from invoicekit.errors import MissingExtraError\n"
        "try:\n"
        "    SqlAlchemyStorage('postgresql://u@h/db')\n"
        "except MissingExtraError as exc:\n"
        "    print(exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "pip install 'invoicekit[postgres]'" in done.stdout
