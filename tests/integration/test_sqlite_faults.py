"""T31 on SQLite: disk full, read-only file, lock held past the busy timeout, garbage file.

Each fault must come out as a typed invoicekit error whose message names the
operation (and the path or the timeout), caused by the ``sqlite3`` exception
(``raise ... from``), with nothing partially written; after the fault clears the
same operation succeeds. A raw ``sqlite3`` exception never reaches the test.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from factories import customer, draft, seller
from invoicekit.adapters.storage.sqlite import SqliteStorage
from invoicekit.domain.invoice import Invoice
from invoicekit.errors import ConcurrencyError, StorageError
from invoicekit.ports import InvoiceQuery, Transaction

TABLES = ("sellers", "customers", "invoices", "sequences", "outbox")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "db.sqlite"


@pytest.fixture
def storage(path: Path) -> Iterator[SqliteStorage]:
    store = SqliteStorage.open(path)
    with store.transaction() as tx:
        s = seller()
        tx.sellers.add(s)
        tx.customers.add(customer(s))
        tx.invoices.add(draft(of=s, id="existing"))
    yield store
    store.close()


def counts(path: Path) -> dict[str, int]:
    raw = sqlite3.connect(path)
    try:
        return {t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}  # noqa: S608 - fixed table names
    finally:
        raw.close()


def many_drafts(n: int) -> list[Invoice]:
    return [draft(id=f"bulk-{k}", memo="x" * 1500) for k in range(n)]


def add_all(tx: Transaction, drafts: list[Invoice]) -> None:
    for invoice in drafts:
        tx.invoices.add(invoice)


def store_drafts(store: SqliteStorage, drafts: list[Invoice]) -> None:
    with store.transaction() as tx:
        tx.sequences.next_value("s1", "invoice", "2026")
        for invoice in drafts:
            tx.invoices.add(invoice)


def assert_translated(exc: BaseException, *words: str) -> None:
    assert isinstance(exc.__cause__, sqlite3.Error), "raise ... from the sqlite3 error"
    for word in words:
        assert word in str(exc), (word, str(exc))


# --------------------------------------------------------------------------- SQLITE_FULL


def test_disk_full_writes_nothing_and_the_retry_succeeds(
    storage: SqliteStorage, path: Path
) -> None:
    before = counts(path)
    conn = storage._session()[0].conn
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    drafts = many_drafts(50)
    with pytest.raises(StorageError) as caught:
        store_drafts(storage, drafts)
    assert_translated(caught.value, "could not add an invoice", str(path), "full")
    assert counts(path) == before
    with storage.transaction(write=False) as tx:
        assert [i.id for i in tx.invoices.find("s1", InvoiceQuery())] == ["existing"]
        assert tx.sequences.peek("s1", "invoice", "2026") == 1

    conn.execute("PRAGMA max_page_count = 1073741823")
    store_drafts(storage, drafts)
    assert counts(path)["invoices"] == before["invoices"] + 50
    with storage.transaction(write=False) as tx:
        assert tx.sequences.peek("s1", "invoice", "2026") == 2


def test_a_transaction_sqlite_rolled_back_refuses_to_continue(
    storage: SqliteStorage, path: Path
) -> None:
    """After SQLITE_FULL SQLite has rolled back; later statements must not autocommit."""
    before = counts(path)
    conn = storage._session()[0].conn
    conn.execute("VACUUM")  # no free pages left by migrations: the next page is over the limit
    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    block = pytest.raises(StorageError, match="nothing was committed")
    with block, storage.transaction() as tx:
        tx.sequences.next_value("s1", "invoice", "2026")
        with pytest.raises(StorageError, match="full"):  # documents are small: add until full
            add_all(tx, many_drafts(10))
        conn.execute("PRAGMA max_page_count = 1073741823")
        with pytest.raises(StorageError, match="rolled this transaction back"):
            tx.sellers.add(seller(id="s2"))
    assert counts(path) == before


# --------------------------------------------------------------------------- read-only


def test_a_read_only_file_refuses_writes_and_serves_reads(
    storage: SqliteStorage, path: Path
) -> None:
    storage.close()
    before = counts(path)
    folder = path.parent
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (folder, path)}
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        # As root chmod stops nothing, so read_only=True (URI mode=ro) is what is tested.
        store = SqliteStorage(path, read_only=True)
        with store.transaction(write=False) as tx:
            assert tx.sellers.get("s1").id == "s1"
        with pytest.raises(StorageError) as caught, store.transaction() as tx:
            tx.sellers.add(seller(id="s2"))
        assert_translated(caught.value, "could not add a seller", str(path), "read-only")
        with pytest.raises(StorageError, match="read-only"), store.transaction() as tx:
            tx.sequences.next_value("s1", "invoice", "2026")
        with store.transaction(write=False) as tx:  # the store stays usable for reads
            assert [s.id for s in tx.sellers.list()] == ["s1"]
        store.close()
        if os.geteuid() != 0:  # pragma: no cover - CI runs as root
            with pytest.raises(StorageError), SqliteStorage(path).transaction() as tx:
                tx.sellers.add(seller(id="s3"))
    finally:
        for p, mode in modes.items():
            p.chmod(mode)
    assert counts(path) == before
    with SqliteStorage(path).transaction() as tx:  # writable again once opened normally
        tx.sellers.add(seller(id="s2"))
    assert counts(path)["sellers"] == before["sellers"] + 1


def test_read_only_open_of_a_new_file_is_refused(path: Path) -> None:
    with pytest.raises(StorageError) as caught:
        SqliteStorage.open(path, read_only=True)
    assert str(path) in str(caught.value)


# --------------------------------------------------------------------------- SQLITE_BUSY


def test_a_lock_held_past_the_busy_timeout_is_a_concurrency_error(
    storage: SqliteStorage, path: Path
) -> None:
    before = counts(path)
    impatient = SqliteStorage(path, busy_timeout_ms=0)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(ConcurrencyError) as caught, impatient.transaction() as tx:
            tx.sequences.next_value("s1", "invoice", "2026")
        assert_translated(caught.value, "begin a write transaction", "0 ms", "retry")
        with impatient.transaction(write=False) as tx:  # WAL: readers never wait for writers
            assert tx.sequences.peek("s1", "invoice", "2026") == 1
    finally:
        holder.execute("COMMIT")
        holder.close()
    with impatient.transaction() as tx:
        assert tx.sequences.next_value("s1", "invoice", "2026") == 1
    impatient.close()
    assert counts(path)["sequences"] == before["sequences"] + 1


def test_a_writer_waits_for_another_instance_within_the_busy_timeout(path: Path) -> None:
    first = SqliteStorage.open(path)
    second = SqliteStorage(path, busy_timeout_ms=10_000)
    entered = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with first.transaction() as tx:
            tx.sequences.next_value("s1", "invoice", "2026")
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(5)
    threading.Timer(0.2, release.set).start()
    with second.transaction() as tx:  # blocks until the first commits, then sees its number
        assert tx.sequences.next_value("s1", "invoice", "2026") == 2
    thread.join()
    first.close()
    second.close()


# --------------------------------------------------------------------------- bad files


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all" * 200, b"\x00" * 4096 + b"junk", os.urandom(8192)],
    ids=["text", "zeros", "random"],
)
def test_a_garbage_file_is_a_storage_error(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    with pytest.raises(StorageError) as caught:
        SqliteStorage.open(path)
    assert_translated(caught.value, str(path), "not an SQLite database")
    with pytest.raises(StorageError), SqliteStorage(path).transaction(write=False) as tx:
        tx.sellers.list()


def test_a_corrupted_page_is_a_storage_error(storage: SqliteStorage, path: Path) -> None:
    with storage.transaction() as tx:
        for invoice in many_drafts(30):
            tx.invoices.add(invoice)
    storage.close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = raw.execute("PRAGMA page_size").fetchone()[0]
    # The invoices table's pages other than its root (dbstat): wrecking pages by position
    # could hit the free-list trunk a migration's table rebuild leaves, failing the open.
    leaves = [
        row[0]
        for row in raw.execute(
            "SELECT pageno FROM dbstat WHERE name = 'invoices' AND pagetype != 'internal'"
            " AND pageno != (SELECT rootpage FROM sqlite_master WHERE name = 'invoices')"
        )
    ]
    raw.close()
    assert len(leaves) > 5
    with path.open("r+b") as f:  # keep the schema and every root page, wreck the invoices' pages
        for page in leaves:
            f.seek((page - 1) * page_size)
            f.write(b"\xff" * page_size)
    with pytest.raises(StorageError) as caught, SqliteStorage(path).transaction(write=False) as tx:
        tx.invoices.find("s1", InvoiceQuery(limit=1000))
    assert_translated(caught.value, "could not find invoices", str(path))


def test_an_unreachable_path_is_a_storage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "db.sqlite"
    with pytest.raises(StorageError) as caught:
        SqliteStorage.open(missing)
    assert_translated(caught.value, "could not open the database", str(missing), "folder")
    folder = SqliteStorage(tmp_path)  # a directory, not a file
    with pytest.raises(StorageError, match="open the database"), folder.transaction() as tx:
        tx.sellers.list()
